/**
 * The report's timestamps of a VM run worked out again straight from the raw event logs, with regexes of
 * their own (not the parser under test): the headers `CODE (CLUSTER.PROC.SUB) DATE TIME` of `<dag>.dagman.log`
 * and `<dag>.nodes.log`, each node job's cluster named by the line under its submit event (HTCondor 25:
 * `[ DAGNodeName = "…"; … ]`, 23: `DAG Node: …`). The lab writes local time without a zone, and its zone is UTC.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Header {
  code: number;
  cluster: number;
  proc: number;
  time: number;
  next: string;
}

function headers(text: string): Header[] {
  const out: Header[] = [];
  for (const m of text.matchAll(
    /^(\d{3}) \((\d+)\.(\d+)\.\d+\) (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)[^\n]*\n([^\n]*)/gm,
  ))
    out.push({
      code: Number(m[1]),
      cluster: Number(m[2]),
      proc: Number(m[3]),
      time: Date.parse(`${m[4]}T${m[5]}Z`),
      next: m[6] ?? '',
    });
  return out;
}

export type RawStamps = Record<
  | 'submitted'
  | 'vmsQueued'
  | 'vmsRunning'
  | 'vmsReady'
  | 'computeStarted'
  | 'computeEnded'
  | 'vmsStopped'
  | 'finished',
  number | undefined
>;

/** A finished 1-VM run's timestamps from its raw logs (SERVICE VMS, GATE, REAP and STOP are vmdag's names). */
export function rawVmStamps(dir: string, dagFile: string): RawStamps {
  const dagman = headers(readFileSync(join(dir, `${dagFile}.dagman.log`), 'utf8'));
  const nodes = headers(readFileSync(join(dir, `${dagFile}.nodes.log`), 'utf8'));
  const nodeOf = new Map<number, string>();
  for (const h of nodes) {
    const m = /DAGNodeName = "([^"]+)"|^\s*DAG Node: (\S+)/.exec(h.next);
    if (h.code === 0 && m) nodeOf.set(h.cluster, m[1] ?? m[2] ?? '');
  }
  const of = (pred: (node: string) => boolean, codes: number[]) =>
    nodes.filter((h) => pred(nodeOf.get(h.cluster) ?? '') && codes.includes(h.code)).map((h) => h.time);
  const isCompute = (n: string) => n !== '' && !['VMS', 'GATE', 'REAP', 'STOP'].includes(n);
  const gateOk = nodes.filter(
    (h) => nodeOf.get(h.cluster) === 'GATE' && h.code === 5 && /return value 0\)/.test(h.next),
  );
  const computeStarted = Math.min(...of(isCompute, [1]));
  const gateEnd = gateOk.at(-1)?.time;
  return {
    submitted: dagman.find((h) => h.code === 0)?.time,
    finished: dagman.filter((h) => h.code === 5 || h.code === 9).at(-1)?.time,
    vmsQueued: of((n) => n === 'VMS', [0])[0],
    vmsRunning: of((n) => n === 'VMS', [1]).at(-1),
    vmsReady: gateEnd === undefined ? undefined : Math.min(gateEnd, computeStarted),
    computeStarted: Number.isFinite(computeStarted) ? computeStarted : undefined,
    computeEnded: Math.max(...of(isCompute, [5, 9])),
    vmsStopped: Math.max(...of((n) => n === 'VMS', [5, 9])),
  };
}
