/** Reading a run directory: its layout (from plan.json / the .dag file) and the run record (run.json). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NodeKind, RunLayout, RunNodeInfo, RunRecord } from '../model/run.js';

const KIND_OF_DECL: Record<string, NodeKind> = { SERVICE: 'vms', FINAL: 'stop', PROVISIONER: 'gate' };
/** plan.json names node kinds after their DAG declaration. */
const KIND_OF_PLAN: Record<string, NodeKind> = {
  service: 'vms',
  final: 'stop',
  gate: 'gate',
  compute: 'compute',
  reaper: 'reap',
};

/** Node declarations of a .dag file, in order; `JOB GATE` counts as the gate, `SERVICE REAP` as the reaper. */
export function dagNodes(dagText: string): RunNodeInfo[] {
  const out: RunNodeInfo[] = [];
  for (const line of dagText.split('\n')) {
    const m = /^\s*(JOB|SERVICE|FINAL|PROVISIONER)\s+(\S+)/i.exec(line);
    if (!m) continue;
    const decl = (m[1] ?? '').toUpperCase();
    const name = m[2] ?? '';
    const kind: NodeKind =
      decl === 'SERVICE' && name.toUpperCase() === 'REAP'
        ? 'reap'
        : (KIND_OF_DECL[decl] ?? (name.toUpperCase() === 'GATE' ? 'gate' : 'compute'));
    out.push({ name, kind });
  }
  return out;
}

interface PlanJsonShape {
  name?: string;
  vm?: { count?: number };
  dag?: { file?: string; nodes?: { name?: string; kind?: string }[] };
}

/** The layout of the run directory `dirArg` (absolute, or relative to the process's folder); messages name it `shownAs`. */
export function readLayout(dirArg: string, shownAs: string = dirArg): RunLayout {
  const dir = resolve(dirArg);
  const planPath = join(dir, 'plan.json');
  if (!existsSync(planPath)) throw new Error(`${shownAs}: not a vmdag run directory (no plan.json)`);
  const plan = JSON.parse(readFileSync(planPath, 'utf8')) as PlanJsonShape;
  const dagFile = plan.dag?.file ?? readdirSync(dir).find((f) => f.endsWith('.dag')) ?? `${plan.name}.dag`;
  const dagText = readFileSync(join(dir, dagFile), 'utf8');
  const declared = dagNodes(dagText);
  const kinds = new Map((plan.dag?.nodes ?? []).map((n) => [n.name, KIND_OF_PLAN[n.kind ?? '']]));
  const nodes = declared.map((n) => ({ name: n.name, kind: kinds.get(n.name) ?? n.kind }));
  return {
    name: plan.name ?? dagFile.replace(/\.dag$/, ''),
    dir,
    dagFile,
    nodes,
    vmCount: plan.vm?.count ?? 0,
  };
}

export function readRunRecord(dir: string): RunRecord | undefined {
  const p = join(resolve(dir), 'run.json');
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as RunRecord;
}

export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
