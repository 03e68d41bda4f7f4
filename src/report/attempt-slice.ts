/**
 * One attempt's share of a restarted run's records. DAGMan appends every attempt to the same jobstate and nodes
 * logs; its `.metrics` file holds only the latest. An attempt's part of the jobstate log runs from its
 * `INTERNAL *** DAGMAN_STARTED <id>.0 ***` to the next one; its node jobs are the clusters submitted there;
 * its part of the nodes log is those clusters' events. Pure: texts in, texts out.
 */
import type { LatencyInputs } from './latency.js';

/** The lines of the jobstate log written by DAGMan job `id`, and the clusters it submitted. */
export function jobstateOfAttempt(text: string, id: number): { text: string; clusters: Set<number> } {
  const out: string[] = [];
  const clusters = new Set<number>();
  let inside = false;
  for (const line of text.split('\n')) {
    const started = /^\d+ INTERNAL \*\*\* DAGMAN_STARTED (\d+)\.\d+ \*\*\*/.exec(line);
    if (started) inside = Number(started[1]) === id;
    if (!inside || line === '') continue;
    out.push(line);
    const t = line.split(' ');
    if (t[2] === 'SUBMIT' && /^\d+\.\d+$/.test(t[3] ?? '')) clusters.add(Number.parseInt(t[3] ?? '', 10));
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', clusters };
}

/** The events of an event log (blocks ended by `...`) of the given clusters. */
export function eventsOfClusters(text: string, clusters: Set<number>): string {
  const blocks = text.split(/^\.\.\.\n/m);
  const kept = blocks.filter((b) => {
    const m = /^\d{3} \((\d+)\./.exec(b);
    return m ? clusters.has(Number(m[1])) : false;
  });
  return kept.map((b) => `${b}...\n`).join('');
}

/** computeLatency's inputs for one attempt of a run whose logs hold several; `latest`: keep the metrics. */
export function attemptInputs(inp: LatencyInputs, latest: boolean): LatencyInputs {
  const js = jobstateOfAttempt(inp.jobstateLog ?? '', inp.dagmanJobId);
  const { metrics, ...rest } = inp;
  return {
    ...rest,
    jobstateLog: js.text,
    nodesLog: eventsOfClusters(inp.nodesLog ?? '', js.clusters),
    ...(latest && metrics !== undefined ? { metrics } : {}),
  };
}

/**
 * The jobstate log as status reads it for a run restarted from a rescue file: the latest DAGMan's lines, and
 * of the earlier ones only the lines of nodes the latest did not run (the steps that succeeded before), so
 * that a step that failed before and runs again is not shown failed meanwhile. One attempt: unchanged.
 */
export function jobstateForStatus(text: string): string {
  const started = [...text.matchAll(/^\d+ INTERNAL \*\*\* DAGMAN_STARTED (\d+)\.\d+ \*\*\*/gm)].map((m) =>
    Number(m[1]),
  );
  const latest = started.at(-1);
  if (latest === undefined || started.every((id) => id === latest)) return text;
  const mine = jobstateOfAttempt(text, latest).text;
  const rerun = new Set(mine.split('\n').map((l) => l.split(' ')[1]));
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    const s = /^\d+ INTERNAL \*\*\* DAGMAN_STARTED (\d+)\.\d+ \*\*\*/.exec(line);
    if (s) inside = Number(s[1]) === latest;
    const node = line.split(' ')[1];
    if (line === '' || (!inside && (node === 'INTERNAL' || rerun.has(node)))) continue;
    out.push(line);
  }
  return `${out.join('\n')}\n`;
}
