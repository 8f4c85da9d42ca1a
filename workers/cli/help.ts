/** `clicklake help [COMMAND]`: the commands and their options, as text or (`--json`) as one document. */
import type { Command } from 'commander';
import { defineCommand, flagOf, type CliCommand, type OptionSpec } from './command';
import { buildProgram, GLOBAL_OPTIONS, UsageError } from './program';

function describeOption(key: string, spec: OptionSpec<unknown>) {
  return {
    flag: flagOf(key),
    value: spec.valueName ?? null,
    description: spec.description,
    default: spec.defaultValue ?? null,
    ...(spec.rule ? { min: spec.rule.min, max: spec.rule.max, integer: spec.rule.integer === true } : {}),
    required: spec.required === true,
  };
}

/** Every command (or the one named) with its options, in the order commands.ts lists them. */
export function helpDocument(commands: readonly CliCommand[], name?: string) {
  const chosen = name === undefined ? commands : commands.filter((c) => c.name === name || c.name.startsWith(`${name} `));
  return {
    usage: 'clicklake <command> [options]',
    global_options: Object.entries(GLOBAL_OPTIONS).map(([key, spec]) => describeOption(key, spec)),
    commands: chosen.map((c) => ({
      name: c.name,
      summary: c.summary,
      ...(c.words ? { arguments: [{ name: c.words.name, description: c.words.description }] } : {}),
      options: Object.entries(c.options).map(([key, spec]) => describeOption(key, spec)),
    })),
  };
}

/** commander's help text of the program or of the named command (`stack` or `stack up`). */
export function helpText(commands: readonly CliCommand[], name?: string): string {
  let at: Command = buildProgram(commands);
  for (const word of name === undefined ? [] : name.split(' ')) {
    const next = at.commands.find((c) => c.name() === word);
    if (next === undefined) throw new UsageError(`help: unknown command "${name}"`);
    at = next;
  }
  return at.helpInformation();
}

export const helpCommand = defineCommand({
  name: 'help',
  summary: 'the commands and their options (--json: as one JSON document)',
  options: {},
  words: { name: 'COMMAND', description: 'the command to describe (default: all)' },
  async run(_options, name, { commands }) {
    const which = name === '' ? undefined : name;
    const text = helpText(commands, which);
    return { value: helpDocument(commands, which), text: () => text };
  },
});
