/** The reports of a restarted run's attempts, and where a step not run again had succeeded. Pure. */
import type { RunAttempt } from '../model/run.js';
import type { Lane, LatencyReport } from './types.js';

export interface AttemptReport {
  attempt: RunAttempt;
  report: LatencyReport;
}

/** Each attempt (run.json, oldest first) with its report; the steps it did not run again are its `doneBefore`. */
export function attemptReports(attempts: RunAttempt[], reports: LatencyReport[]): AttemptReport[] {
  return attempts.flatMap((attempt, i) => {
    const r = reports[i];
    if (!r) return [];
    return [{ attempt, report: attempt.skipped ? { ...r, doneBefore: attempt.skipped } : r }];
  });
}

/** Where a step of `doneBefore` succeeded: attempt `attempt` (1-based), and its lane there if that shows it done. */
export interface DoneEarlier {
  attempt: number;
  dagmanJobId: number;
  lane?: Lane;
}

/**
 * For each step of `r.doneBefore` (the steps text and JSON say were done in an earlier attempt): the attempt
 * it succeeded in — the one before the first attempt that skipped it (run.json) — and its lane in that
 * attempt's report. A step whose attempt is not among `attempts` is left out.
 */
export function doneEarlier(r: LatencyReport, attempts: AttemptReport[]): Map<string, DoneEarlier> {
  const out = new Map<string, DoneEarlier>();
  for (const step of r.doneBefore ?? []) {
    const i = attempts.findIndex((a) => a.attempt.skipped?.includes(step));
    const before = attempts[i - 1];
    if (!before) continue;
    const lane = before.report.lanes.find((l) => l.name === step && l.end?.outcome === 'done');
    out.set(step, { attempt: i, dagmanJobId: before.attempt.dagmanJobId, ...(lane ? { lane } : {}) });
  }
  return out;
}
