// Help texts at every level of the grammar: `platform --help`, `platform <noun> --help`, `platform <noun> <verb> --help`.
import type { Command, FlagSpec } from './command.ts';
import type { CommandSet } from './cli.ts';

export const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', description: 'Show this help' };
export const JSON_FLAG: FlagSpec = { type: 'boolean', description: 'Print the result as one JSON document on stdout' };

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}   ${right}`);
}

export function topHelp(set: CommandSet): string {
  return [
    'platform: the TRC command line.',
    '',
    'Usage: platform <noun> <verb> [flags] [arguments]',
    '',
    'Nouns:',
    ...table(Object.entries(set.nouns)),
    '',
    'Flags:',
    ...table([['-h, --help', 'Show this help'], ['    --version', 'Print the version']]),
    '',
    "Run 'platform <noun> --help' for a noun's verbs. Exit codes: 0 ok, 1 failure, 2 usage, 3 not logged in or refused, 66 unreadable input, 69 control plane unreachable, 70 bug (docs/cli.md).",
    '',
  ].join('\n');
}

export function nounHelp(set: CommandSet, noun: string): string {
  const verbs = set.commands.filter((c) => c.noun === noun);
  return [
    `platform ${noun}: ${set.nouns[noun] ?? ''}`,
    '',
    `Usage: platform ${noun} <verb> [flags] [arguments]`,
    '',
    'Verbs:',
    ...table(verbs.map((c) => [c.verb === '' ? '(none)' : c.verb, c.summary])),
    '',
    `Run 'platform ${noun} <verb> --help' for details.`,
    '',
  ].join('\n');
}

/** The flags a command accepts: its own, plus --json for read commands, plus --help. */
export function commandFlags(command: Command): Record<string, FlagSpec> {
  return { ...command.flags, ...(command.read ? { json: JSON_FLAG } : {}), help: HELP_FLAG };
}

/** `platform apps create`, or `platform deploy` for a noun that is a command by itself. */
export function commandName(command: Command): string {
  return command.verb === '' ? `platform ${command.noun}` : `platform ${command.noun} ${command.verb}`;
}

export function usageLine(command: Command): string {
  const args = command.args.map((a) => {
    const name = a.variadic === true ? `${a.name}...` : a.name;
    return a.optional === true ? `[${name}]` : name;
  });
  return [commandName(command), '[flags]', ...args].join(' ');
}

export function commandHelp(command: Command): string {
  const flags = Object.entries(commandFlags(command)).map(([name, f]): [string, string] => {
    const short = f.short === undefined ? '    ' : `-${f.short}, `;
    const value = f.type === 'string' ? ` ${f.valueName ?? 'VALUE'}` : '';
    return [`${short}--${name}${value}`, f.description];
  });
  const lines = [`${commandName(command)}: ${command.summary}`, '', `Usage: ${usageLine(command)}`, ''];
  if (command.description !== undefined) lines.push(command.description, '');
  if (command.args.length > 0) lines.push('Arguments:', ...table(command.args.map((a) => [a.name, a.description])), '');
  lines.push('Flags:', ...table(flags), '');
  if (command.examples !== undefined && command.examples.length > 0) lines.push('Examples:', ...command.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}
