// The exit codes of `platform`, documented in docs/cli.md; scripts depend on them, so they never change meaning.
export const EXIT = {
  /** Success. */
  OK: 0,
  /** The command ran and the answer is "no" (e.g. an invalid file), or a user error from the platform. */
  FAILURE: 1,
  /** Usage error: unknown noun, verb or flag, wrong arguments. */
  USAGE: 2,
  /** A file named on the command line cannot be read (sysexits EX_NOINPUT). */
  NO_INPUT: 66,
  /** A bug in platform: printed with its stack (sysexits EX_SOFTWARE). */
  BUG: 70,
} as const;
