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

/**
 * As failureOf, for a command about a run at another organisation's site: when HTCondor there did not answer,
 * the message says which site, that nothing was changed (`what` was not done), and that the run goes on there.
 */
export function siteFailureOf(e: unknown, run: { site: string; pool?: string }, what: string): Failure {
  const f = failureOf(e);
  if (f.kind !== 'condor' || run.pool === undefined) return f;
  return fail(
    'condor',
    `site ${run.site} (pool ${run.pool}) did not answer: ${f.message} — ${what}; the run goes on at the site: try again when it answers`,
  );
}
