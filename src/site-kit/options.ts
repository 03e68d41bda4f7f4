/**
 * `vmdag site-config` settings, resolved once: flag > default. Pure: nothing here touches the system.
 * Every value that ends up in the generated files is checked here, so templates never carry an unsafe one.
 */
export type Emulation = 'auto' | 'kvm' | 'tcg';

export interface SiteOptions {
  /** kvm: hardware virtualisation; tcg: software emulation (type='qemu'); auto: probe on each node. Default auto. */
  emulation?: string;
  /** The vmdag guest kernel and initramfs (absolute paths on the execute node). Without them guests boot
   * from their own disk; `auto` needs them (the probe boots them). */
  kernel?: string;
  initrd?: string;
  /** Bridge the guests' NICs join; default br0. */
  bridge?: string;
  /** The schedd Name whose dedicated scheduler may claim the guests (guests advertise
   * DedicatedScheduler = "DedicatedScheduler@<name>"). */
  scheddName?: string;
  /** The collector the guests join (host[:port], an address the guests can reach). Default: none (the
   * guest then cannot join: the site must say where its pool is). */
  pool?: string;
  /** VM_MEMORY in MiB; default 2048. */
  vmMemory?: number;
  /** VM_MAX_NUMBER; default unset (HTCondor: NUM_CPUS). */
  vmMaxNumber?: number;
  /** Cap and default of a guest's lease in seconds; default 86400. */
  maxLeaseSeconds?: number;
  /** Where the guest's pool token comes from: `mint` (condor_token_create with this node's pool key, per VM,
   * lifetime = lease), an absolute file path, or `none`. Default mint. */
  guestToken?: string;
  /** Identity in minted tokens; default condor@<UID_DOMAIN> (asked at run time). */
  tokenIdentity?: string;
  /** Where the domain script is installed; default /usr/libexec/vmdag/vmdag-libvirt-xml. */
  scriptPath?: string;
  /** Guests' serial console logs (root-only); default /var/log/vmdag-guests; '' = none. */
  consoleDir?: string;
  /** Size of the sparse scratch disk each guest gets for HTCondor's execute dir, MiB; default 8192; 0 = none. */
  scratchMiB?: number;
  /** The script's own state (token seeds, the emulation probe's answer); default /var/lib/vmdag-site. */
  stateDir?: string;
  /** qemu-img and qemu-system-x86_64 on the execute node; defaults /usr/bin/…. */
  qemuImg?: string;
  qemu?: string;
  /** Check each job's disk (qemu-img) before its VM is defined, so that a bad image is the job's failure
   * (held) and never takes the node's VM universe offline. Default true. */
  checkDisks?: boolean;
  /** The user QEMU runs as (qemu.conf `user`), whose right to reach the image is checked; default '': read
   * /etc/libvirt/qemu.conf on the node at run time (Debian's default libvirt-qemu when it names none). */
  vmUser?: string;
  /** Guests copy the tail of their MasterLog and StartLog to the console log at power-off (vmdag.debug=1),
   * so that a guest that left something behind can be read afterwards. Default false. */
  guestDebug?: boolean;
}

export interface SiteSettings {
  emulation: Emulation;
  kernel: string;
  initrd: string;
  bridge: string;
  scheduler: string;
  pool: string;
  vmMemory: number;
  vmMaxNumber: number | null;
  maxLeaseSeconds: number;
  maxVacate: number;
  scratchMiB: number;
  guestToken: string;
  tokenIdentity: string;
  scriptPath: string;
  /** The STARTD_CRON job that brings HasVM back (beside the domain script). */
  recheckPath: string;
  configPath: string;
  consoleDir: string;
  seedDir: string;
  probeCache: string;
  qemu: string;
  qemuImg: string;
  condorTokenCreate: string;
  condorConfigVal: string;
  checkDisks: boolean;
  vmUser: string;
  guestDebug: boolean;
}

export class SiteOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SiteOptionError';
  }
}

const ABS_PATH = /^\/[A-Za-z0-9._+/-]*$/;
const BRIDGE = /^[A-Za-z0-9_.-]{1,15}$/;
const HOSTNAME = /^[A-Za-z0-9._-]+(@[A-Za-z0-9._-]+)?$/;
const POOL = /^[A-Za-z0-9._-]+(:\d{1,5})?$/;
const IDENTITY = /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/;
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

function absPath(what: string, v: string | undefined, fallback: string): string {
  const p = v ?? fallback;
  if (p !== '' && (!ABS_PATH.test(p) || p.split('/').includes('..'))) {
    throw new SiteOptionError(`${what} must be an absolute path of plain characters, not '${p}'`);
  }
  return p;
}

function positiveInt(what: string, v: number | undefined, fallback: number, min = 1): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < min)
    throw new SiteOptionError(`${what} must be an integer ≥ ${min}, not '${v}'`);
  return n;
}

export function resolveSiteOptions(o: SiteOptions = {}): SiteSettings {
  const emulation = (o.emulation ?? 'auto') as Emulation;
  if (!['auto', 'kvm', 'tcg'].includes(emulation)) {
    throw new SiteOptionError(`--emulation must be auto, kvm or tcg, not '${o.emulation}'`);
  }
  const kernel = absPath('--kernel', o.kernel, '');
  const initrd = absPath('--initrd', o.initrd, '');
  if ((kernel === '') !== (initrd === '')) throw new SiteOptionError('--kernel and --initrd go together');
  if (emulation === 'auto' && kernel === '') {
    throw new SiteOptionError(
      '--emulation auto probes each node by booting the vmdag kernel: give --kernel and --initrd, or choose kvm or tcg',
    );
  }
  const bridge = o.bridge ?? 'br0';
  if (!BRIDGE.test(bridge)) throw new SiteOptionError(`--bridge: not an interface name: '${bridge}'`);
  const schedd = o.scheddName ?? '';
  if (schedd !== '' && !HOSTNAME.test(schedd))
    throw new SiteOptionError(`--schedd-name: not a schedd name: '${schedd}'`);
  const pool = o.pool ?? '';
  if (pool !== '' && !POOL.test(pool)) throw new SiteOptionError(`--pool must be host[:port], not '${pool}'`);
  const guestToken = o.guestToken ?? 'mint';
  if (guestToken !== 'mint' && guestToken !== 'none') absPath('--guest-token', guestToken, '');
  const tokenIdentity = o.tokenIdentity ?? '';
  if (tokenIdentity !== '' && !IDENTITY.test(tokenIdentity)) {
    throw new SiteOptionError(`--token-identity must be user@domain, not '${tokenIdentity}'`);
  }
  const stateDir = absPath('--state-dir', o.stateDir, '/var/lib/vmdag-site').replace(/\/+$/, '') || '/';
  const scriptPath = absPath('--script-path', o.scriptPath, '/usr/libexec/vmdag/vmdag-libvirt-xml');
  const vmUser = o.vmUser ?? '';
  if (vmUser !== '' && !USER.test(vmUser))
    throw new SiteOptionError(`--vm-user: not a user name: '${vmUser}'`);
  return {
    emulation,
    kernel,
    initrd,
    bridge,
    scheduler: schedd,
    pool,
    vmMemory: positiveInt('--vm-memory', o.vmMemory, 2048, 64),
    vmMaxNumber: o.vmMaxNumber === undefined ? null : positiveInt('--vm-max-number', o.vmMaxNumber, 1),
    maxLeaseSeconds: positiveInt('--max-lease', o.maxLeaseSeconds, 86_400, 60),
    maxVacate: 60,
    scratchMiB: o.scratchMiB === 0 ? 0 : positiveInt('--guest-scratch', o.scratchMiB, 8192, 64),
    guestToken,
    tokenIdentity,
    scriptPath,
    recheckPath: `${scriptPath.replace(/\/[^/]*$/, '')}/vmdag-vm-recheck`,
    configPath: '/etc/condor/config.d/50-vmdag-site.conf',
    consoleDir: absPath('--console-dir', o.consoleDir, '/var/log/vmdag-guests'),
    seedDir: `${stateDir}/seeds`,
    probeCache: `${stateDir}/emulation-probe`,
    qemu: absPath('--qemu', o.qemu, '/usr/bin/qemu-system-x86_64'),
    qemuImg: absPath('--qemu-img', o.qemuImg, '/usr/bin/qemu-img'),
    condorTokenCreate: '/usr/bin/condor_token_create',
    condorConfigVal: '/usr/bin/condor_config_val',
    checkDisks: o.checkDisks ?? true,
    vmUser,
    guestDebug: o.guestDebug ?? false,
  };
}
