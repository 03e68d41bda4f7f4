/** Effects for status: one condor_q, at most one condor_history, and DAGMan's files in the run directory. */
import { join } from 'node:path';
import { adNumber, type ClassAd } from '../condor/classads.js';
import { parseJobstateLog, parseMetrics } from '../condor/dag-files.js';
import { queryHistory, queryQueue, type Target } from '../condor/dag-run.js';
import { parseEventLog } from '../condor/event-log.js';
import type { CondorContext } from '../condor/exec.js';
import type { RunLayout, RunStatus } from '../model/run.js';
import { deriveStatus } from './derive-status.js';
import { readIfExists } from './run-dir.js';

export interface Gathered {
  status: RunStatus;
  queue: ClassAd[];
  history: ClassAd[];
}

export async function gatherStatus(
  ctx: CondorContext,
  layout: RunLayout,
  dagmanJobId: number,
  target: Target = {},
): Promise<Gathered> {
  const queue = await queryQueue(ctx, dagmanJobId, target);
  const dagmanQueued = queue.find((ad) => adNumber(ad, 'ClusterId') === dagmanJobId);
  const history = dagmanQueued ? [] : await queryHistory(ctx, dagmanJobId, target);
  const dagman = dagmanQueued ?? history.find((ad) => adNumber(ad, 'ClusterId') === dagmanJobId);
  const base = join(layout.dir, layout.dagFile);
  const metricsText = readIfExists(`${base}.metrics`);
  const jobstateName = `${layout.name}.jobstate.log`;
  const status = deriveStatus({
    layout,
    dagmanJobId,
    dagman,
    dagmanInQueue: dagmanQueued !== undefined && adNumber(dagmanQueued, 'JobStatus') !== 4,
    jobs: queue.filter((ad) => adNumber(ad, 'ClusterId') !== dagmanJobId),
    events: parseEventLog(readIfExists(`${base}.nodes.log`) ?? ''),
    jobstate: parseJobstateLog(readIfExists(join(layout.dir, jobstateName)) ?? ''),
    metrics: metricsText ? parseMetrics(metricsText) : undefined,
    dagmanError: lastDagmanError(readIfExists(`${base}.dagman.out`) ?? ''),
  });
  return { status, queue, history };
}

/** The last `ERROR` line DAGMan wrote, without its timestamp. */
export function lastDagmanError(dagmanOut: string): string | undefined {
  const lines = dagmanOut.split('\n').filter((l) => /\bERROR\b/.test(l));
  const last = lines.at(-1);
  return last ? `DAGMan: ${last.replace(/^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d /, '').trim()}` : undefined;
}
