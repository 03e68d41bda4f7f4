/** A run's attempts (run.json): the first submit and each restart. Pure. */
import type { RunAttempt, RunRecord } from '../model/run.js';

/** Every attempt of a run, oldest first; a run.json written before restarts existed has one. */
export function attemptsOf(record: RunRecord): RunAttempt[] {
  if (record.attempts && record.attempts.length > 0) return record.attempts;
  return [{ dagmanJobId: record.dagmanJobId, submittedAt: record.submittedAt }];
}

/**
 * The record once `next` was submitted: the attempt before is closed with how it `ended`; `next` becomes the
 * run's DAGMan job (status, report and rm follow it). Adding the same DAGMan job twice changes nothing.
 */
export function withAttempt(record: RunRecord, ended: RunAttempt['ended'], next: RunAttempt): RunRecord {
  const before = attemptsOf(record);
  if (before.some((a) => a.dagmanJobId === next.dagmanJobId)) return record;
  const closed = before.map((a, i) =>
    i === before.length - 1 && ended && a.ended === undefined ? { ...a, ended } : a,
  );
  return {
    ...record,
    dagmanJobId: next.dagmanJobId,
    submittedAt: next.submittedAt,
    attempts: [...closed, next],
  };
}

/**
 * The copy of attempt `n`'s nodes log (1-based) that restart keeps: DAGMan truncates `<dag>.nodes.log` when
 * the next attempt starts.
 */
export function attemptNodesLog(dagFile: string, n: number): string {
  return `${dagFile}.nodes.log.attempt${n}`;
}
