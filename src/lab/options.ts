/**
 * The lab's settings, resolved once: flag > `VMDAG_LAB_*` env > default. Nothing here touches the system.
 */
import path from 'node:path';

export type HtcondorVariant = '23' | '25';

/**
 * The pool's latency knobs (recipe.ts, labTuningKnobs): `lab` as the lab has always run (minicondor's),
 * `recommended` docs/report.md's "suggested for VM workflows", `defaults` HTCondor's own.
 */
export type LabTuning = 'lab' | 'recommended' | 'defaults';
export const LAB_TUNINGS: readonly LabTuning[] = ['lab', 'recommended', 'defaults'];

export interface LabOptions {
  /**
   * `--htcondor 23|25`; env VMDAG_LAB_HTCONDOR; default 25 (Debian sid, HTCondor 25.x). 23 (Debian 13
   * trixie, HTCondor 23.9.6) stays available, but its schedd segfaults in the dedicated scheduler whenever
   * two parallel-universe jobs are queued at once (docs/lab.md); 25 does not.
   */
  htcondor?: string;
  /** Cache and state folder; env VMDAG_LAB_DIR; default /var/lib/vmdag/lab. */
  dir?: string;
  /** Debian mirror; env VMDAG_LAB_MIRROR; default http://deb.debian.org/debian. */
  mirror?: string;
  /**
   * `--orgs 1|2|3`; env VMDAG_LAB_ORGS; default 1. 2 adds the organisation `org-b` (native slots), 3 also
   * `org-c` (VMs), each apart from the lab's own pool (`org-a`, the user's side): own network namespace,
   * root, keys and tokens (organisation.ts). Additive: a running org-a is left as it is.
   */
  orgs?: string | number;
  /**
   * `--tuning lab|recommended|defaults`; env VMDAG_LAB_TUNING; when neither names one, a running lab keeps
   * its tuning and a new one gets `lab`. A running lab of another tuning is restarted with this one (up.ts).
   */
  tuning?: string;
}

export interface LabSettings {
  variant: HtcondorVariant;
  /** Debian suite the lab's root file system comes from. */
  suite: string;
  mirror: string;
  /** Top folder: builds/, current/. */
  dir: string;
  /** Cached root file systems, one folder per recipe hash. */
  buildsDir: string;
  /**
   * The organisations' own roots (`lab up --orgs`): outside every folder the lab shares with the user's side
   * (so the user's side sees none of their files); env VMDAG_LAB_ORGS_DIR; default /var/lib/vmdag-orgs.
   */
  orgsDir: string;
  /** What the running lab needs: state.json, bin/lab-exec, logs. Stable path: others use its wrapper. */
  currentDir: string;
  stateFile: string;
  wrapper: string;
  /** Network namespace, bridge and its address: the pool and (later) VM guests live there. */
  netns: string;
  bridge: string;
  address: string;
  prefixLength: number;
  /** The name HTCondor uses for this machine inside the lab (NETWORK_HOSTNAME). */
  hostname: string;
  /** Static one-core slots of the lab's startd (NUM_CPUS). */
  slots: number;
  /** The lab's unprivileged submitting user inside the chroot. */
  user: { name: string; uid: number; gid: number };
  /** Host folders bound into the chroot at the same path, so run directories look the same inside. */
  sharedPaths: string[];
  /** How many organisations `lab up` runs: 1 (org-a), 2 (and org-b) or 3 (and org-c). */
  orgs: 1 | 2 | 3;
  /** The site catalog `lab up` writes for the running pools (`lab status --json` sitesFile). */
  sitesFile: string;
  /** The tuning asked for (flag or env); undefined: none asked (a running lab keeps its own, a new one gets `lab`). */
  tuning: LabTuning | undefined;
}

const SUITES: Record<HtcondorVariant, string> = { '23': 'trixie', '25': 'sid' };
/** HTCondor 25: 23.9.6's schedd crash-loops with concurrent parallel jobs (fixed upstream in 23.10.24 / 25.11). */
const DEFAULT_VARIANT: HtcondorVariant = '25';

export function defaultLabDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.VMDAG_LAB_DIR || '/var/lib/vmdag/lab');
}

export function resolveLabSettings(opts: LabOptions = {}, env: NodeJS.ProcessEnv = process.env): LabSettings {
  const raw = String(opts.htcondor ?? env.VMDAG_LAB_HTCONDOR ?? DEFAULT_VARIANT).trim();
  const major = raw.split('.')[0] ?? '';
  if (major !== '23' && major !== '25') {
    throw new Error(
      `unknown HTCondor version '${raw}' for the lab: choose 23 (Debian 13) or 25 (Debian sid)`,
    );
  }
  const variant: HtcondorVariant = major;
  const orgsRaw = String(opts.orgs ?? env.VMDAG_LAB_ORGS ?? '1').trim();
  if (orgsRaw !== '1' && orgsRaw !== '2' && orgsRaw !== '3') {
    throw new Error(
      `--orgs ${orgsRaw}: the lab runs 1 organisation (org-a), 2 (and org-b) or 3 (and org-c, with VMs)`,
    );
  }
  const tuningRaw = opts.tuning ?? (env.VMDAG_LAB_TUNING || undefined);
  const tuning = LAB_TUNINGS.find((t) => t === tuningRaw?.trim());
  if (tuningRaw !== undefined && tuning === undefined) {
    throw new Error(
      `--tuning ${tuningRaw}: choose lab (the lab's own intervals, the default), recommended (docs/report.md's suggested values) or defaults (HTCondor's own)`,
    );
  }
  const dir = path.resolve(opts.dir ?? defaultLabDir(env));
  const currentDir = path.join(dir, 'current');
  return {
    variant,
    suite: SUITES[variant],
    mirror: (opts.mirror ?? env.VMDAG_LAB_MIRROR ?? 'http://deb.debian.org/debian').replace(/\/+$/, ''),
    dir,
    buildsDir: path.join(dir, 'builds'),
    orgsDir: path.resolve(env.VMDAG_LAB_ORGS_DIR || '/var/lib/vmdag-orgs'),
    currentDir,
    stateFile: path.join(currentDir, 'state.json'),
    wrapper: path.join(currentDir, 'bin', 'lab-exec'),
    netns: 'vmdag-lab',
    bridge: 'vmdagbr0',
    address: '10.213.7.1',
    prefixLength: 24,
    hostname: 'vmdag-lab',
    slots: 8,
    user: { name: 'vmdag', uid: 42213, gid: 42213 },
    sharedPaths: ['/tmp', '/var/tmp', '/home', '/root', '/work', '/srv', '/mnt', '/var/lib/vmdag', dir],
    orgs: orgsRaw === '3' ? 3 : orgsRaw === '2' ? 2 : 1,
    sitesFile: path.join(currentDir, 'sites.yaml'),
    tuning,
  };
}
