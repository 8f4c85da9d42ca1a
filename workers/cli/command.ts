/**
 * What a CLI command is: a name, its options (each with its rule), and a function from the parsed
 * options to an Outcome that `--json` prints. One command a file under workers/cli/; commands.ts
 * lists them. A command file imports services lazily, inside `run` (`await import(...)`), so that
 * parsing and `clicklake help` load no client library and start in a fraction of a second.
 */
import { BadInputError } from '../../core/errors';

export interface NumberRule {
  readonly min: number;
  readonly max: number;
  readonly integer?: boolean;
}

export interface OptionSpec<T> {
  readonly kind: 'number' | 'text' | 'flag';
  readonly description: string;
  /** The placeholder of the value in help (`R`, `FILE`); flags have none. */
  readonly valueName?: string;
  readonly defaultValue?: T;
  readonly rule?: NumberRule;
  /** Checked after parsing, so the message can name the command. */
  readonly required?: boolean;
  /** From the raw text to the value; a bad value is a BadInputError naming the flag. */
  readonly parse?: (raw: string, flag: string) => T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any option type; the mapped type below keeps each one precise
export type OptionSpecs = Readonly<Record<string, OptionSpec<any>>>;

export type OptionValues<S extends OptionSpecs> = { readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

/** What a command hands back: the document `--json` prints, the text a person reads, and whether it failed. */
export interface Outcome {
  readonly value: unknown;
  readonly text: () => string;
  /** Set when the command did its work but the result is a failure: exit 1 with this one-line reason on stderr. */
  readonly failure?: string;
}

export interface CommandContext {
  readonly json: boolean;
  /** Progress for a person: stderr, never stdout. */
  readonly progress: (message: string) => void;
  /** Every command of the CLI (help describes them). */
  readonly commands: readonly CliCommand[];
}

export interface CliCommand<S extends OptionSpecs = OptionSpecs> {
  /** The words that call it: `generate`, `stack up`. */
  readonly name: string;
  readonly summary: string;
  readonly options: S;
  /** Free words after the command (e.g. the SQL of `query`), joined by spaces into `words`. */
  readonly words?: { readonly name: string; readonly description: string };
  run(options: OptionValues<S>, words: string, context: CommandContext): Promise<Outcome>;
}

/** Keeps a command's options typed inside its own file; the list of commands needs no more than CliCommand. */
export function defineCommand<S extends OptionSpecs>(command: CliCommand<S>): CliCommand {
  return command as unknown as CliCommand;
}

/** `--dup-pct` for `dupPct`: commander derives the same camel-case key back from the flag. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The value of an option that takes one; `--truth --json` is a missing value, not a file named `--json`. */
function valueOf(raw: string, flag: string): string {
  if (raw.startsWith('--')) throw new BadInputError(`${flag}: needs a value`);
  return raw;
}

export function parseNumber(raw: string, flag: string, rule: NumberRule): number {
  const value = valueOf(raw, flag);
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new BadInputError(`${flag}: must be a number, got "${value}"`);
  if (rule.integer && !Number.isInteger(n)) throw new BadInputError(`${flag}: must be a whole number, got ${value}`);
  if (n < rule.min || n > rule.max) throw new BadInputError(`${flag}: must be between ${rule.min} and ${rule.max}, got ${value}`);
  return n;
}

/** A number within `rule`; its default when absent (without one, undefined). */
export function numberOption(valueName: string, description: string, rule: NumberRule & { readonly default: number }): OptionSpec<number>;
export function numberOption(valueName: string, description: string, rule: NumberRule): OptionSpec<number | undefined>;
export function numberOption(valueName: string, description: string, rule: NumberRule & { readonly default?: number }): OptionSpec<number | undefined> {
  const { default: defaultValue, ...bounds } = rule;
  return { kind: 'number', valueName, description, defaultValue, rule: bounds, parse: (raw, flag) => parseNumber(raw, flag, bounds) };
}

/** A text value; undefined when absent unless `required` (then the command refuses to run without it). `check` may refuse a value. */
export function textOption(valueName: string, description: string, options: TextRule & { readonly required: true }): OptionSpec<string>;
export function textOption(valueName: string, description: string, options?: TextRule): OptionSpec<string | undefined>;
export function textOption(valueName: string, description: string, options: TextRule = {}): OptionSpec<string | undefined> {
  const parse = (raw: string, flag: string): string => {
    const value = valueOf(raw, flag);
    options.check?.(value, flag);
    return value;
  };
  return { kind: 'text', valueName, description, required: options.required, parse };
}

export interface TextRule {
  readonly required?: boolean;
  /** Throws a BadInputError when the value is no good. */
  readonly check?: (value: string, flag: string) => void;
}

/** A switch without a value: false unless given. */
export function flagOption(description: string): OptionSpec<boolean> {
  return { kind: 'flag', description, defaultValue: false };
}
