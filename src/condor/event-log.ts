/**
 * HTCondor job event logs in the default text format (ULogEvent::formatHeader): a header line
 * `NNN (cluster.proc.subproc) <time> <text>`, optional body lines, then a line `...`.
 * Times are ISO (`YYYY-MM-DD HH:MM:SS`, the default since 8.9.3) or legacy `MM/DD HH:MM:SS`, with optional
 * `.mmm` and a `Z` when the log is written in UTC; without `Z` they are the submit host's local time.
 */
export interface JobEvent {
  code: number;
  cluster: number;
  proc: number;
  subproc: number;
  /** Milliseconds since the epoch. */
  time: number;
  text: string;
  body: string[];
}

const HEADER =
  /^(\d{3}) \((\d+)\.(\d+)\.(\d+)\) (\d{4}-\d{2}-\d{2}|\d{2}\/\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(Z?) ?(.*)$/;

export const EventCode = {
  submit: 0,
  execute: 1,
  executableError: 2,
  evicted: 4,
  terminated: 5,
  shadowException: 7,
  aborted: 9,
  held: 12,
  released: 13,
  nodeExecute: 14,
  nodeTerminated: 15,
  remoteError: 21,
  jobAdInformation: 28,
  clusterSubmit: 35,
  clusterRemove: 36,
} as const;

function eventTime(date: string, time: string, utc: boolean, refYear: number): number {
  let y: number;
  let mo: number;
  let d: number;
  if (date.includes('-')) {
    [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  } else {
    [mo, d] = date.split('/').map(Number) as [number, number];
    y = refYear;
  }
  const [hms, frac = '0'] = time.split('.');
  const [h, mi, s] = (hms ?? '0:0:0').split(':').map(Number) as [number, number, number];
  const ms = Math.round(Number(`0.${frac}`) * 1000);
  return utc ? Date.UTC(y, mo - 1, d, h, mi, s, ms) : new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

/**
 * Parse a whole event log. Partial trailing events (no `...` yet) are left out: the log is still growing.
 * `zoneless` says how times without `Z` are read: as this machine's local time (default), or as if they
 * were UTC (the wall-clock reading, for callers that work out the submit host's zone themselves).
 */
export function parseEventLog(
  text: string,
  refYear = new Date().getFullYear(),
  zoneless: 'local' | 'utc' = 'local',
): JobEvent[] {
  const events: JobEvent[] = [];
  let cur: JobEvent | undefined;
  for (const line of text.split('\n')) {
    if (cur === undefined) {
      const m = HEADER.exec(line);
      if (m) {
        cur = {
          code: Number(m[1]),
          cluster: Number(m[2]),
          proc: Number(m[3]),
          subproc: Number(m[4]),
          time: eventTime(m[5] ?? '', m[6] ?? '', m[7] === 'Z' || zoneless === 'utc', refYear),
          text: (m[8] ?? '').trim(),
          body: [],
        };
      }
      continue;
    }
    if (line === '...') {
      events.push(cur);
      cur = undefined;
    } else {
      cur.body.push(line.trim());
    }
  }
  return events;
}

export function jobId(e: Pick<JobEvent, 'cluster' | 'proc'>): string {
  return `${e.cluster}.${e.proc}`;
}

/** The node a submit event names: `DAG Node: NAME` (HTCondor 23) or `[ DAGNodeName = "NAME"; … ]` (25). */
export function dagNodeName(e: JobEvent): string | undefined {
  for (const l of e.body) {
    const m = /^DAG Node: (.+)$/.exec(l) ?? /DAGNodeName = "([^"]+)"/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/** For a terminated event: the return value, or the signal. */
export function termination(e: JobEvent): { normal: boolean; value: number } | undefined {
  for (const l of e.body) {
    const m = /^\((\d)\) (Normal|Abnormal) termination \((return value|signal) (-?\d+)\)/.exec(l);
    if (m) return { normal: m[2] === 'Normal', value: Number(m[4]) };
  }
  return undefined;
}

/** For a held event: the reason, code and subcode. */
export function holdInfo(e: JobEvent): { reason: string; code?: number; subcode?: number } {
  let code: number | undefined;
  let subcode: number | undefined;
  const reasons: string[] = [];
  for (const l of e.body) {
    const m = /^Code (-?\d+) Subcode (-?\d+)$/.exec(l);
    if (m) {
      code = Number(m[1]);
      subcode = Number(m[2]);
    } else if (l !== '') reasons.push(l);
  }
  return { reason: reasons.join(' '), code, subcode };
}

/** The host named in an execute event: `Job executing on host: <addr>`. */
export function executeHost(e: JobEvent): string | undefined {
  const m = /on host: (\S+)/.exec(e.text);
  return m?.[1];
}

/**
 * The slot a job runs in, for people: the execute event's `SlotName: slot1@host` line, else the `alias=` of
 * the host's address (`<10.0.0.7:9618?addrs=…&alias=ep1&…>`), else the address as written.
 */
export function executeSlot(e: JobEvent): string | undefined {
  for (const l of e.body) {
    const m = /^SlotName: (\S+)/.exec(l);
    if (m) return m[1];
  }
  const host = executeHost(e);
  return host ? (/[?&]alias=([^&>]+)/.exec(host)?.[1] ?? host) : undefined;
}
