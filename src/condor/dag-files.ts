/**
 * The files DAGMan writes beside a DAG: the node status file (new-ClassAd records with C comments), the
 * jobstate log (one event per line) and the `.metrics` JSON written at exit.
 */
import type { AdValue, ClassAd } from './classads.js';

/** NodeStatus / DagStatus values of the node status file. */
export const NodeStatusName = [
  'not_ready',
  'ready',
  'prerun',
  'submitted',
  'postrun',
  'done',
  'error',
  'futile',
] as const;
export type NodeStatusName = (typeof NodeStatusName)[number];

class Scanner {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    for (;;) {
      while (this.i < this.s.length && /\s/.test(this.s[this.i] ?? '')) this.i++;
      if (this.s.startsWith('/*', this.i)) {
        const end = this.s.indexOf('*/', this.i + 2);
        this.i = end < 0 ? this.s.length : end + 2;
      } else if (this.s.startsWith('//', this.i)) {
        const end = this.s.indexOf('\n', this.i);
        this.i = end < 0 ? this.s.length : end + 1;
      } else return;
    }
  }
  peek(): string {
    this.ws();
    return this.s[this.i] ?? '';
  }
  expect(c: string): void {
    if (this.peek() !== c) throw new Error(`node status file: expected '${c}' at offset ${this.i}`);
    this.i++;
  }
  value(): AdValue {
    const c = this.peek();
    if (c === '"') {
      let out = '';
      this.i++;
      while (this.i < this.s.length && this.s[this.i] !== '"') {
        if (this.s[this.i] === '\\') this.i++;
        out += this.s[this.i] ?? '';
        this.i++;
      }
      this.i++;
      return out;
    }
    if (c === '{') {
      this.i++;
      const list: AdValue[] = [];
      while (this.peek() !== '}') {
        list.push(this.value());
        if (this.peek() === ',') this.i++;
      }
      this.i++;
      return list;
    }
    if (c === '[') return this.record();
    const m = /^[^;,}\]\s]+/.exec(this.s.slice(this.i));
    const tok = m?.[0] ?? '';
    this.i += tok.length;
    if (/^-?\d+$/.test(tok)) return Number.parseInt(tok, 10);
    if (/^-?[\d.]+(e[-+]?\d+)?$/i.test(tok)) return Number.parseFloat(tok);
    if (/^true$/i.test(tok)) return true;
    if (/^false$/i.test(tok)) return false;
    if (/^undefined$/i.test(tok)) return null;
    return { expr: tok };
  }
  record(): ClassAd {
    this.expect('[');
    const ad: ClassAd = {};
    while (this.peek() !== ']') {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.s.slice(this.i));
      if (!m) throw new Error(`node status file: expected an attribute name at offset ${this.i}`);
      this.i += m[0].length;
      this.expect('=');
      ad[m[0]] = this.value();
      if (this.peek() === ';') this.i++;
    }
    this.i++;
    return ad;
  }
}

/** Every record of a node status file, in order (DagStatus, NodeStatus…, StatusEnd). */
export function parseNodeStatusFile(text: string): ClassAd[] {
  const sc = new Scanner(text);
  const out: ClassAd[] = [];
  while (sc.peek() === '[') out.push(sc.record());
  return out;
}

export interface JobstateEvent {
  /** Epoch seconds. */
  time: number;
  node: string;
  event: string;
  /** Condor id (cluster.proc), return value, or '-'. */
  detail: string;
}

/** The JOBSTATE_LOG: `time node EVENT condorId|retval jobTag - sequence`; INTERNAL lines kept as node INTERNAL. */
export function parseJobstateLog(text: string): JobstateEvent[] {
  const out: JobstateEvent[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+(?:\.\d+)?) (\S+) (?:\*\*\* )?(\S+)(?: (\S+))?/.exec(line);
    if (!m) continue;
    out.push({ time: Number(m[1]), node: m[2] ?? '', event: m[3] ?? '', detail: m[4] ?? '-' });
  }
  return out;
}

export interface DagMetrics {
  startTime?: number;
  endTime?: number;
  duration?: number;
  exitcode?: number;
  dagmanId?: number;
  dagStatus?: number;
  nodesFailed?: number;
  nodesSucceeded?: number;
  raw: Record<string, unknown>;
}

export function parseMetrics(text: string): DagMetrics {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const num = (k: string): number | undefined =>
    typeof raw[k] === 'number' ? (raw[k] as number) : undefined;
  return {
    startTime: num('start_time'),
    endTime: num('end_time'),
    duration: num('duration'),
    exitcode: num('exitcode'),
    dagmanId: typeof raw.dagman_id === 'string' ? Number.parseInt(raw.dagman_id, 10) : num('dagman_id'),
    dagStatus: num('dag_status') ?? num('DagStatus'),
    nodesFailed: num('nodes_failed'),
    nodesSucceeded: num('nodes_succeeded'),
    raw,
  };
}
