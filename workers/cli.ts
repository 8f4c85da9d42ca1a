/**
 * `clicklake <command>` (CONTRACT §4). With `--json`, stdout holds exactly one JSON document; progress
 * and logs go to stderr. Failures exit non-zero with a one-line reason.
 */
import { parseArgs, type ParsedArgs } from '../core/args';
import { ensureSecrets } from '../infra/secrets';
import { layoutOf } from '../infra/layout';
import { stackDown, stackStatus, stackUp, type StackStatus } from '../infra/stack';
import { loadConfig } from './config';

const USAGE = `usage: clicklake <command> [--json]

commands:
  stack up        install (cached) and start the local stack, then bootstrap topics, bucket and schemas
  stack down      stop every local service (data stays in the state folder)
  stack status    ask every service a real protocol question and print its endpoints
  demo            the main job: bring the stack up and show what runs where
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
    const config = loadConfig();
    emit({ status }, () => {
      printStatus(status);
      process.stdout.write(
        [
          '',
          'Where to look:',
          `  Temporal Web UI   ${config.temporal.uiUrl}`,
          `  Presto (Trino)    ${config.presto.url}/ui/   (catalog ${config.presto.catalog}: schemas bronze, silver, gold, audit)`,
          `  S3 console        http://${config.s3.host}:${config.s3.consolePort}   (credentials in ${layoutOf(config.paths).secretsFile})`,
          '',
        ].join('\n'),
      );
    });
    return status.healthy ? 0 : 1;
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
