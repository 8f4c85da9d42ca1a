/**
 * The command line, parsed by commander (docs/cli.md says why this library): the commands of
 * commands.ts become commander commands (`stack up` a subcommand of `stack`), each option carries
 * its rule, and every way a command line can be wrong is a UsageError naming the command or flag.
 * Parsing does no I/O and runs no command, so it is unit-tested as it is.
 */
import { Command, CommanderError, Option } from 'commander';
import { BadInputError } from '../../core/errors';
import { flagOf, type CliCommand, type OptionSpec } from './command';

/** A command line that cannot run as given: exit 2 (CONTRACT §4, docs/cli.md). */
export class UsageError extends BadInputError {}

export interface ParsedCommandLine {
  readonly command: CliCommand;
  readonly options: Readonly<Record<string, unknown>>;
  readonly words: string;
  /** `--json` anywhere on the line. */
  readonly json: boolean;
  /** `--help` anywhere on the line: `command` is then `help`, and `words` the command it describes. */
  readonly help: boolean;
}

/** The options every command takes, wherever they stand on the line. */
export const GLOBAL_OPTIONS = {
  json: { kind: 'flag', description: 'print exactly one JSON document on stdout (progress and logs go to stderr)', defaultValue: false },
  help: { kind: 'flag', description: 'show the help of the command instead of running it', defaultValue: false },
} as const satisfies Record<string, OptionSpec<boolean>>;

export const BIN = 'clicklake';

function optionOf(key: string, spec: OptionSpec<unknown>): Option {
  const flag = flagOf(key);
  const option = new Option(spec.valueName === undefined ? flag : `${flag} <${spec.valueName}>`, describe(spec));
  if (spec.parse !== undefined) {
    const parse = spec.parse;
    option.argParser((raw: string) => parse(raw, flag));
  }
  if (spec.defaultValue !== undefined && spec.kind !== 'flag') option.default(spec.defaultValue);
  return option;
}

function describe(spec: OptionSpec<unknown>): string {
  const range = spec.rule === undefined ? '' : ` (${spec.rule.min} to ${spec.rule.max}${spec.rule.integer ? ', whole' : ''})`;
  return `${spec.description}${range}${spec.required ? ' (required)' : ''}`;
}

/** The group command of `stack` in `stack up`: refuses to run alone or with a word it does not know; `--help` asks for its help. */
function groupOf(parent: Command, word: string, onHelp: (group: string) => void): Command {
  const found = parent.commands.find((c) => c.name() === word);
  if (found !== undefined) return found;
  const group = parent.command(word).allowExcessArguments(true);
  group.action((_options: unknown, self: Command) => {
    if (self.optsWithGlobals<{ help?: boolean }>().help === true) return onHelp(word);
    const names = self.commands.map((c) => c.name()).join(', ');
    const given = self.args[0];
    throw given === undefined ? new UsageError(`${word}: give a subcommand: ${names}`) : unknownCommand(`${word} ${given}`);
  });
  return group;
}

/** The commander program of `commands`; `onAction` is told which command the line calls and with what. */
export function buildProgram(
  commands: readonly CliCommand[],
  onAction: (command: CliCommand, options: Record<string, unknown>, words: string[]) => void = () => undefined,
  onGroupHelp: (group: string) => void = () => undefined,
): Command {
  const program = new Command(BIN)
    .helpOption(false)
    .helpCommand(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .description('An ad-clickstream lakehouse on the local stack (CONTRACT §4, docs/cli.md)');
  for (const [key, spec] of Object.entries(GLOBAL_OPTIONS)) program.addOption(optionOf(key, spec));
  for (const command of commands) {
    const words = command.name.split(' ');
    const parent = words.slice(0, -1).reduce((at: Command, word) => groupOf(at, word, onGroupHelp), program);
    const sub = parent.command(words[words.length - 1] as string).description(command.summary);
    for (const [key, spec] of Object.entries(command.options)) sub.addOption(optionOf(key, spec));
    if (command.words !== undefined) sub.argument(`[${command.words.name}...]`, command.words.description);
    const switchesOff = Object.fromEntries(Object.entries(command.options).filter(([, spec]) => spec.kind === 'flag').map(([key]) => [key, false]));
    sub.action((...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      onAction(command, { ...switchesOff, ...self.opts() }, command.words === undefined ? [] : ((args[0] as string[] | undefined) ?? []));
    });
  }
  describeGroups(program);
  return program;
}

/** commander's help lists a group (`stack`) by its description: name its subcommands there. */
function describeGroups(command: Command): void {
  for (const sub of command.commands) {
    if (sub.commands.length === 0) continue;
    sub.description(`${sub.commands.map((c) => c.name()).join(' | ')} (see \`${BIN} help ${sub.name()}\`)`);
    describeGroups(sub);
  }
}

function unknownCommand(words: string): UsageError {
  return new UsageError(`unknown command "${words}"; see \`${BIN} help\``);
}

/** `error: unknown option '--bogus'` as commander says it, without its `error: ` prefix; an unknown command as before. */
function usageOf(err: CommanderError): UsageError {
  const command = err.code === 'commander.unknownCommand' ? /unknown command '([^']*)'/.exec(err.message) : null;
  return command ? unknownCommand(command[1] as string) : new UsageError(err.message.replace(/^error: /, ''));
}

function checkRequired(command: CliCommand, options: Readonly<Record<string, unknown>>): void {
  for (const [key, spec] of Object.entries(command.options)) {
    const value = options[key];
    if (spec.required && (value === undefined || value === '')) throw new UsageError(`${command.name}: ${flagOf(key)} ${spec.valueName ?? ''} is required`.replace(/ +is/, ' is'));
  }
}

/** The command a line calls and its options; a line naming no command asks for help. */
export function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[]): ParsedCommandLine {
  const line = argv.some((a) => !a.startsWith('-')) ? [...argv] : ['help', ...argv];
  let called: { command: CliCommand; options: Record<string, unknown>; words: string[] } | undefined;
  const help = commands.find((c) => c.name === 'help');
  const program = buildProgram(
    commands,
    (command, options, words) => {
      called = { command, options, words };
    },
    (group) => {
      if (help !== undefined) called = { command: help, options: {}, words: [group] };
    },
  );
  try {
    program.parse(line, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw usageOf(err);
    // A value its option's rule refuses (an option parser's BadInputError) is a usage error too.
    if (err instanceof BadInputError && !(err instanceof UsageError)) throw new UsageError(err.message);
    throw err;
  }
  if (called === undefined) throw new UsageError(`no command in "${argv.join(' ')}"; see \`${BIN} help\``);
  const globals = program.opts<{ json: boolean; help: boolean }>();
  // `<command> --help` is `help <command>`.
  if (globals.help && help !== undefined && called.command !== help) called = { command: help, options: {}, words: [called.command.name] };
  checkRequired(called.command, called.options);
  return { command: called.command, options: called.options, words: called.words.join(' ').trim(), json: globals.json === true, help: globals.help === true };
}

/** Whether a line asks for JSON, read without parsing it (so a line that does not parse still answers in JSON). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}
