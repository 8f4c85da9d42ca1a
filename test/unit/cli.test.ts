import { defineCommand, flagOption, numberOption, textOption, type CliCommand } from '../../workers/cli/command';
import { COMMANDS } from '../../workers/cli/commands';
import { helpDocument } from '../../workers/cli/help';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, main } from '../../workers/cli/main';
import { parseCommandLine, UsageError, wantsJson } from '../../workers/cli/program';

const parse = (...argv: string[]) => {
  const { command, options, words, json, help } = parseCommandLine(argv, COMMANDS);
  return { command: command.name, options, words, json, help };
};

const GENERATE_DEFAULTS = {
  rate: 1000,
  duration: 10,
  latePct: 0,
  tooLatePct: 0,
  dupPct: 0,
  badPct: 0,
  batch: 500,
  concurrency: 4,
  campaigns: 50,
  users: 5000,
  titles: 200,
  gzip: false,
};

describe('parseCommandLine', () => {
  it.each<[string[], ReturnType<typeof parse>]>([
    [['stack', 'up'], { command: 'stack up', options: {}, words: '', json: false, help: false }],
    [['stack', 'status', '--json'], { command: 'stack status', options: {}, words: '', json: true, help: false }],
    [['--json', 'stack', 'status'], { command: 'stack status', options: {}, words: '', json: true, help: false }],
    [['generate'], { command: 'generate', options: GENERATE_DEFAULTS, words: '', json: false, help: false }],
    [
      ['generate', '--rate', '250', '--dup-pct', '2.5', '--truth', 'out.json', '--gzip', '--seed=7', '--json'],
      { command: 'generate', options: { ...GENERATE_DEFAULTS, rate: 250, dupPct: 2.5, truth: 'out.json', gzip: true, seed: 7 }, words: '', json: true, help: false },
    ],
    [['demo'], { command: 'demo', options: { rate: 3000, duration: 15 }, words: '', json: false, help: false }],
    [['promote', '--hour', '2026-11-22T05'], { command: 'promote', options: { hour: '2026-11-22T05', acceptQuality: false }, words: '', json: false, help: false }],
    [['promote', '--day=2026-11-22'], { command: 'promote', options: { day: '2026-11-22', acceptQuality: false }, words: '', json: false, help: false }],
    [['ctr', '--campaign-id', 'c00001'], { command: 'ctr', options: { campaignId: 'c00001', minutes: 60 }, words: '', json: false, help: false }],
    [['ctr', '--campaign-id', 'c1', '--minutes', '1440'], { command: 'ctr', options: { campaignId: 'c1', minutes: 1440 }, words: '', json: false, help: false }],
    [['query', 'SELECT 1', '--json'], { command: 'query', options: {}, words: 'SELECT 1', json: true, help: false }],
    [['query', '--', '--not-a-flag'], { command: 'query', options: {}, words: '--not-a-flag', json: false, help: false }],
    [['verify', '--truth', 't.json'], { command: 'verify', options: { truth: 't.json' }, words: '', json: false, help: false }],
    [[], { command: 'help', options: {}, words: '', json: false, help: false }],
    [['--json'], { command: 'help', options: {}, words: '', json: true, help: false }],
    [['help', 'stack', 'up'], { command: 'help', options: {}, words: 'stack up', json: false, help: false }],
    [['verify', '--help'], { command: 'help', options: {}, words: 'verify', json: false, help: true }],
    [['stack', '--help'], { command: 'help', options: {}, words: 'stack', json: false, help: true }],
  ])('%j', (argv, expected) => {
    expect(parse(...argv)).toEqual(expected);
  });

  it.each([
    [['bogus'], 'unknown command "bogus"; see `clicklake help`'],
    [['--bogus'], "unknown option '--bogus'"],
    [['generate', '--bogus'], "unknown option '--bogus'"],
    [['stack'], 'stack: give a subcommand: up, down, status'],
    [['stack', 'sideways'], 'unknown command "stack sideways"; see `clicklake help`'],
    [['stat'], 'unknown command "stat"; see `clicklake help`'],
    [['generate', '--rate'], "option '--rate <R>' argument missing"],
    [['generate', '--rate', 'ten'], '--rate: must be a number, got "ten"'],
    [['generate', '--rate', ''], '--rate: must be a number, got ""'],
    [['generate', '--rate', '0'], '--rate: must be between 1 and 10000000, got 0'],
    [['generate', '--duration', '0.05'], '--duration: must be between 0.1 and 86400, got 0.05'],
    [['generate', '--batch', '2.5'], '--batch: must be a whole number, got 2.5'],
    [['generate', '--dup-pct', '101'], '--dup-pct: must be between 0 and 100, got 101'],
    [['generate', '--seed', '-1'], '--seed: must be between 0 and 2147483647, got -1'],
    [['generate', '--truth=--json'], '--truth: needs a value'],
    [['demo', '--duration', '3601'], '--duration: must be between 1 and 3600, got 3601'],
    [['ctr'], 'ctr: --campaign-id C is required'],
    [['ctr', '--campaign-id', ''], 'ctr: --campaign-id C is required'],
    [['ctr', '--campaign-id', 'c1', '--minutes', '0'], '--minutes: must be between 1 and 2880, got 0'],
    [['verify'], 'verify: --truth FILE is required'],
    [['promote', '--hour', '2026-11-22 05'], '--hour: expected YYYY-MM-DDTHH (UTC), got "2026-11-22 05"'],
    [['promote', '--day', '22.11.2026'], '--day: expected YYYY-MM-DD, got "22.11.2026"'],
  ])('%j is a usage error naming what is wrong', (argv, message) => {
    let thrown: unknown;
    try {
      parseCommandLine(argv, COMMANDS);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toBe(message);
  });

  it('asks for JSON when --json stands before a lone --', () => {
    expect([wantsJson(['bogus', '--json']), wantsJson(['query', '--', '--json']), wantsJson(['help'])]).toEqual([true, false, false]);
  });
});

describe('help --json', () => {
  it('lists every command with its options and their rules', () => {
    const doc = helpDocument(COMMANDS);
    expect(doc.commands.map((c) => c.name)).toEqual(['stack up', 'stack down', 'stack status', 'demo', 'generate', 'status', 'promote', 'reconcile', 'backfill', 'compact', 'rollback', 'delete-user', 'keys create', 'keys list', 'keys revoke', 'worker', 'ctr', 'query', 'verify', 'help']);
    expect(doc.commands.find((c) => c.name === 'ctr')).toEqual({
      name: 'ctr',
      summary: 'minute-level CTR of a campaign from Redis, by event time',
      options: [
        { flag: '--campaign-id', value: 'C', description: 'the campaign', default: null, required: true },
        { flag: '--minutes', value: 'N', description: 'minutes back from now', default: 60, min: 1, max: 2880, integer: true, required: false },
      ],
    });
    expect(helpDocument(COMMANDS, 'stack').commands.map((c) => c.name)).toEqual(['stack up', 'stack down', 'stack status']);
  });
});

describe('main', () => {
  const run = async (argv: string[], commands: readonly CliCommand[] = COMMANDS) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, commands, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  const fake = defineCommand({
    name: 'fake',
    summary: 'a command for the test',
    options: { mode: textOption('M', 'ok, fail or throw'), n: numberOption('N', 'a number', { min: 0, max: 9, default: 1 }), loud: flagOption('talk') },
    async run({ mode, n, loud }, _words, { progress }) {
      if (loud) progress('working');
      if (mode === 'throw') throw new Error('the service said no\n    at somewhere (stack line)');
      return { value: { mode: mode ?? null, n }, text: () => `mode ${mode} n ${n}\n`, failure: mode === 'fail' ? 'it did not work' : undefined };
    },
  });
  const commands = [fake, ...COMMANDS];

  it.each([
    [['fake', '--mode', 'ok', '--json'], EXIT_OK, '{\n  "mode": "ok",\n  "n": 1\n}\n', ''],
    [['fake', '--mode', 'ok', '--n', '3'], EXIT_OK, 'mode ok n 3\n', ''],
    [['fake', '--loud', '--json'], EXIT_OK, '{\n  "mode": null,\n  "n": 1\n}\n', 'clicklake: working\n'],
    [['fake', '--mode', 'fail', '--json'], EXIT_FAILED, '{\n  "mode": "fail",\n  "n": 1\n}\n', 'clicklake: it did not work\n'],
    [['fake', '--mode', 'throw', '--json'], EXIT_FAILED, `${JSON.stringify({ error: 'the service said no\n    at somewhere (stack line)', exit_code: 1 }, null, 2)}\n`, 'clicklake: the service said no\n'],
    [['fake', '--mode', 'throw'], EXIT_FAILED, '', 'clicklake: the service said no\n'],
    [['fake', '--n', '10', '--json'], EXIT_USAGE, `${JSON.stringify({ error: '--n: must be between 0 and 9, got 10', exit_code: 2 }, null, 2)}\n`, 'clicklake: --n: must be between 0 and 9, got 10\n'],
    [['--bogus'], EXIT_USAGE, '', "clicklake: unknown option '--bogus'\n"],
  ])('%j', async (argv, code, stdout, stderr) => {
    expect(await run(argv, commands)).toEqual({ code, stdout, stderr });
  });

  it('sends what a command writes to stdout to stderr, so stdout holds the one document', async () => {
    const noisy = defineCommand({
      name: 'noisy',
      summary: 'writes on stdout as a chatty library would',
      options: {},
      async run() {
        process.stdout.write('library chatter\n');
        return { value: { ok: true }, text: () => 'ok\n' };
      },
    });
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await main(['noisy', '--json'], [noisy]);
      expect([code, stdout.mock.calls.map((c) => c[0]), stderr.mock.calls.map((c) => c[0])]).toEqual([EXIT_OK, ['{\n  "ok": true\n}\n'], ['library chatter\n']]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  it('prints help, as one JSON document with --json, for `help` and for `--help`', async () => {
    const json = await run(['help', '--json']);
    expect([json.code, json.stderr, JSON.parse(json.stdout)]).toEqual([EXIT_OK, '', helpDocument(COMMANDS)]);
    const generate = await run(['generate', '--help', '--json']);
    expect(JSON.parse(generate.stdout)).toEqual(helpDocument(COMMANDS, 'generate'));
    const text = await run(['help', 'generate']);
    expect(text.stdout).toContain('--dup-pct <P>');
    expect(text.stdout).toContain('(default: 1000)');
    expect((await run(['help', 'sideways'])).code).toBe(EXIT_USAGE);
  });
});
