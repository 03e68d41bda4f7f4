/**
 * Why a use case could not do its job, as data. `kind` is what the CLI turns into the exit code of
 * design.md §3: `invalid` 1, `usage` 2, `condor` 3 (HTCondor missing or failing).
 */
import { CondorCommandError, CondorUnavailableError } from '../condor/exec.js';

export type FailureKind = 'invalid' | 'usage' | 'condor';

export interface Failure {
  ok: false;
  kind: FailureKind;
  message: string;
}

export function fail(kind: FailureKind, message: string): Failure {
  return { ok: false, kind, message };
}

/** An error thrown below a use case (HTCondor missing or failing, a file unreadable, …) as a Failure. */
export function failureOf(e: unknown): Failure {
  const message = (e as Error).message ?? String(e);
  if (e instanceof CondorUnavailableError || e instanceof CondorCommandError) return fail('condor', message);
  return fail('invalid', message);
}
