/**
 * `lab status`: whether the lab runs, which HTCondor, its pool, and the libvirt domains running in it.
 */
import type { CondorContext } from '../condor/exec.js';
import { type LabOptions, resolveLabSettings } from './options.js';
import type { LabPool } from './orgs.js';
import { type LabState, labIsRunning, pidInRoot, readLabState, runningPools } from './state.js';
import { sys } from './sys.js';

export interface LabStatus {
  running: boolean;
  htcondorVersion: string | null;
  /** The organisations' pools that run: org-a, and org-b after `lab up --orgs 2`. */
  pools: LabPool[];
  /** The site catalog listing those pools (written by `lab up`), for `--sites` / VMDAG_SITES. */
  sitesFile?: string;
  domains: string[];
  /** The guest image (raw; `location: cluster`, `format: raw`) and its qcow2 copy (for `differential: true`),
   * when the lab runs VMs. */
  guestImage?: string;
  guestImageQcow2?: string;
  /** Where the lab lives, and the command prefix for its condor_* commands (when running). */
  root?: string;
  netns?: string;
  prefix?: string[];
}

/** libvirt domains running in the lab; [] while the lab runs no libvirtd. */
async function runningDomains(state: LabState): Promise<string[]> {
  const libvirtd = state.daemons.find((d) => d.name === 'libvirtd');
  if (!libvirtd || !pidInRoot(libvirtd.pid, state.root)) return [];
  const r = await sys(
    [
      'ip',
      'netns',
      'exec',
      state.netns,
      'chroot',
      state.root,
      'virsh',
      '-c',
      'qemu:///system',
      'list',
      '--name',
    ],
    { allowFailure: true, timeout: 30_000 },
  );
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export async function labStatus(opts: LabOptions = {}): Promise<LabStatus> {
  const s = resolveLabSettings(opts);
  const state = readLabState(s.dir);
  if (!labIsRunning(state)) {
    const last = readLabState(s.dir)?.htcondorVersion ?? null;
    return { running: false, htcondorVersion: last, pools: [], domains: [] };
  }
  return {
    running: true,
    htcondorVersion: state.htcondorVersion,
    pools: runningPools(state),
    ...(state.sitesFile ? { sitesFile: state.sitesFile } : {}),
    domains: await runningDomains(state),
    ...(state.guest ? { guestImage: state.guest.image, guestImageQcow2: state.guest.imageQcow2 } : {}),
    root: state.root,
    netns: state.netns,
    prefix: [state.wrapper, '--'],
  };
}

/** The CondorContext that reaches the running lab, or undefined when it is not running. */
export async function labCondorContext(labDir?: string): Promise<CondorContext | undefined> {
  const state = readLabState(labDir);
  return labIsRunning(state) ? { prefix: [state.wrapper, '--'] } : undefined;
}
