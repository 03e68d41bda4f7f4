/** Effects for status: one condor_q, at most one condor_history, and DAGMan's files in the run directory. */
import { join, resolve } from 'node:path';
import { adNumber, adString, type ClassAd } from '../condor/classads.js';
import { parseJobstateLog, parseMetrics } from '../condor/dag-files.js';
import { queryGuests, queryHistory, queryQueue, type Target } from '../condor/dag-run.js';
import { parseEventLog } from '../condor/event-log.js';
import type { CondorContext } from '../condor/exec.js';
import type { RunLayout, RunPlace, RunStatus } from '../model/run.js';
import { jobstateForStatus } from '../report/attempt-slice.js';
import { deriveStatus, type StatusInputs } from './derive-status.js';
import { readIfExists } from './run-dir.js';

export interface Gathered {
  status: RunStatus;
  inputs: StatusInputs;
}

/** The last `ERROR` line DAGMan wrote (with the warning it promotes, if any), without timestamps. */
export function lastDagmanError(dagmanOut: string): string | undefined {
  const strip = (l: string) => l.replace(/^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d /, '').trim();
  const lines = dagmanOut.split('\n');
  const i = lines.findLastIndex((l) => /\bERROR\b/.test(l));
  if (i < 0) return undefined;
  const err = strip(lines[i] ?? '');
  const warning = /Warning is fatal/.test(err)
    ? lines.slice(0, i).findLast((l) => /\bWarning:/.test(l) && !/failed to get attribute/.test(l))
    : undefined;
  return `DAGMan: ${warning ? `${strip(warning)} — ` : ''}${err}`;
}

/** Everything deriveStatus needs, from the query results and the run directory's files (read by `read`). */
export function assembleInputs(
  layout: RunLayout,
  dagmanJobId: number,
  queue: ClassAd[],
  history: ClassAd[],
  read: (path: string) => string | undefined = readIfExists,
  /** The directory the run's jobs were submitted from (their Iwd): the run directory itself when live. */
  iwd: string = layout.dir,
): StatusInputs {
  // Cluster ids can repeat (a schedd whose spool was reset): only ads of jobs that ran in this directory count.
  const ours = (ad: ClassAd) => {
    const jobIwd = adString(ad, 'Iwd');
    return jobIwd === undefined || resolve(jobIwd) === resolve(iwd);
  };
  queue = queue.filter(ours);
  history = history.filter(ours);
  const dagmanQueued = queue.find((ad) => adNumber(ad, 'ClusterId') === dagmanJobId);
  const dagman = dagmanQueued ?? history.find((ad) => adNumber(ad, 'ClusterId') === dagmanJobId);
  const base = join(layout.dir, layout.dagFile);
  const metricsText = read(`${base}.metrics`);
  return {
    layout,
    dagmanJobId,
    dagman,
    dagmanInQueue: dagmanQueued !== undefined && adNumber(dagmanQueued, 'JobStatus') !== 4,
    jobs: queue.filter((ad) => adNumber(ad, 'ClusterId') !== dagmanJobId),
    events: parseEventLog(read(`${base}.nodes.log`) ?? ''),
    jobstate: parseJobstateLog(
      jobstateForStatus(read(join(layout.dir, `${layout.name}.jobstate.log`)) ?? ''),
    ),
    metrics: metricsText ? parseMetrics(metricsText) : undefined,
    dagmanError: lastDagmanError(read(`${base}.dagman.out`) ?? ''),
    gateError: (read(join(layout.dir, 'logs/gate.err')) ?? '').trim().split('\n').at(-1) || undefined,
    vmDisk: layout.vmCount > 0 ? vmDiskOf(read(join(layout.dir, 'vms.sub')) ?? '') : undefined,
  };
}

/** The `vm_disk` a compiled vms.sub gives its VMs (vmdag writes it as one plain line). */
export function vmDiskOf(vmsSub: string): string | undefined {
  return /^vm_disk = (.+)$/m.exec(vmsSub)?.[1]?.trim();
}

export async function gatherStatus(
  ctx: CondorContext,
  layout: RunLayout,
  dagmanJobId: number,
  target: Target = {},
  /** Where the run's jobs ran, when not in the run directory (a run spooled to its site). */
  place: RunPlace = { atSite: false },
): Promise<Gathered> {
  const iwd = place.iwd ?? layout.dir;
  const queue = await queryQueue(ctx, dagmanJobId, target);
  const inQueue = queue.some((ad) => adNumber(ad, 'ClusterId') === dagmanJobId);
  // A run at its site whose files have not come back yet: its finished node jobs are known only from the
  // site's history (the nodes log is still in the site's spool).
  const history = inQueue && !place.atSite ? [] : await queryHistory(ctx, dagmanJobId, target);
  const inputs = assembleInputs(layout, dagmanJobId, queue, history, readIfExists, iwd);
  if (place.atSite && inQueue) {
    const key = (ad: ClassAd) => `${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId') ?? 0}`;
    const queued = new Set(inputs.jobs.map(key));
    for (const ad of history) {
      const node = adNumber(ad, 'ClusterId') !== dagmanJobId && !queued.has(key(ad));
      if (node && adString(ad, 'Iwd') === iwd) inputs.jobs.push(ad);
    }
  }
  // A run with VMs: its guests in the collector (one condor_status), so that one left behind is named.
  if (layout.vmCount > 0) inputs.guests = await queryGuests(ctx, dagmanJobId, target);
  return { status: deriveStatus(inputs), inputs };
}
