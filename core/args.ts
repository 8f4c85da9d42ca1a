/**
 * Command-line arguments: positional words and `--name value` / `--name=value` / `--flag` options.
 * Pure, so the CLI's parsing is unit-tested without spawning it.
 */
import { BadInputError } from './errors';

export interface ParsedArgs {
  readonly positional: readonly string[];
  readonly flags: Readonly<Record<string, string | true>>;
}

/** Options that never take a value, so `--json stack` does not swallow `stack`. */
const BOOLEAN_FLAGS = new Set(['json', 'help', 'wait', 'follow']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (name === '') throw new BadInputError(`empty option name in "${arg}"`);
    if (eq >= 0) {
      flags[name] = body.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    if (!BOOLEAN_FLAGS.has(body) && next !== undefined && !next.startsWith('--')) {
      flags[body] = next;
      i++;
    } else {
      flags[body] = true;
    }
  }
  return { positional, flags };
}
