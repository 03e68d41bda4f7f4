import type { CondorContext } from '../condor/exec.js';

/**
 * The seam between command implementations and the process. Commands write through `Output` and return an
 * exit code; only `src/cli.ts` touches `process`, `console` and exit codes.
 */
export interface Output {
  /** Artefacts and JSON documents: stdout. */
  out(text: string): void;
  /** Progress, logs and diagnostics meant for people: stderr. */
  err(text: string): void;
  /** Whether stdout is a terminal (live views only then). */
  readonly isTTY: boolean;
  /** Columns of the terminal, when known. */
  readonly columns?: number;
  /**
   * A live view redrawn in place on the terminal (stderr), when there is one; absent when output is piped,
   * and commands then print line-oriented updates instead.
   */
  live?: { frame(text: string): void; done(): void };
}

/**
 * What the CLI hands a command besides its arguments and output: the process's working directory and
 * environment, and the HTCondor to talk to — found by the CLI (src/commands/condor-context.ts) on the first
 * call only, so that commands that never run HTCondor never look for it.
 */
export interface CommandIo {
  cwd: string;
  env: Record<string, string | undefined>;
  condor(): Promise<CondorContext>;
  /**
   * Ctrl-C (SIGINT) while a command follows something long: an AbortSignal that fires at the first one, until
   * `stop()`; meanwhile SIGINT does not end the process. Absent where there is no process (tests).
   */
  interrupts?(): { signal: AbortSignal; stop(): void };
  /** Ask the person at the terminal and return the answer's line; absent when stdin is not a terminal. */
  ask?(question: string): Promise<string>;
}

/** Exit codes of design.md §3. */
export const ExitCode = {
  ok: 0,
  invalid: 1,
  usage: 2,
  condor: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
