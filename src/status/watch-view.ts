/** Pure: the live view of `vmdag status --watch` and its rough ETA. */
import type { RunStatus } from '../model/run.js';

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(r).padStart(2, '0')}s`
      : `${r}s`;
}

/**
 * Seconds left, from the pace so far: the nodes still to run at the average time per finished node. Unknown
 * (undefined) until one node has finished; 0 once the run has ended.
 */
export function estimateEta(s: RunStatus, elapsedSeconds: number): number | undefined {
  const { nodesDone, nodesTotal } = s.progress;
  if (['succeeded', 'failed', 'removed'].includes(s.state)) return 0;
  if (nodesDone === 0 || elapsedSeconds <= 0) return undefined;
  return (elapsedSeconds / nodesDone) * (nodesTotal - nodesDone);
}

function bar(done: number, total: number, width = 20): string {
  const n = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

export function watchFrame(name: string, s: RunStatus, elapsedSeconds: number | undefined): string {
  const p = s.progress;
  const eta = elapsedSeconds === undefined ? undefined : estimateEta(s, elapsedSeconds);
  const lines = [
    `run ${s.dagmanJobId} (${name}): ${s.state}` +
      (elapsedSeconds !== undefined ? `   elapsed ${formatDuration(elapsedSeconds)}` : '') +
      `   ETA ${eta === undefined ? '—' : `~${formatDuration(eta)}`}`,
  ];
  if (p.vmsTotal > 0)
    lines.push(`  VMs    ${bar(p.vmsRunning, p.vmsTotal)} ${p.vmsRunning}/${p.vmsTotal} running`);
  lines.push(`  nodes  ${bar(p.nodesDone, p.nodesTotal)} ${p.nodesDone}/${p.nodesTotal} done`);
  const active = s.nodes.filter((n) => n.state === 'running' || n.state === 'idle' || n.state === 'held');
  if (active.length > 0)
    lines.push(
      `  now    ${active
        .map((n) => `${n.name} ${n.state}`)
        .join(', ')
        .slice(0, 200)}`,
    );
  if (s.cause) lines.push(`  cause  ${s.cause}`);
  return lines.join('\n');
}
