/** Effects for report: one condor_q, one condor_history, and DAGMan's files in the run directory. */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { adNumber, adString, type ClassAd } from '../condor/classads.js';
import { queryHistory, queryQueue, type Target } from '../condor/dag-run.js';
import type { CondorContext } from '../condor/exec.js';
import type { RunLayout } from '../model/run.js';
import { readIfExists } from '../status/run-dir.js';
import { attemptInputs } from './attempt-slice.js';
import { computeLatency, type LatencyInputs } from './latency.js';
import type { LatencyReport } from './types.js';
import { GUESTS_FILE, GUESTS_SEEN_FILE } from './vm-boot.js';

/** Queue ads first; a history ad only for jobs no longer queued. */
export function mergeAds(queue: ClassAd[], history: ClassAd[]): ClassAd[] {
  const id = (ad: ClassAd) => `${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId') ?? 0}`;
  const queued = new Set(queue.map(id));
  return [...queue, ...history.filter((ad) => !queued.has(id(ad)))];
}

/** Everything computeLatency needs, from the ads and the run directory's files (read by `read`). */
export function reportInputs(
  layout: RunLayout,
  dagmanJobId: number,
  ads: ClassAd[],
  read: (path: string) => string | undefined = readIfExists,
): LatencyInputs {
  const base = join(layout.dir, layout.dagFile);
  return {
    layout,
    dagmanJobId,
    dagmanLog: read(`${base}.dagman.log`),
    nodesLog: read(`${base}.nodes.log`),
    jobstateLog: read(join(layout.dir, `${layout.name}.jobstate.log`)),
    metrics: read(`${base}.metrics`),
    ads,
    guestsJson: read(join(layout.dir, GUESTS_FILE)),
    guestsSeen: read(join(layout.dir, GUESTS_SEEN_FILE)),
  };
}

export async function gatherReport(
  ctx: CondorContext,
  layout: RunLayout,
  dagmanJobId: number,
  target: Target = {},
  /** The folder the run's jobs ran in, when not the run directory (a run spooled to its site). */
  iwd: string = layout.dir,
  /** One attempt of a restarted run: its share of the logs only (src/report/attempt-slice.ts). */
  attempt?: { latest: boolean; nodesLog?: string },
): Promise<LatencyReport> {
  const queue = await queryQueue(ctx, dagmanJobId, target);
  const history = await queryHistory(ctx, dagmanJobId, target);
  const ads = ofRunDir(mergeAds(queue, history), iwd);
  const inputs = reportInputs(layout, dagmanJobId, ads);
  if (attempt?.nodesLog !== undefined) inputs.nodesLog = readIfExists(join(layout.dir, attempt.nodesLog));
  return computeLatency(attempt ? attemptInputs(inputs, attempt.latest) : inputs);
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Only the ads of jobs submitted from this run directory: a schedd that was reinstalled (the lab, rebuilt)
 * numbers clusters from 1 again, so another DAG's jobs can carry this run's ids.
 */
export function ofRunDir(ads: ClassAd[], dir: string): ClassAd[] {
  const want = real(dir);
  return ads.filter((ad) => {
    const iwd = adString(ad, 'Iwd');
    return iwd === undefined || real(iwd) === want;
  });
}
