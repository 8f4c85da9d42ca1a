/**
 * `clicklake <command>` (CONTRACT §4). With `--json`, stdout holds exactly one JSON document; progress
 * and logs go to stderr. Failures exit non-zero with a one-line reason.
 */
import { numberFlag, parseArgs, stringFlag, type ParsedArgs } from '../core/args';
import { requireSecrets } from '../core/config';
import { ensureSecrets } from '../infra/secrets';
import { layoutOf } from '../infra/layout';
import { stackDown, stackStatus, stackUp, type StackStatus } from '../infra/stack';
import { loadConfig } from './config';
import { runDemo, formatDemo } from './demo';
import { generate, writeTruth } from './generate';

const USAGE = `usage: clicklake <command> [--json]

commands:
  stack up        install (cached) and start the local stack, then bootstrap topics, bucket and schemas
  stack down      stop every local service (data stays in the state folder)
  stack status    ask every service a real protocol question and print its endpoints
  demo            the main job: bring the stack up, send traffic, show results and where to look
                    [--rate R (3000)] [--duration S (15)]
  generate        synthetic traffic through the collector
                    --rate R (events/s, 1000) --duration S (10) [--late-pct P] [--too-late-pct P]
                    [--dup-pct P] [--bad-pct P] [--truth FILE] [--seed N] [--batch N (500)]
                    [--concurrency N (4)] [--campaigns N (50)] [--users N (5000)] [--titles N (200)] [--gzip]
  help            this text
`;

function progress(message: string): void {
  process.stderr.write(`clicklake: ${message}\n`);
}

function printStatus(status: StackStatus): void {
  const rows = Object.entries(status.services).map(([name, s]) => {
    const endpoints = Object.entries(s)
      .filter(([k]) => !['healthy', 'detail', 'pid'].includes(k))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `${s.healthy ? 'UP  ' : 'DOWN'}  ${name.padEnd(16)} ${endpoints}\n      ${''.padEnd(16)} ${s.detail}`;
  });
  process.stdout.write(`${rows.join('\n')}\n${status.healthy ? 'all services healthy' : 'some services are down'}\n`);
}

async function up(): Promise<StackStatus> {
  // Secrets are generated before the first start; the config is read again to include them.
  ensureSecrets(layoutOf(loadConfig().paths).secretsFile);
  return stackUp(loadConfig(), progress);
}

async function run(args: ParsedArgs): Promise<number> {
  const json = args.flags.json === true;
  const emit = (value: unknown, human: () => void): void => {
    if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else human();
  };
  const [command, sub] = args.positional;

  if (command === 'stack' && sub === 'up') {
    const status = await up();
    emit(status, () => printStatus(status));
    return status.healthy ? 0 : 1;
  }
  if (command === 'stack' && sub === 'down') {
    await stackDown(loadConfig(), progress);
    emit({ stopped: true }, () => undefined);
    return 0;
  }
  if (command === 'stack' && sub === 'status') {
    const status = await stackStatus(loadConfig());
    emit(status, () => printStatus(status));
    return status.healthy ? 0 : 1;
  }
  if (command === 'demo') {
    const status = await up();
    if (!status.healthy) {
      emit({ status }, () => printStatus(status));
      return 1;
    }
    const config = loadConfig();
    const report = await runDemo(
      config,
      status,
      {
        ratePerSec: numberFlag(args, 'rate', 3000, { min: 1, max: 1_000_000 }),
        durationSec: numberFlag(args, 'duration', 15, { min: 1, max: 3600 }),
      },
      progress,
    );
    emit(report, () => {
      printStatus(status);
      process.stdout.write(formatDemo(report, layoutOf(config.paths).secretsFile));
    });
    return 0;
  }
  if (command === 'generate') {
    const config = loadConfig();
    requireSecrets(config);
    const pct = (name: string): number => numberFlag(args, name, 0, { min: 0, max: 100 }) / 100;
    const seed = numberFlag(args, 'seed', Date.now() % 2_147_483_647, { min: 0, max: 2_147_483_647, integer: true });
    const truthFile = stringFlag(args, 'truth');
    const result = await generate(
      config.collector,
      {
        ratePerSec: numberFlag(args, 'rate', 1000, { min: 1, max: 10_000_000 }),
        durationSec: numberFlag(args, 'duration', 10, { min: 0.1, max: 86_400 }),
        batchSize: numberFlag(args, 'batch', 500, { min: 1, max: 1000, integer: true }),
        concurrency: numberFlag(args, 'concurrency', 4, { min: 1, max: 256, integer: true }),
        gzip: args.flags.gzip === true,
        traffic: {
          seed,
          campaigns: numberFlag(args, 'campaigns', 50, { min: 1, max: 1_000_000, integer: true }),
          users: numberFlag(args, 'users', 5000, { min: 1, max: 100_000_000, integer: true }),
          titles: numberFlag(args, 'titles', 200, { min: 1, max: 1_000_000, integer: true }),
          lateFraction: pct('late-pct'),
          tooLateFraction: pct('too-late-pct'),
          duplicateFraction: pct('dup-pct'),
          malformedFraction: pct('bad-pct'),
        },
      },
      (line) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
      },
    );
    if (process.stderr.isTTY) process.stderr.write('\n');
    const truth = truthFile === undefined ? undefined : writeTruth(truthFile, result);
    const out = { ...result.summary, truth_file: truthFile ?? null, truth_stats: truth?.stats ?? null };
    emit(out, () => {
      const s = result.summary;
      process.stdout.write(
        `sent ${s.sent} events in ${s.durationSec} s (${s.eventsPerSec}/s, seed ${s.seed}): accepted ${s.accepted} (quarantined ${s.quarantined}), ` +
          `rejected ${s.rejected}, retries ${s.retries}\n` +
          (truthFile ? `truth (${truth?.stats.counted} counted events after dedup) written to ${truthFile}\n` : ''),
      );
    });
    return 0;
  }
  if (command === undefined || command === 'help' || args.flags.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  throw new Error(`unknown command "${args.positional.join(' ')}"; see \`clicklake help\``);
}

run(parseArgs(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`clicklake: ${message}\n`);
    process.exitCode = 1;
  });
