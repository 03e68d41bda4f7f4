/**
 * Pure: the latency breakdown of design.md §3 from a run's HTCondor records only — DAGMan's own event log
 * (`<dag>.dagman.log`), the nodes log (`<dag>.nodes.log`), the jobstate log, `.metrics` and the job ads of
 * condor_q/condor_history. Never vmdag's clock: a running run's phases stop at HTCondor's latest record.
 */
import { adNumber, type ClassAd } from '../condor/classads.js';
import { type JobstateEvent, parseJobstateLog, parseMetrics } from '../condor/dag-files.js';
import { type JobEvent, parseEventLog } from '../condor/event-log.js';
import type { NodeKind, RunLayout } from '../model/run.js';
import { buildLanes } from './lanes.js';
import { type ProcTrack, trackFromAd, tracksFromEvents, zoneOffset } from './tracks.js';
import {
  type LatencyReport,
  PHASE_NAMES,
  type PhaseInterval,
  type PhaseName,
  TIMESTAMP_NAMES,
  type TimestampName,
} from './types.js';
import { readGuests, vmBoots } from './vm-boot.js';

export interface LatencyInputs {
  layout: RunLayout;
  dagmanJobId: number;
  /** Texts of the run directory's files; missing files as undefined. */
  dagmanLog?: string;
  nodesLog?: string;
  jobstateLog?: string;
  metrics?: string;
  /** Job ads of the run from condor_q and condor_history (the queue's ad first when a job is in both). */
  ads: ClassAd[];
  /** The year of legacy `MM/DD` event times. */
  refYear?: number;
  /** GATE's record of the guests (src/report/vm-boot.ts): logs/guests.json and logs/guests-seen.txt. */
  guestsJson?: string;
  guestsSeen?: string;
}

const VM_INTERVALS: PhaseInterval[] = [
  { phase: 'scheduling', from: 'submitted', to: 'vmsRunning' },
  { phase: 'vmBoot', from: 'vmsRunning', to: 'vmsReady' },
  { phase: 'scheduling', from: 'vmsReady', to: 'computeStarted' },
  { phase: 'compute', from: 'computeStarted', to: 'computeEnded' },
  { phase: 'teardown', from: 'computeEnded', to: 'vmsStopped' },
  { phase: 'wrapUp', from: 'vmsStopped', to: 'finished' },
];
const NATIVE_INTERVALS: PhaseInterval[] = [
  { phase: 'scheduling', from: 'submitted', to: 'computeStarted' },
  { phase: 'compute', from: 'computeStarted', to: 'computeEnded' },
  { phase: 'wrapUp', from: 'computeEnded', to: 'finished' },
];

type Stamp = { time: number; source: string } | undefined;

const min = (xs: Stamp[]): Stamp =>
  xs.reduce<Stamp>((a, x) => (x && (!a || x.time < a.time) ? x : a), undefined);
const max = (xs: Stamp[]): Stamp =>
  xs.reduce<Stamp>((a, x) => (x && (!a || x.time > a.time) ? x : a), undefined);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Shift zoneless event times (read as UTC) by the submit host's offset. */
function shifted(events: JobEvent[], offsetMs: number): JobEvent[] {
  return offsetMs === 0 ? events : events.map((e) => ({ ...e, time: e.time - offsetMs }));
}

function localOffsetMinutes(events: readonly JobEvent[]): number {
  const t = events[0]?.time ?? 0;
  return -new Date(t).getTimezoneOffset();
}

/** The node each cluster belongs to: submit events' `DAG Node:`, the jobstate log's SUBMIT lines, job ads. */
function clusterNodes(tracks: Iterable<ProcTrack>, jobstate: readonly JobstateEvent[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const j of jobstate)
    if (j.event === 'SUBMIT' && /^\d+\.\d+$/.test(j.detail)) out.set(Number.parseInt(j.detail, 10), j.node);
  for (const t of tracks) if (t.node && !out.has(t.cluster)) out.set(t.cluster, t.node);
  return out;
}

export function computeLatency(inp: LatencyInputs): LatencyReport {
  const { layout, dagmanJobId } = inp;
  const jobstate = parseJobstateLog(inp.jobstateLog ?? '');
  const metrics = inp.metrics ? parseMetrics(inp.metrics) : undefined;
  const rawDagman = parseEventLog(inp.dagmanLog ?? '', inp.refYear, 'utc');
  const rawNodes = parseEventLog(inp.nodesLog ?? '', inp.refYear, 'utc');
  const found = zoneOffset([...rawDagman, ...rawNodes], inp.ads, jobstate);
  const offsetMinutes = found?.offsetMinutes ?? localOffsetMinutes([...rawDagman, ...rawNodes]);
  const zone = {
    offsetMinutes,
    from: found
      ? `event-log times matched with ${found.pairs} epoch times (job ads, jobstate log)`
      : 'nothing to match the event logs with: assumed the local zone of this machine',
  };
  const dagmanEvents = shifted(rawDagman, offsetMinutes * 60_000);
  const nodeEvents = shifted(rawNodes, offsetMinutes * 60_000);

  const tracks = tracksFromEvents(nodeEvents);
  const dagmanTrack = tracksFromEvents(dagmanEvents).get(`${dagmanJobId}.0`);
  for (const ad of inp.ads) {
    const t = trackFromAd(ad);
    if (!t || t.cluster === dagmanJobId) continue;
    const known = tracks.get(`${t.cluster}.${t.proc}`);
    if (!known) tracks.set(`${t.cluster}.${t.proc}`, t);
    // The ad names the slot (parallel jobs execute on host "MPI_job"; others on an address).
    else known.host = t.host ?? known.host;
  }
  const nodeOf = clusterNodes(tracks.values(), jobstate);
  const kindOf = new Map(layout.nodes.map((n) => [n.name, n.kind]));
  const byKind = (kind: NodeKind) =>
    [...tracks.values()].filter((t) => kindOf.get(nodeOf.get(t.cluster) ?? '') === kind);
  const lastClusterOf = (node: string): number | undefined =>
    Math.max(...[...nodeOf].filter(([, n]) => n === node).map(([c]) => c), -1);
  const label = (t: ProcTrack, what: string) =>
    `${t.from === 'events' ? 'nodes.log' : 'job ad'}: ${what} of ${t.cluster}.${t.proc} (${nodeOf.get(t.cluster) ?? '?'})`;

  // The VMs: the latest cluster of the SERVICE node, one proc per VM.
  const vmNode = layout.nodes.find((n) => n.kind === 'vms');
  const vmCluster = vmNode ? lastClusterOf(vmNode.name) : undefined;
  const vms = byKind('vms').filter((t) => t.cluster === vmCluster);
  const gateNode = layout.nodes.find((n) => n.kind === 'gate');
  const gateCluster = gateNode ? lastClusterOf(gateNode.name) : undefined;
  const gate = byKind('gate').find((t) => t.cluster === gateCluster && t.proc === 0);
  const compute = byKind('compute');
  const computeNodes = layout.nodes.filter((n) => n.kind === 'compute');

  const dagmanAd = inp.ads.find((ad) => adNumber(ad, 'ClusterId') === dagmanJobId);
  const s: Record<TimestampName, Stamp> = Object.fromEntries(
    TIMESTAMP_NAMES.map((n) => [n, undefined]),
  ) as Record<TimestampName, Stamp>;

  const dagmanSubmit = dagmanTrack?.submitted;
  const qdate = dagmanAd ? adNumber(dagmanAd, 'QDate') : undefined;
  s.submitted =
    dagmanSubmit !== undefined
      ? { time: dagmanSubmit, source: `dagman.log: submit of ${dagmanJobId}.0` }
      : qdate !== undefined
        ? { time: qdate * 1000, source: `job ad: QDate of ${dagmanJobId}.0` }
        : undefined;

  s.computeStarted = min(
    compute.map((t) => {
      const run = t.segments.find((g) => g.state === 'running');
      return run ? { time: run.start, source: label(t, 'execute') } : undefined;
    }),
  );
  s.vmsReady =
    gate?.end?.outcome === 'done'
      ? { time: gate.end.time, source: label(gate, 'successful end') }
      : undefined;
  // Tuned runs queue the first steps with the VMs: a step can start on the guests before the gate, polling
  // the collector, has seen them all. A step running on them shows they had joined: the earlier time counts.
  if (s.vmsReady && s.computeStarted && s.computeStarted.time < s.vmsReady.time)
    s.vmsReady = { time: s.computeStarted.time, source: `${s.computeStarted.source}, before the gate ended` };
  const limit = s.vmsReady?.time ?? Number.POSITIVE_INFINITY;
  if (layout.vmCount > 0) {
    s.vmsQueued = min(
      vms.map((t) =>
        t.submitted !== undefined ? { time: t.submitted, source: label(t, 'submit') } : undefined,
      ),
    );
    // Each VM's (latest) start before the guests were ready; every VM of the cluster must have started.
    const starts = vms.map((t) => {
      const time = vmStart(t, limit);
      return time === undefined ? undefined : { time, source: label(t, 'execute') };
    });
    if (vms.length >= layout.vmCount && starts.every((x) => x !== undefined)) s.vmsRunning = max(starts);
    if (vms.length > 0 && vms.every((t) => t.end))
      s.vmsStopped = max(
        vms.map(
          (t) =>
            t.end && {
              time: t.end.time,
              source: label(t, t.end.outcome === 'removed' ? 'abort' : 'terminate'),
            },
        ),
      );
  }

  // DAGMan's end: its own terminate/abort event, else its ad, else the metrics file.
  const dagmanEnd = dagmanTrack?.end;
  const adStatus = dagmanAd ? adNumber(dagmanAd, 'JobStatus') : undefined;
  const adEnd =
    dagmanAd && (adStatus === 3 || adStatus === 4)
      ? adNumber(dagmanAd, 'CompletionDate') || adNumber(dagmanAd, 'EnteredCurrentStatus')
      : undefined;
  const adOutcome =
    adEnd === undefined || !dagmanAd
      ? null
      : adStatus === 3
        ? 'removed'
        : adNumber(dagmanAd, 'ExitCode') === 0
          ? 'done'
          : 'failed';
  const outcome =
    dagmanEnd?.outcome ??
    adOutcome ??
    (metrics?.endTime !== undefined ? (metrics.exitcode === 0 ? 'done' : 'failed') : null);
  s.finished = dagmanEnd
    ? {
        time: dagmanEnd.time,
        source: `dagman.log: ${dagmanEnd.outcome === 'removed' ? 'abort' : 'terminate'} of ${dagmanJobId}.0`,
      }
    : adEnd
      ? { time: adEnd * 1000, source: `job ad: end of ${dagmanJobId}.0` }
      : metrics?.endTime !== undefined
        ? { time: metrics.endTime * 1000, source: 'metrics: end_time' }
        : undefined;

  // Compute has ended once every compute node's latest attempt has (or DAGMan ended with none left running).
  const latestCompute = computeNodes.map((n) => {
    const c = lastClusterOf(n.name);
    return compute.filter((t) => t.cluster === c);
  });
  const allEnded = latestCompute.every((ts) => ts.length > 0 && ts.every((t) => t.end));
  const noneOpen = compute.every((t) => t.end || t.segments.length === 0);
  if (compute.length > 0 && (allEnded || (s.finished && noneOpen)))
    s.computeEnded = max(compute.map((t) => t.end && { time: t.end.time, source: label(t, 'end') }));

  const timestamps = Object.fromEntries(TIMESTAMP_NAMES.map((n) => [n, s[n]?.time ?? null])) as Record<
    TimestampName,
    number | null
  >;
  const sources = Object.fromEntries(TIMESTAMP_NAMES.map((n) => [n, s[n]?.source ?? null])) as Record<
    TimestampName,
    string | null
  >;

  const mode = layout.vmCount > 0 ? 'vm' : 'native';
  const intervals = mode === 'vm' ? VM_INTERVALS : NATIVE_INTERVALS;
  const everything = [
    ...dagmanEvents.map((e) => e.time),
    ...nodeEvents.map((e) => e.time),
    ...jobstate.map((j) => j.time * 1000),
    ...Object.values(timestamps).filter((x): x is number => x !== null),
    // condor_q's ServerTime: the schedd's clock when it answered, still HTCondor's own record.
    ...inp.ads.map((ad) => (adNumber(ad, 'ServerTime') ?? 0) * 1000),
  ].filter((x) => x > 0);
  const asOf = timestamps.finished ?? (everything.length ? Math.max(...everything) : null);
  const phases = Object.fromEntries(PHASE_NAMES.map((p) => [p, null])) as Record<PhaseName, number | null>;
  // While the run runs, the first interval that has begun but not ended counts up to HTCondor's latest record.
  let current: LatencyReport['current'] = null;
  for (const iv of intervals) {
    const a = timestamps[iv.from];
    let b = timestamps[iv.to];
    if (a !== null && b === null && current === null && timestamps.finished === null && asOf !== null) {
      current = iv.phase;
      b = Math.max(asOf, a);
    }
    if (a === null || b === null) continue;
    phases[iv.phase] = round((phases[iv.phase] ?? 0) + (b - a) / 1000);
  }
  if (timestamps.submitted !== null && asOf !== null)
    phases.total = round((asOf - timestamps.submitted) / 1000);

  const guests = readGuests(inp.guestsJson, inp.guestsSeen, dagmanJobId);
  const vmJobs = vms.map((t) => ({
    lane: `VM ${t.proc}`,
    queued: t.submitted,
    executing: vmStart(t, limit),
  }));
  const boot =
    guests === undefined
      ? undefined
      : 'problem' in guests
        ? { vms: [], pairing: 'one VM' as const, problem: guests.problem }
        : vmBoots(vmJobs, guests.guests, s.computeStarted?.time);

  return {
    dagmanJobId,
    name: layout.name,
    mode,
    state: timestamps.finished !== null ? 'finished' : 'running',
    outcome: timestamps.finished !== null ? outcome : null,
    timestamps,
    sources,
    phases,
    intervals,
    current,
    asOf,
    zone,
    lanes: buildLanes(layout, tracks, nodeOf, vmCluster),
    ...(boot ? { boot } : {}),
  };
}

/** A VM's latest start no later than `limit` (the guests ready). */
function vmStart(t: ProcTrack, limit: number): number | undefined {
  return t.segments.filter((g) => g.state === 'running' && g.start <= limit).at(-1)?.start;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The `--json` document: times as ISO-8601 UTC, phases in seconds. */
export function latencyJson(r: LatencyReport): object {
  const t = (ms: number | null) => (ms === null ? null : iso(ms));
  return {
    dagmanJobId: r.dagmanJobId,
    name: r.name,
    mode: r.mode,
    state: r.state,
    outcome: r.outcome,
    current: r.current,
    timestamps: Object.fromEntries(TIMESTAMP_NAMES.map((n) => [n, t(r.timestamps[n])])),
    phases: r.phases,
    sources: r.sources,
    asOf: t(r.asOf),
    zone: r.zone,
    ...(r.doneBefore ? { doneBefore: r.doneBefore } : {}),
    lanes: r.lanes.map((l) => ({
      ...l,
      segments: l.segments.map((g) => ({ state: g.state, start: iso(g.start), end: t(g.end) })),
      end: l.end && { time: iso(l.end.time), outcome: l.end.outcome },
    })),
    ...(r.boot
      ? {
          boot: {
            ...r.boot,
            vms: r.boot.vms.map((b) => ({ ...b, marks: b.marks.map((m) => ({ ...m, time: iso(m.time) })) })),
          },
        }
      : {}),
  };
}
