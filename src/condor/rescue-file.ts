/**
 * DAGMan's rescue files (`<dag>.rescueNNN`), written when a DAG fails or is removed, and run by the next
 * `condor_submit_dag -AutoRescue 1` of the same DAG (the newest one). What they record (dag.cpp, WriteRescue):
 * `DONE NODE` for each node that succeeded — never a SERVICE node (they are not among the DAG's nodes) nor the
 * FINAL node, which therefore run again — and, in a comment, the nodes that failed. Pure: text in, values out.
 */

export interface RescueFile {
  /** The rescue file's number (`rescue001` → 1). */
  number: number;
  /** The nodes marked DONE, in order: they do not run again. */
  done: string[];
  /** The nodes that failed (from the header comment `#   F,G,<ENDLIST>`). */
  failed: string[];
  /** Written by vmdag restart from an HTCondor rescue file (its first line says so), not by DAGMan. */
  byVmdag: boolean;
}

/** The first line of a rescue file vmdag writes (restart: GATE runs again, see restart). */
export const VMDAG_RESCUE_HEADER = '# vmdag restart:';

const RESCUE_NAME = /\.rescue(\d{3})$/;

/** The number of `file` when it is a rescue file of `dagFile` (`x.dag.rescue002` → 2), else undefined. */
export function rescueNumber(file: string, dagFile: string): number | undefined {
  if (!file.startsWith(`${dagFile}.rescue`)) return undefined;
  const m = RESCUE_NAME.exec(file);
  return m?.[1] && file === `${dagFile}.rescue${m[1]}` ? Number(m[1]) : undefined;
}

/** The newest rescue file of `dagFile` among `files` (one folder's names): the one AutoRescue runs. */
export function newestRescue(files: string[], dagFile: string): string | undefined {
  let best: { file: string; n: number } | undefined;
  for (const f of files) {
    const n = rescueNumber(f, dagFile);
    if (n !== undefined && (!best || n > best.n)) best = { file: f, n };
  }
  return best?.file;
}

/** The name of rescue file `n` of `dagFile`, as DAGMan spells it. */
export function rescueName(dagFile: string, n: number): string {
  return `${dagFile}.rescue${String(n).padStart(3, '0')}`;
}

export function parseRescue(text: string, number = 0): RescueFile {
  const done: string[] = [];
  let failed: string[] = [];
  const lines = text.split('\n');
  for (const line of lines) {
    const d = /^\s*DONE\s+(\S+)/i.exec(line);
    if (d?.[1]) done.push(d[1]);
    const f = /^#\s+(.*)<ENDLIST>\s*$/.exec(line);
    if (f?.[1] !== undefined)
      failed = f[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  }
  return { number, done, failed, byVmdag: (lines[0] ?? '').startsWith(VMDAG_RESCUE_HEADER) };
}

/**
 * The rescue file vmdag writes for a restart from `from` (HTCondor's newest): the same, without the `DONE`
 * lines of `rerun` (nodes that must run again although they succeeded: GATE, which waits for the new VMs).
 */
export function rescueWithout(text: string, fromFile: string, rerun: string[]): string {
  const drop = new Set(rerun);
  const kept = text
    .split('\n')
    .filter((l) => {
      const d = /^\s*DONE\s+(\S+)/i.exec(l);
      return !(d?.[1] && drop.has(d[1]));
    })
    .join('\n');
  return `${VMDAG_RESCUE_HEADER} ${fromFile} without DONE ${rerun.join(', ')} (they run again with the new VMs)\n${kept}`;
}
