/**
 * `lab status`: whether the lab runs, which HTCondor, its pool, and the libvirt domains running in it.
 */
import { adString, parseAdsJson } from '../condor/classads.js';
import { type CondorContext, runCondor } from '../condor/exec.js';
import { type LabOptions, type LabTuning, resolveLabSettings } from './options.js';
import type { LabPool } from './orgs.js';
import { daemonAlive, type LabState, labIsRunning, labTuning, readLabState, runningPools } from './state.js';
import { sys } from './sys.js';

export interface LabStatus {
  running: boolean;
  htcondorVersion: string | null;
  /** The tuning org-a's pool runs with (`lab up --tuning`), when running. */
  tuning?: LabTuning;
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
  /** Guests in a pool's collector whose VM job is no longer queued (`lab status` only; see leftoverGuests). */
  leftoverGuests?: LeftoverGuest[];
}

export interface LeftoverGuest {
  pool: string;
  name: string;
  /** The run (DAGMan job id) or VM workflow id the guest served. */
  workflow: string;
  state: string;
}

/** libvirt domains running in the lab and its organisations; [] while none runs a libvirtd. */
async function runningDomains(state: LabState): Promise<string[]> {
  const out: string[] = [];
  for (const d of state.daemons.filter((x) => x.name === 'libvirtd' || x.name.endsWith('/libvirtd'))) {
    if (!daemonAlive(state, d)) continue;
    const r = await sys(
      [
        'ip',
        'netns',
        'exec',
        d.netns ?? state.netns,
        'chroot',
        d.root ?? state.root,
        'virsh',
        '-c',
        'qemu:///system',
        'list',
        '--name',
      ],
      { allowFailure: true, timeout: 30_000 },
    );
    out.push(...domainNames(r.stdout));
  }
  return out;
}

function domainNames(stdout: string): string[] {
  return stdout
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
    tuning: labTuning(state),
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

/**
 * Guests that outlived their VM: startd ads with VmGuest in a pool's collector whose VmWorkflowId no queued
 * VM job of that pool carries. A guest leaves the pool with its VM (docs/reliability.md), so any such ad is
 * a leftover — and the schedd may still hold its claim. Two queries per running pool.
 */
export async function leftoverGuests(st: LabStatus): Promise<LeftoverGuest[]> {
  if (!st.running || !st.prefix) return [];
  const ctx: CondorContext = { prefix: st.prefix };
  const left: LeftoverGuest[] = [];
  for (const pool of st.pools) {
    const opt = { allowFailure: true, cwd: '/' };
    const [guests, vmJobs] = await Promise.all([
      runCondor(
        ctx,
        'condor_status',
        [
          '-pool',
          pool.collector,
          '-json',
          '-const',
          'VmGuest =?= true',
          '-attributes',
          'Name,State,Activity,VmWorkflowId',
        ],
        opt,
      ),
      runCondor(
        ctx,
        'condor_q',
        [
          '-pool',
          pool.collector,
          '-global',
          '-allusers',
          '-json',
          '-const',
          'JobUniverse == 13',
          '-attributes',
          'VmWorkflowId',
        ],
        opt,
      ),
    ]);
    // condor_q -global says "All queues are empty" instead of printing [] when there is no job.
    const ads = (text: string) => (text.trim().startsWith('[') ? parseAdsJson(text) : []);
    const serving = new Set(ads(vmJobs.stdout).map((a) => adString(a, 'VmWorkflowId')));
    for (const g of ads(guests.stdout)) {
      const workflow = adString(g, 'VmWorkflowId') ?? '';
      if (serving.has(workflow)) continue;
      left.push({
        pool: pool.name,
        name: adString(g, 'Name') ?? '?',
        workflow,
        state: `${adString(g, 'State') ?? '?'}/${adString(g, 'Activity') ?? '?'}`,
      });
    }
  }
  return left;
}
