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

/** A numeric option, or its default; a bad value is a BadInputError naming the option and the rule. */
export function numberFlag(
  args: ParsedArgs,
  name: string,
  fallback: number,
  rule: { readonly min: number; readonly max: number; readonly integer?: boolean },
): number {
  const value = args.flags[name];
  if (value === undefined) return fallback;
  if (value === true) throw new BadInputError(`--${name}: needs a value`);
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new BadInputError(`--${name}: must be a number, got "${value}"`);
  if (rule.integer && !Number.isInteger(n)) throw new BadInputError(`--${name}: must be a whole number, got ${value}`);
  if (n < rule.min || n > rule.max) throw new BadInputError(`--${name}: must be between ${rule.min} and ${rule.max}, got ${value}`);
  return n;
}

/** A string option, or undefined when absent; a bare `--name` without a value is refused. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  if (value === true) throw new BadInputError(`--${name}: needs a value`);
  return value;
}
