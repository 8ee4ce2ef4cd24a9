// The port the agent runs host programs through (ip, nft, mount, runc, the runc shim). README.md says why
// the default goes through a small helper process rather than forking the agent for each one.

export interface RunOptions {
  /** Fed on stdin (a trailing newline is added when missing); stdin is /dev/null without it. */
  readonly input?: string;
  /** Killed (SIGTERM, SIGKILL 5 s later), with what it started, when it runs longer; exit status 124 then, as coreutils `timeout`. */
  readonly timeoutMs?: number;
  /** Keep stdout (default: discarded). */
  readonly stdout?: boolean;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ProcessRunner {
  /** Runs a program (no shell in between as far as its arguments go) and resolves with how it ended; never rejects for a non-zero exit. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a program that outlives the agent (not in its session or process group; stdio /dev/null); resolves with its pid. */
  spawnDetached(file: string, args: readonly string[]): Promise<number>;
  /**
   * Starts a program that outlives the agent under a supervisor that waits for it: the program's stdout and
   * stderr are appended to `files.stdout` and `files.stderr` (stdin /dev/null), and when it ends its exit
   * status is written to `files.status` as "<status>\n". Resolves with the supervisor's pid.
   */
  spawnSupervised(file: string, args: readonly string[], files: SupervisedFiles): Promise<number>;
}

export interface SupervisedFiles {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: string;
}
