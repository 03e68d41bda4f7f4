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

/**
 * `restarting.json`: what restart attempt `attempt` records, written before the restart changes anything in
 * the run directory and removed once run.json records the attempt. A restart killed after it wrote the
 * changed files leaves it: the next restart adopts the DAG it queued, or submits one itself and takes the
 * changes from here (it finds none left between the run directory and the workflow).
 */
export interface Restarting {
  attempt: number;
  rescue: string;
  skipped: string[];
  changed: NonNullable<RunAttempt['changed']>;
  /** How the attempt before ended. */
  ended?: RunAttempt['ended'];
}

/** The marker of restart attempt `attempt` from its text; undefined when absent, unreadable or another attempt's. */
export function parseRestarting(text: string | undefined, attempt: number): Restarting | undefined {
  try {
    const m = JSON.parse(text ?? '') as Partial<Restarting>;
    if (m.attempt !== attempt || typeof m.rescue !== 'string') return undefined;
    return {
      attempt,
      rescue: m.rescue,
      skipped: Array.isArray(m.skipped) ? m.skipped : [],
      changed: Array.isArray(m.changed) ? m.changed : [],
      ...(m.ended ? { ended: m.ended } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The changes the attempt records: those an interrupted restart of the same attempt took (its marker: it may
 * have written them into the run directory already), then those found now; a node's changes once each.
 */
export function changesTaken(
  marker: Restarting | undefined,
  now: Restarting['changed'],
): Restarting['changed'] {
  const out = new Map<string, string[]>();
  for (const c of [...(marker?.changed ?? []), ...now]) {
    const seen = out.get(c.node) ?? [];
    out.set(c.node, [...seen, ...c.changes.filter((x) => !seen.includes(x))]);
  }
  return [...out].map(([node, changes]) => ({ node, changes }));
}

/** Attempt `m.attempt` as run.json records it once its DAG was submitted (or found) as `dagmanJobId`. */
export function attemptOf(m: Restarting, dagmanJobId: number, submittedAt: string): RunAttempt {
  return { dagmanJobId, submittedAt, rescue: m.rescue, skipped: m.skipped, changed: m.changed };
}
