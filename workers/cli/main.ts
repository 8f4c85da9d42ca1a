/**
 * Runs one command line and says how it ended (CONTRACT §4, docs/cli.md): with `--json`, stdout holds
 * exactly one JSON document, the command's result or `{"error", "exit_code"}`; without it, the text a
 * person reads. Progress and logs go to stderr. Exit 0 on success, 1 on a failure (one line
 * `clicklake: <reason>` on stderr), 2 on a usage error (the same line; no stack trace).
 */
import { errorMessage } from '../../core/errors';
import { BIN, parseCommandLine, UsageError, wantsJson } from './program';
import type { CliCommand, CommandContext, Outcome } from './command';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

interface Streams {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

function reason(text: string): string {
  return `${BIN}: ${text.split('\n')[0] ?? ''}\n`;
}

/** Only the entry writes stdout: whatever a command or a library writes there meanwhile goes to stderr. */
async function withStdoutToStderr<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

async function outcomeOf(argv: readonly string[], commands: readonly CliCommand[], streams: Streams): Promise<{ json: boolean; outcome: Outcome }> {
  const parsed = parseCommandLine(argv, commands);
  const context: CommandContext = { json: parsed.json, progress: (message) => streams.stderr(reason(message)), commands };
  return { json: parsed.json, outcome: await parsed.command.run(parsed.options, parsed.words, context) };
}

/** The exit code of `argv`; `streams` are the process's own unless a test gives others. */
export async function main(argv: readonly string[], commands: readonly CliCommand[], streams?: Streams): Promise<number> {
  const out: Streams = streams ?? {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
  const print = (json: boolean, value: unknown, text: () => string): void => out.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : text());
  try {
    const { json, outcome } = streams === undefined ? await withStdoutToStderr(() => outcomeOf(argv, commands, out)) : await outcomeOf(argv, commands, out);
    print(json, outcome.value, outcome.text);
    if (outcome.failure === undefined) return EXIT_OK;
    out.stderr(reason(outcome.failure));
    return EXIT_FAILED;
  } catch (err) {
    const code = err instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
    const message = errorMessage(err);
    if (wantsJson(argv)) print(true, { error: message, exit_code: code }, () => '');
    out.stderr(reason(message));
    return code;
  }
}
