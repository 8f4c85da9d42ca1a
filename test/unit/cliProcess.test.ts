/**
 * The built CLI as a user runs it (`npm run build` first; `npm test` does): exactly one JSON document
 * on stdout, the exit codes, and a start that loads no service client library.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'clicklake.js');
const HEAVY = ['@temporalio', '@aws-sdk', 'kafkajs', '@platformatic', 'ioredis', 'presto-client', '@duckdb', '@kafkajs'];

function clicklake(args: string[], nodeArgs: string[] = []) {
  const result = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'workers', 'cli', 'main.js'))) throw new Error('the CLI is not built: run `npm run build` first');
});

describe('bin/clicklake.js', () => {
  it('help --json: one JSON document listing the commands, exit 0', () => {
    const { code, stdout } = clicklake(['help', '--json']);
    const doc = JSON.parse(stdout) as { commands: Array<{ name: string }> };
    expect([code, doc.commands.map((c) => c.name)]).toEqual([0, expect.arrayContaining(['stack up', 'generate', 'status', 'verify', 'help'])]);
  });

  it('--bogus: exit 2 with one line naming the flag; under --json stdout still holds one JSON document', () => {
    expect(clicklake(['--bogus'])).toEqual({ code: 2, stdout: '', stderr: "clicklake: unknown option '--bogus'\n" });
    const json = clicklake(['generate', '--rate', '0', '--json']);
    expect([json.code, JSON.parse(json.stdout), json.stderr]).toEqual([
      2,
      { error: '--rate: must be between 1 and 10000000, got 0', exit_code: 2 },
      'clicklake: --rate: must be between 1 and 10000000, got 0\n',
    ]);
  });

  it('starts without loading a service client library', () => {
    const probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-cli-')), 'loaded.js');
    fs.writeFileSync(probe, "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n");
    const { code, stderr } = clicklake(['help'], ['--require', probe]);
    const loaded = JSON.parse(/LOADED (.*)/.exec(stderr)?.[1] ?? '[]') as string[];
    expect(loaded.some((file) => file.includes(`${path.sep}commander${path.sep}`))).toBe(true);
    expect([code, loaded.filter((file) => HEAVY.some((name) => file.includes(`node_modules${path.sep}${name}`)))]).toEqual([0, []]);
  });
});
