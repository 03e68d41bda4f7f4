/**
 * Pure: a run's state from what HTCondor recorded — the DAGMan job's ad (queue or history), the live ads
 * of its node jobs, the shared `.nodes.log` event log, the jobstate log and the metrics file.
 */
import { adNumber, adString, type ClassAd } from '../condor/classads.js';
import type { DagMetrics, JobstateEvent } from '../condor/dag-files.js';
import {
  dagNodeName,
  EventCode,
  executeSlot,
  holdInfo,
  type JobEvent,
  termination,
} from '../condor/event-log.js';
import type { JobState, NodeStatus, RunLayout, RunState, RunStatus, VmStatus } from '../model/run.js';
import { explainVmError, vmGahpError } from './explain-vm-error.js';

export interface StatusInputs {
  layout: RunLayout;
  dagmanJobId: number;
  /** The DAGMan job's ad, from condor_q while queued, else from condor_history. */
  dagman?: ClassAd;
  dagmanInQueue: boolean;
  /** Live ads of the run's node jobs (DAGManJobId == id). */
  jobs: ClassAd[];
  events: JobEvent[];
  jobstate: JobstateEvent[];
  metrics?: DagMetrics;
  /** DAGMan's own last error (from `.dagman.out`), for runs that fail before any node does. */
  dagmanError?: string;
  /** The GATE node's last message on stderr (logs/gate.err): why the VMs did not all join. */
  gateError?: string;
  /** The startd ads of the run's guests in the collector (condor_status), for runs with VMs. */
  guests?: ClassAd[];
  /** The run's `vm_disk` (vms.sub), for explaining a VM gahp error from the event log alone. */
  vmDisk?: string;
}

export interface ProcTrack {
  cluster: number;
  proc: number;
  state: JobState;
  host: string | null;
  cause?: string;
  /** The starter's message naming a VM gahp error (event 021): why the VM did not start; kept over the
   * eviction that follows it (whose reason is only "Unspecified job interruption"). */
  vmError?: string;
}

/** A cause with the plain fix for a VM gahp error it names, if any. */
function withFix(cause: string, vmDisk?: string): string {
  const fix = explainVmError(cause, vmDisk !== undefined ? { vmDisk } : {});
  return fix ? `${cause} — ${fix}` : cause;
}

const JOB_STATUS: Record<number, JobState> = {
  1: 'idle',
  2: 'running',
  3: 'removed',
  4: 'done',
  5: 'held',
  7: 'running',
};

/** Each job proc's state and cause from the nodes log (exported for tests on recorded logs). */
export function trackProcs(
  events: readonly JobEvent[],
  /** The run's `vm_disk`, named in the explanation of a VM gahp error. */
  vmDisk?: string,
): {
  procs: Map<string, ProcTrack>;
  nodeOfCluster: Map<number, string>;
} {
  const procs = new Map<string, ProcTrack>();
  const nodeOfCluster = new Map<number, string>();
  for (const e of events) {
    const key = `${e.cluster}.${e.proc}`;
    let p = procs.get(key);
    if (!p) {
      p = { cluster: e.cluster, proc: e.proc, state: 'idle', host: null };
      procs.set(key, p);
    }
    switch (e.code) {
      case EventCode.submit: {
        const node = dagNodeName(e);
        if (node !== undefined) nodeOfCluster.set(e.cluster, node);
        p.state = 'idle';
        break;
      }
      case EventCode.execute:
        p.state = 'running';
        p.cause = undefined;
        p.host = executeSlot(e) ?? p.host;
        break;
      case EventCode.held: {
        const h = holdInfo(e);
        p.state = 'held';
        p.cause = withFix(
          `held: ${h.reason}${h.code !== undefined ? ` (hold code ${h.code} subcode ${h.subcode ?? 0})` : ''}`,
          vmDisk,
        );
        break;
      }
      case EventCode.remoteError: {
        // "Error/Message from starter on slotN: …": kept when it names a VM gahp error (the VM did not start).
        const text = e.body
          .filter((l) => !/^Code -?\d+ Subcode -?\d+$/.test(l))
          .join(' ')
          .trim();
        if (vmGahpError(text) !== undefined) p.vmError = `the VM did not start: ${text}`;
        break;
      }
      case EventCode.evicted: {
        // Back in the queue; the reason (e.g. an input file the AP cannot read) is the root cause when it repeats.
        const reason = e.body.find((l) => l.startsWith('Reason: '));
        p.state = 'idle';
        p.cause = p.vmError
          ? withFix(`evicted: ${p.vmError}`, vmDisk)
          : reason
            ? `evicted: ${reason.slice('Reason: '.length)}`
            : 'evicted';
        break;
      }
      case EventCode.released:
        p.state = 'idle';
        p.cause = undefined;
        break;
      case EventCode.terminated: {
        const t = termination(e);
        p.state = t?.normal && t.value === 0 ? 'done' : 'failed';
        if (t && p.state === 'failed')
          p.cause = t.normal ? `exit code ${t.value}` : `killed by signal ${t.value}`;
        break;
      }
      case EventCode.aborted:
        p.state = 'removed';
        {
          // A held job removed (by periodic_remove after the hold timeout, or by hand) keeps why it was held.
          const removed = `removed${e.body.length ? `: ${e.body.join(' ').trim()}` : ''}`;
          p.cause = p.cause?.startsWith('held: ') ? `${removed}, after it was ${p.cause}` : removed;
        }
        break;
      default:
        break;
    }
  }
  return { procs, nodeOfCluster };
}

function nodeVerdicts(
  jobstate: readonly JobstateEvent[],
): Map<string, { state?: JobState; cluster?: number }> {
  const out = new Map<string, { state?: JobState; cluster?: number }>();
  for (const j of jobstate) {
    if (j.node === 'INTERNAL') continue;
    const v = out.get(j.node) ?? {};
    if (j.event === 'SUBMIT') {
      v.cluster = Number.parseInt(j.detail, 10);
      v.state = undefined;
    } else if (j.event === 'JOB_SUCCESS' || j.event === 'POST_SCRIPT_SUCCESS') v.state = 'done';
    else if (j.event === 'JOB_FAILURE' || j.event === 'POST_SCRIPT_FAILURE' || j.event === 'SUBMIT_FAILURE')
      v.state = 'failed';
    out.set(j.node, v);
  }
  return out;
}

function mergeProcStates(states: JobState[]): JobState {
  if (states.length === 0) return 'unsubmitted';
  for (const s of ['held', 'failed', 'running', 'idle', 'removed'] as const) if (states.includes(s)) return s;
  return 'done';
}

export function deriveStatus(inp: StatusInputs): RunStatus {
  const { procs, nodeOfCluster } = trackProcs(inp.events, inp.vmDisk);
  for (const ad of inp.jobs) {
    const cluster = adNumber(ad, 'ClusterId');
    const proc = adNumber(ad, 'ProcId') ?? 0;
    const st = JOB_STATUS[adNumber(ad, 'JobStatus') ?? 0];
    if (cluster === undefined || st === undefined) continue;
    const p = procs.get(`${cluster}.${proc}`) ?? { cluster, proc, state: st, host: null };
    p.state = st;
    const reason = adString(ad, 'HoldReason');
    if (st === 'held' && reason)
      p.cause = withFix(
        `held: ${reason} (hold code ${adNumber(ad, 'HoldReasonCode') ?? '?'} subcode ${adNumber(ad, 'HoldReasonSubCode') ?? 0})`,
        adString(ad, 'VMPARAM_vm_Disk') ?? inp.vmDisk,
      );
    const node = adString(ad, 'DAGNodeName');
    if (node) nodeOfCluster.set(cluster, node);
    p.host = adString(ad, 'RemoteHost') ?? p.host;
    procs.set(`${cluster}.${proc}`, p);
  }
  const verdicts = nodeVerdicts(inp.jobstate);
  const clustersOf = (node: string): number[] => {
    const cs = new Set<number>();
    for (const [c, n] of nodeOfCluster) if (n === node) cs.add(c);
    const v = verdicts.get(node)?.cluster;
    if (v !== undefined && !Number.isNaN(v)) cs.add(v);
    return [...cs].sort((a, b) => a - b);
  };
  const procsOf = (cluster: number): ProcTrack[] =>
    [...procs.values()].filter((p) => p.cluster === cluster).sort((a, b) => a.proc - b.proc);

  const nodes: NodeStatus[] = inp.layout.nodes.map((n) => {
    const clusters = clustersOf(n.name);
    const last = clusters[clusters.length - 1];
    const ps = last === undefined ? [] : procsOf(last);
    const verdict = verdicts.get(n.name)?.state;
    const state = verdict ?? mergeProcStates(ps.map((p) => p.state));
    const procCause = ps.find((p) => p.cause && (p.state === state || state === 'failed'))?.cause;
    const cause = n.kind === 'gate' && state === 'failed' && inp.gateError ? inp.gateError : procCause;
    return {
      name: n.name,
      kind: n.kind,
      state,
      jobId: last === undefined ? null : `${last}.0`,
      ...(cause && state !== 'done' ? { cause } : {}),
    };
  });

  const vmNode = inp.layout.nodes.find((n) => n.kind === 'vms');
  const vmCluster = vmNode ? clustersOf(vmNode.name).at(-1) : undefined;
  const vmProcs = vmCluster === undefined ? [] : procsOf(vmCluster);
  const vms: VmStatus[] = [];
  for (let i = 0; i < inp.layout.vmCount; i++) {
    const p = vmProcs.find((x) => x.proc === i);
    vms.push({
      index: i,
      jobId: p ? `${p.cluster}.${p.proc}` : null,
      state: p?.state ?? 'unsubmitted',
      host: p?.host ?? null,
    });
  }

  const { state, cause } = overallState(inp, nodes, vms);
  // Service nodes (the VMs, REAP) are not the workflow's progress.
  const runnable = nodes.filter((n) => !isService(n));
  // A guest leaves the pool with its VM: once no VM of the run runs or waits, any guest ad is left over.
  const vmsEnded = vms.length > 0 && vms.every((v) => !['running', 'idle', 'unsubmitted'].includes(v.state));
  const leftoverGuests = vmsEnded
    ? (inp.guests ?? []).map((g) => ({
        name: adString(g, 'Name') ?? '?',
        state: `${adString(g, 'State') ?? '?'}/${adString(g, 'Activity') ?? '?'}`,
      }))
    : [];
  return {
    dagmanJobId: inp.dagmanJobId,
    state,
    nodes,
    vms,
    ...(cause ? { cause } : {}),
    ...(leftoverGuests.length > 0 ? { leftoverGuests } : {}),
    progress: {
      nodesDone: runnable.filter((n) => n.state === 'done').length,
      nodesTotal: runnable.length,
      vmsRunning: vms.filter((v) => v.state === 'running').length,
      vmsTotal: vms.length,
    },
  };
}

/** The DAG's SERVICE nodes: the VMs and REAP, which DAGMan removes at the end of every run. */
function isService(n: NodeStatus): boolean {
  return n.kind === 'vms' || n.kind === 'reap';
}

function firstCause(nodes: NodeStatus[]): string | undefined {
  // A failed or held node first; else one that keeps being sent back to the queue (evicted) with a reason.
  // The VMS service node comes last: STOP removes it in every run, so its "removed" is never the cause.
  // (REAP is removed by DAGMan at the end of every run the same way.) The GATE comes first: when it fails,
  // DAGMan aborts the DAG and removes the steps still waiting for the guests, whose "removed" follows from it.
  nodes = [
    ...nodes.filter((n) => n.kind === 'gate'),
    ...nodes.filter((n) => !isService(n) && n.kind !== 'gate'),
    ...nodes.filter(isService),
  ];
  const bad =
    nodes.find((n) => n.kind !== 'stop' && (n.state === 'failed' || n.state === 'held') && n.cause) ??
    nodes.find((n) => n.kind !== 'stop' && n.cause?.startsWith('evicted'));
  return bad ? `node ${bad.name}: ${bad.cause}` : undefined;
}

function overallState(
  inp: StatusInputs,
  nodes: NodeStatus[],
  vms: VmStatus[],
): { state: RunState; cause?: string } {
  // DAGMan may be restarted (schedd restart, recovery): only the last STARTED/FINISHED counts.
  const lastInternal = inp.jobstate
    .filter((j) => j.node === 'INTERNAL' && /^DAGMAN_(STARTED|FINISHED)$/.test(j.event))
    .at(-1);
  const finished = lastInternal?.event === 'DAGMAN_FINISHED' ? lastInternal : undefined;
  const dagStatus = (inp.dagman && adNumber(inp.dagman, 'DAG_Status')) ?? inp.metrics?.dagStatus;
  const dagmanJobStatus = inp.dagman ? adNumber(inp.dagman, 'JobStatus') : undefined;
  const removed = dagmanJobStatus === 3 || dagStatus === 4;
  const done =
    !inp.dagmanInQueue && (finished !== undefined || inp.metrics !== undefined || inp.dagman !== undefined);
  if (done) {
    if (removed) return { state: 'removed', cause: 'the run was removed (condor_rm)' };
    const exit = finished
      ? Number.parseInt(finished.detail, 10)
      : (inp.metrics?.exitcode ?? (inp.dagman && adNumber(inp.dagman, 'ExitCode')));
    if (exit === 0) return { state: 'succeeded' };
    return {
      state: 'failed',
      cause: firstCause(nodes) ?? inp.dagmanError ?? `DAGMan exited with ${exit ?? 'an unknown status'}`,
    };
  }
  const stop = nodes.find((n) => n.kind === 'stop');
  if (removed || (stop && stop.state !== 'unsubmitted') || finished)
    return { state: 'stopping', ...(removed ? { cause: 'the run is being removed' } : {}) };
  const cause = firstCause(nodes);
  const gate = nodes.find((n) => n.kind === 'gate');
  // Tuned runs queue their first steps with the VMs: a step waiting in the queue is not running yet.
  const computeStarted = nodes.some(
    (n) => n.kind === 'compute' && n.state !== 'unsubmitted' && n.state !== 'idle',
  );
  if (computeStarted || gate?.state === 'done') return { state: 'running', ...(cause ? { cause } : {}) };
  if (vms.some((v) => v.state !== 'unsubmitted') || (gate && gate.state !== 'unsubmitted'))
    return { state: 'booting', ...(cause ? { cause } : {}) };
  return { state: 'submitted', ...(cause ? { cause } : {}) };
}
