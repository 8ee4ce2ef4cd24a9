// The exit codes of `platform`, documented in docs/cli.md; scripts depend on them, so they never change meaning.
export const EXIT = {
  /** Success. */
  OK: 0,
  /** The command ran and the answer is "no" (e.g. an invalid file), or a user error from the platform. */
  FAILURE: 1,
  /** Usage error: unknown noun, verb or flag, wrong arguments. */
  USAGE: 2,
  /** Not logged in, or the control plane refused the token (TRC_UNAUTHENTICATED, TRC_FORBIDDEN). */
  AUTH: 3,
  /** A file named on the command line cannot be read (sysexits EX_NOINPUT). */
  NO_INPUT: 66,
  /** The control plane cannot be reached (sysexits EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** A bug in platform: printed with its stack (sysexits EX_SOFTWARE). */
  BUG: 70,
} as const;
