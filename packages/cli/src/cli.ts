// Dispatches `platform <noun> <verb> [flags] [arguments]` to a registered command and maps failures to exit codes.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { formatError, isTrcError, TrcError, userError } from '@trc/core';
import type { Command, CommandInput, CliIo } from './command.ts';
import { EXIT } from './exit-codes.ts';
import { commandFlags, commandHelp, commandName, nounHelp, topHelp, usageLine } from './help.ts';
import { didYouMean } from './suggest.ts';

/** The commands the CLI knows, and a one-line summary per noun (see registry.ts). */
export interface CommandSet {
  readonly nouns: Readonly<Record<string, string>>;
  readonly commands: readonly Command[];
  readonly version: string;
}

const USAGE_CODES = new Set(['TRC_CLI_UNKNOWN_NOUN', 'TRC_CLI_UNKNOWN_VERB', 'TRC_CLI_UNKNOWN_FLAG', 'TRC_CLI_USAGE']);

function suggestion(input: string, candidates: Iterable<string>, fallback: string): string {
  const guess = didYouMean(input, candidates);
  return guess === undefined ? fallback : `did you mean '${guess}'? (${fallback})`;
}

/** Runs one command line and returns the process exit code; never throws. */
export async function runCli(argv: readonly string[], set: CommandSet, io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, set, io);
  } catch (e) {
    return report(e, io);
  }
}

const AUTH_CODES = new Set(['TRC_CLI_NOT_LOGGED_IN', 'TRC_UNAUTHENTICATED', 'TRC_FORBIDDEN']);

function report(e: unknown, io: CliIo): number {
  // The control plane's answer, whatever its kind: the server already logged its own bugs.
  if (isTrcError(e) && e.details.fromServer === true) {
    io.stderr(`${formatError(e)}\n`);
    return AUTH_CODES.has(e.code) ? EXIT.AUTH : EXIT.FAILURE;
  }
  if (isTrcError(e) && e.kind === 'user') {
    io.stderr(`${formatError(e)}\n`);
    if (AUTH_CODES.has(e.code)) return EXIT.AUTH;
    if (e.code === 'TRC_CLI_UNREACHABLE') return EXIT.UNAVAILABLE;
    if (USAGE_CODES.has(e.code)) return EXIT.USAGE;
    return e.code === 'TRC_CLI_INPUT_UNREADABLE' ? EXIT.NO_INPUT : EXIT.FAILURE;
  }
  const bug = isTrcError(e) ? e : new TrcError('TRC_INTERNAL', `platform failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  io.stderr(`${formatError(bug)}\n${stack}\nHint: this is a bug in platform, not in your input; please report it with the output above.\n`);
  return EXIT.BUG;
}

async function dispatch(argv: readonly string[], set: CommandSet, io: CliIo): Promise<number> {
  const [noun, verb, ...rest] = argv;
  if (noun === undefined) {
    io.stderr(topHelp(set));
    return EXIT.USAGE;
  }
  if (noun === '--help' || noun === '-h' || noun === 'help') {
    io.stdout(topHelp(set));
    return EXIT.OK;
  }
  if (noun === '--version') {
    io.stdout(`platform ${set.version}\n`);
    return EXIT.OK;
  }
  if (noun.startsWith('-')) {
    throw userError('TRC_CLI_UNKNOWN_FLAG', `unknown flag ${noun}`, suggestion(noun, ['--help', '--version'], "run 'platform --help'"));
  }
  if (!(noun in set.nouns)) {
    throw userError('TRC_CLI_UNKNOWN_NOUN', `unknown noun '${noun}'`, suggestion(noun, Object.keys(set.nouns), "run 'platform --help' for the list"));
  }
  const verbs = set.commands.filter((c) => c.noun === noun);
  // A noun that is a command by itself (`platform deploy --app A ...`) takes everything after it.
  const alone = verbs.find((c) => c.verb === '');
  if (alone !== undefined) return runCommand(alone, argv.slice(1), io);
  if (verb === undefined) {
    io.stderr(nounHelp(set, noun));
    return EXIT.USAGE;
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout(nounHelp(set, noun));
    return EXIT.OK;
  }
  const command = verbs.find((c) => c.verb === verb);
  if (command === undefined) {
    throw userError('TRC_CLI_UNKNOWN_VERB', `'platform ${noun}' has no verb '${verb}'`, suggestion(verb, verbs.map((c) => c.verb), `run 'platform ${noun} --help' for the list`));
  }
  return runCommand(command, rest, io);
}

async function runCommand(command: Command, args: readonly string[], io: CliIo): Promise<number> {
  const input = parseCommandLine(command, args);
  if (input === 'help') {
    io.stdout(commandHelp(command));
    return EXIT.OK;
  }
  return command.run(input, io);
}

function parseCommandLine(command: Command, args: readonly string[]): CommandInput | 'help' {
  const flags = commandFlags(command);
  const options: ParseArgsOptionsConfig = {};
  for (const [name, f] of Object.entries(flags)) {
    options[name] = { type: f.type, ...(f.short === undefined ? {} : { short: f.short }), ...(f.multiple === true ? { multiple: true } : {}) };
  }
  const usageHint = `usage: ${usageLine(command)}; run '${commandName(command)} --help'`;
  // A lenient pass first: it names an unknown flag (with a did-you-mean) and lets --help win over other mistakes.
  const loose = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of loose.tokens) {
    if (token.kind === 'option' && !(token.name in flags)) {
      const names = Object.keys(flags).map((n) => `--${n}`);
      throw userError('TRC_CLI_UNKNOWN_FLAG', `'${commandName(command)}' has no flag ${token.rawName}`, suggestion(`--${token.name}`, names, `its flags: ${names.join(', ')}`));
    }
  }
  if (loose.values.help === true) return 'help';
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (e) {
    throw userError('TRC_CLI_USAGE', e instanceof Error ? e.message : String(e), usageHint);
  }
  const positionals = parsed.positionals;
  const named: Record<string, string | undefined> = {};
  let i = 0;
  let rest: string[] = [];
  for (const spec of command.args) {
    if (spec.variadic === true) {
      rest = positionals.slice(i);
      i = positionals.length;
      if (rest.length === 0 && spec.optional !== true) throw userError('TRC_CLI_USAGE', `missing argument ${spec.name}`, usageHint);
      break;
    }
    const value = positionals[i];
    if (value === undefined && spec.optional !== true) throw userError('TRC_CLI_USAGE', `missing argument ${spec.name}`, usageHint);
    named[spec.name] = value;
    i++;
  }
  // The extra argument is not quoted: on some commands it could be a secret.
  if (i < positionals.length) throw userError('TRC_CLI_USAGE', `too many arguments: ${positionals.length} given, at most ${command.args.length}`, usageHint);
  const { help: _help, json, ...values } = parsed.values as Record<string, string | boolean | string[] | undefined>;
  return { args: named, rest, flags: values, json: json === true };
}
