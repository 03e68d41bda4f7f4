/** Shared by the commands that run HTCondor: a use case's Failure, or an error, as output and exit code. */
import type { Failure, FailureKind } from '../usecases/failure.js';
import { failureOf } from '../usecases/failure.js';
import { ExitCode, type Output } from './types.js';

const EXIT_CODE: Record<FailureKind, number> = {
  invalid: ExitCode.invalid,
  usage: ExitCode.usage,
  condor: ExitCode.condor,
};

/** The message on stderr (or `{ok: false, error}` on stdout with --json), and the exit code of design.md §3. */
export function printFailure(f: Failure, out: Output, json: boolean): number {
  if (json) out.out(`${JSON.stringify({ ok: false, error: f.message })}\n`);
  else out.err(`vmdag: ${f.message}\n`);
  return EXIT_CODE[f.kind];
}

/** An error as printFailure prints it (HTCondor missing or failing: 3, anything else: 1). */
export function reportError(e: unknown, out: Output, json: boolean): number {
  return printFailure(failureOf(e), out, json);
}
