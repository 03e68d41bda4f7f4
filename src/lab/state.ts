/**
 * The running lab's state file (current/state.json): what was started, where, by which pids. `lab down`
 * undoes exactly what it lists; `labCondorContext` and `lab status` read it.
 */
import { mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultLabDir, type LabTuning } from './options.js';
import type { LabPool } from './orgs.js';

export interface LabDaemon {
  name: string;
  pid: number;
  /** The root and namespace it runs in, when not the lab's own (an organisation's daemons). */
  root?: string;
  netns?: string;
}

export interface LabState {
  schema: 1;
  variant: string;
  suite: string;
  htcondorVersion: string;
  /** The chroot's root folder (a cached build). */
  root: string;
  netns: string;
  bridge: string;
  address: string;
  hostname: string;
  user: { name: string; uid: number; gid: number };
  /** Host folders visible at the same path inside the lab. */
  sharedPaths: string[];
  /** `lab exec` wrapper: use as the command prefix for condor_* (CondorContext.prefix). */
  wrapper: string;
  startedAt: string;
  daemons: LabDaemon[];
  /** The guest image and the kernel and initramfs the lab's site kit boots it with (absent: no VMs). */
  guest?: { image: string; imageQcow2: string; kernel: string; initrd: string };
  /** The organisations' pools: org-a (the lab's own), then org-b and org-c after `lab up --orgs 2|3`. */
  pools: LabPool[];
  /** The site catalog of the running pools (written by `lab up`). */
  sitesFile?: string;
  /** The tuning org-a's configuration was written with (absent: a lab started before --tuning, i.e. `lab`). */
  tuning?: LabTuning;
}

export function stateFilePath(labDir: string = defaultLabDir()): string {
  return path.join(labDir, 'current', 'state.json');
}

/** The state of the lab last brought up from `labDir`, or undefined (never up, or taken down). */
export function readLabState(labDir: string = defaultLabDir()): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFilePath(labDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as LabState;
    return v && v.schema === 1 ? v : undefined;
  } catch {
    return undefined;
  }
}

export function writeLabState(labDir: string, state: LabState): void {
  const file = stateFilePath(labDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

export function removeLabState(labDir: string): void {
  rmSync(stateFilePath(labDir), { force: true });
}

/** Whether `pid` is alive and chrooted into `root` (a recycled pid elsewhere does not count). */
export function pidInRoot(pid: number, root: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/root`) === root;
  } catch {
    return false;
  }
}

/** Whether a recorded daemon is alive in its root. */
export function daemonAlive(state: LabState, d: LabDaemon): boolean {
  return pidInRoot(d.pid, d.root ?? state.root);
}

/** The pools whose daemons run: org-a while condor_master does, another while its own master does. */
export function runningPools(state: LabState): LabPool[] {
  return state.pools.filter((p) => {
    const d = state.daemons.find((x) => x.name === (p.master ?? 'condor_master'));
    return d !== undefined && daemonAlive(state, d);
  });
}

/** The lab runs when its condor_master is alive inside the lab's root. */
export function labIsRunning(state: LabState | undefined): state is LabState {
  if (!state) return false;
  const master = state.daemons.find((d) => d.name === 'condor_master');
  return master !== undefined && pidInRoot(master.pid, state.root);
}

/** The tuning the lab runs with. */
export function labTuning(state: LabState): LabTuning {
  return state.tuning ?? 'lab';
}

/**
 * The tuning a `lab up` asking for `asked` (undefined: none asked) must restart the running lab with, or
 * undefined when the lab keeps running as it is.
 */
export function tuningChange(state: LabState, asked: LabTuning | undefined): LabTuning | undefined {
  return asked !== undefined && asked !== labTuning(state) ? asked : undefined;
}
