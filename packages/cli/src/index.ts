// @trc/cli: the `platform` command line. Commands live in commands/ and are listed in registry.ts.
export { runCli, type CommandSet } from './cli.ts';
export type { ArgSpec, CliIo, Command, CommandInput, FlagSpec } from './command.ts';
export { EXIT } from './exit-codes.ts';
export { readInput } from './input.ts';
export { COMMANDS, NOUNS } from './registry.ts';
