// What a CLI command is: its place in the grammar `platform <noun> <verb>`, its arguments and flags, and its run.

/** A positional argument, in order. Only the last may be variadic. */
export interface ArgSpec {
  /** Upper case, as shown in help: `FILE`. */
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
  readonly variadic?: boolean;
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in help for string flags: `--env ENV`. */
  readonly valueName?: string;
}

/** The parsed command line a command runs with. */
export interface CommandInput {
  /** Positional arguments by name; a variadic one is joined in `rest`. */
  readonly args: Readonly<Record<string, string | undefined>>;
  readonly rest: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | string[] | undefined>>;
  /** `--json` was given (read commands only): print one JSON document on stdout. */
  readonly json: boolean;
}

/** Everything a command may touch outside itself; tests substitute it. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads a file; fails with the platform's errno error (ENOENT...), which `readInput` turns into a user error. */
  readFile(path: string): Promise<Uint8Array>;
  readStdin(): Promise<Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard error is a terminal: progress is redrawn in place there, printed as plain lines otherwise. */
  readonly stderrIsTTY?: boolean;
}

export interface Command {
  readonly noun: string;
  readonly verb: string;
  /** One line, shown in lists. */
  readonly summary: string;
  /** Paragraphs shown in the command's own help. */
  readonly description?: string;
  readonly args: readonly ArgSpec[];
  readonly flags?: Readonly<Record<string, FlagSpec>>;
  /** A read command prints data and accepts `--json`. */
  readonly read: boolean;
  readonly examples?: readonly string[];
  /**
   * Returns the exit code (see exit-codes.ts). User errors are thrown as TrcError (exit 1, or 2 / 66 for the
   * CLI's usage and input codes); anything else thrown is a bug (exit 70, with its stack).
   */
  run(input: CommandInput, io: CliIo): Promise<number> | number;
}
