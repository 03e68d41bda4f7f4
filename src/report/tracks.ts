/**
 * Pure: each job's life (queued → running → ended, with holds and evictions) from HTCondor's event logs,
 * completed from job ads for jobs whose events are missing; and the submit host's UTC offset, found by
 * comparing the event logs' zoneless wall-clock times with epoch times HTCondor recorded for the same events.
 */
import { adNumber, adString, type ClassAd } from '../condor/classads.js';
import type { JobstateEvent } from '../condor/dag-files.js';
import { dagNodeName, EventCode, executeHost, type JobEvent, termination } from '../condor/event-log.js';
import type { Outcome, Segment } from './types.js';

export interface ProcTrack {
  cluster: number;
  proc: number;
  node?: string;
  submitted?: number;
  segments: Segment[];
  end?: { time: number; outcome: Outcome };
  host?: string;
  /** Where the times came from: the event log, or a job ad (no event of this job was found). */
  from: 'events' | 'ad';
}

const key = (cluster: number, proc: number) => `${cluster}.${proc}`;

function open(t: ProcTrack, state: Segment['state'], time: number): void {
  const last = t.segments.at(-1);
  if (last && last.end === null) {
    if (last.state === state) return;
    last.end = time;
  }
  t.segments.push({ state, start: time, end: null });
}

function close(t: ProcTrack, time: number): void {
  const last = t.segments.at(-1);
  if (!last || last.end !== null) return;
  // A removal writes "evicted" then "aborted" in the same second: no queued stretch in between. (A job
  // that runs for less than a second keeps its running stretch: its start is the execute event.)
  if (last.start === time && last.state === 'queued' && t.segments.length > 1) t.segments.pop();
  else last.end = time;
}

/** `<10.0.0.7:9618?addrs=…&alias=ep1&…>` → `ep1` (else the address). */
export function shortHost(sinful: string): string {
  return /[?&]alias=([^&>]+)/.exec(sinful)?.[1] ?? /^<([^:>?]+)/.exec(sinful)?.[1] ?? sinful;
}

/** Every job's track from event logs (times already corrected to epoch milliseconds). */
export function tracksFromEvents(events: readonly JobEvent[]): Map<string, ProcTrack> {
  const tracks = new Map<string, ProcTrack>();
  for (const e of events) {
    const k = key(e.cluster, e.proc);
    let t = tracks.get(k);
    if (!t) {
      t = { cluster: e.cluster, proc: e.proc, segments: [], from: 'events' };
      tracks.set(k, t);
    }
    switch (e.code) {
      case EventCode.submit:
        t.submitted ??= e.time;
        t.node = dagNodeName(e) ?? t.node;
        open(t, 'queued', e.time);
        break;
      case EventCode.execute: {
        open(t, 'running', e.time);
        const host = executeHost(e);
        if (host && host !== 'MPI_job') t.host = shortHost(host);
        break;
      }
      case EventCode.nodeExecute: {
        const host = executeHost(e);
        t.host ??= host && shortHost(host);
        break;
      }
      case EventCode.evicted:
      case EventCode.released:
        open(t, 'queued', e.time);
        break;
      case EventCode.held:
        open(t, 'held', e.time);
        break;
      case EventCode.terminated: {
        close(t, e.time);
        const r = termination(e);
        t.end = { time: e.time, outcome: r?.normal && r.value === 0 ? 'done' : 'failed' };
        break;
      }
      case EventCode.aborted:
        close(t, e.time);
        t.end = { time: e.time, outcome: 'removed' };
        break;
      default:
        break;
    }
  }
  return tracks;
}

/** A track from a job ad alone (seconds → milliseconds), for jobs the event logs do not show. */
export function trackFromAd(ad: ClassAd): ProcTrack | undefined {
  const cluster = adNumber(ad, 'ClusterId');
  if (cluster === undefined) return undefined;
  const ms = (attr: string) => {
    const v = adNumber(ad, attr);
    return v !== undefined && v > 0 ? v * 1000 : undefined;
  };
  const t: ProcTrack = {
    cluster,
    proc: adNumber(ad, 'ProcId') ?? 0,
    node: adString(ad, 'DAGNodeName'),
    segments: [],
    host: adString(ad, 'RemoteHost') ?? adString(ad, 'LastRemoteHost'),
    from: 'ad',
  };
  const q = ms('QDate');
  if (q === undefined) return t;
  t.submitted = q;
  open(t, 'queued', q);
  const started = ms('JobCurrentStartExecutingDate') ?? ms('JobCurrentStartDate') ?? ms('JobStartDate');
  if (started !== undefined) open(t, 'running', started);
  const status = adNumber(ad, 'JobStatus');
  if (status === 5) open(t, 'held', ms('EnteredCurrentStatus') ?? q);
  if (status === 3 || status === 4) {
    const end = ms('CompletionDate') ?? ms('EnteredCurrentStatus');
    if (end !== undefined) {
      close(t, end);
      const ok = adNumber(ad, 'ExitCode') === 0 && ad.ExitBySignal !== true;
      t.end = { time: end, outcome: status === 3 ? 'removed' : ok ? 'done' : 'failed' };
    }
  }
  return t;
}

const QUARTER_HOUR = 15 * 60 * 1000;

/**
 * The submit host's offset from UTC, in minutes: event logs without `Z` hold its local wall-clock time.
 * Pairs each zoneless event time (read as if UTC) with an epoch time of the same event — the job ad's QDate
 * for a submit, the jobstate log's line for a submit/execute/terminate — and takes the median difference,
 * rounded to a quarter hour (zones are). Logs written in UTC come out as offset 0 the same way.
 */
export function zoneOffset(
  events: readonly JobEvent[],
  ads: readonly ClassAd[],
  jobstate: readonly JobstateEvent[],
): { offsetMinutes: number; pairs: number } | undefined {
  const first = new Map<string, number>();
  for (const e of events) {
    const k = `${e.code} ${key(e.cluster, e.proc)}`;
    if (!first.has(k)) first.set(k, e.time);
  }
  const fromJobstate: number[] = [];
  const fromAds: number[] = [];
  for (const ad of ads) {
    const c = adNumber(ad, 'ClusterId');
    const q = adNumber(ad, 'QDate');
    const t = c === undefined ? undefined : first.get(`0 ${key(c, adNumber(ad, 'ProcId') ?? 0)}`);
    if (q !== undefined && t !== undefined) fromAds.push(t - q * 1000);
  }
  const codeOf: Record<string, number> = {
    SUBMIT: EventCode.submit,
    EXECUTE: EventCode.execute,
    JOB_TERMINATED: EventCode.terminated,
  };
  for (const j of jobstate) {
    const code = codeOf[j.event];
    const m = /^(\d+)\.(\d+)$/.exec(j.detail);
    const t = code === undefined || !m ? undefined : first.get(`${code} ${m[1]}.${m[2]}`);
    if (t !== undefined) fromJobstate.push(t - j.time * 1000);
  }
  // The jobstate log lies in the run directory beside the event logs: trust it first; ads only without it.
  const diffs = fromJobstate.length ? fromJobstate : fromAds;
  if (diffs.length === 0) return undefined;
  diffs.sort((a, b) => a - b);
  const median = diffs[Math.floor(diffs.length / 2)] ?? 0;
  const offsetMinutes = (Math.round(median / QUARTER_HOUR) * QUARTER_HOUR) / 60_000;
  return { offsetMinutes: offsetMinutes === 0 ? 0 : offsetMinutes, pairs: diffs.length };
}
