/**
 * Pure: each VM's boot taken apart (docs/report.md, "Each VM's boot"), from what GATE leaves in the run's
 * logs/ once every guest has joined — the guests' startd ads as condor_status printed them (guests.json)
 * and when it first saw each guest (guests-seen.txt) — with the VM jobs' and the first step's events.
 * The guest's own marks (its kernel's start, the phases of vmdag-init) are the vmdag guest image's
 * (VmdagBootEpoch, VmdagBootPhases in its startd ad); any other image gives only HTCondor's: the startd's
 * start (DaemonStartTime) and the gate's sighting. So is whether the VM ran under KVM or emulation
 * (VmdagAccel).
 */
import { type AdValue, adNumber, adString, type ClassAd, parseAdsJson } from '../condor/classads.js';
import type { Accel, BootMark, BootMarkClock, VmBoot, VmBoots } from './types.js';

export const GUESTS_FILE = 'logs/guests.json';
export const GUESTS_SEEN_FILE = 'logs/guests-seen.txt';

/** One guest as the gate saw it (times in epoch milliseconds). */
export interface Guest {
  machine: string;
  /** VmdagBootEpoch: when its kernel started (the guest's clock). */
  kernel?: number;
  /** VmdagBootPhases: the guest's uptime in seconds at the end of each phase of its boot, in order. */
  phases: { name: string; uptime: number }[];
  /** DaemonStartTime of its startd (the guest's clock, whole seconds). */
  startd?: number;
  /** When the gate first saw it in the collector (the submit host's clock, whole seconds). */
  seen?: number;
  /** LastHeardFrom − MyCurrentTime of its latest ad: the collector's clock minus the guest's, whole seconds. */
  clockOffset?: number;
  /** VmdagAccel: how the VM ran (the vmdag guest image says it; another image does not). */
  accel?: Accel;
}

/** One VM job of the run: its lane, when it was queued and when it began executing (epoch ms). */
export interface VmJob {
  lane: string;
  queued?: number;
  executing?: number;
}

/** The marks HTCondor and the gate give for any guest; the guest image's own phases may not take these names. */
const FIXED = ['queued', 'executing', 'kernel', 'startd', 'joined', 'step'];

/** What each part of the boot is, by the mark that ends it (a guest phase not named here: its name). */
export const BOOT_MEANING: Record<string, string> = {
  executing: 'HTCondor matched and started the VM job',
  kernel: 'starter, VM GAHP, libvirt domain, firmware: until the guest kernel started',
  'initramfs-root': 'kernel and initramfs: modules loaded, root disk mounted',
  fs: 'vmdag-init: file systems, scratch disk formatted',
  net: 'network up (DHCP), host names written',
  token: 'pool token read from the seed disk',
  configured: 'HTCondor configuration written; condor_master starts right after',
  startd: 'condor_master started, then the startd',
  joined: 'startd ready, its ad in the collector, seen by the gate (which polls)',
  step: 'until the first step executed (the gate ends, the step is matched, MPI starts)',
};

/** What the part of a boot that ends at mark `to` is. */
export function bootMeaning(to: string): string {
  return BOOT_MEANING[to] ?? `guest phase ${to}`;
}

/**
 * An ad's VmdagAccel → how the VM ran: "kvm" or "emulation" as vmdag-init writes them (any case); anything
 * else, or none (an image without vmdag-init), null.
 */
export function accelOf(value: AdValue | undefined): Accel | null {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return v === 'kvm' || v === 'emulation' ? v : null;
}

/** What the report says of how a VM ran. */
export function accelLabel(accel: Accel | null): string {
  if (accel === 'kvm') return 'KVM';
  if (accel === 'emulation') return 'software emulation (QEMU TCG)';
  return 'KVM or emulation: not recorded by this image';
}

/** The same, short, for the VM's lane on the page (nothing when the image does not say). */
export function accelShort(accel: Accel | null): string | undefined {
  return accel === null ? undefined : accel === 'kvm' ? 'KVM' : 'emulated';
}

/** Where the marks come from and how far they can be trusted: said with every boot shown. */
export const BOOT_NOTES = [
  "kernel … configured: the vmdag guest image's own record (VmdagBootEpoch, VmdagBootPhases in its startd ad); another image gives queued, executing, startd, joined and step only.",
  "kernel … startd are the guest's clock: the host's, read from the VM's RTC at boot (±1 s); HTCondor's marks are whole seconds. A mark before the one it follows counts as 0 s.",
  "KVM or emulation: the vmdag guest image's VmdagAccel — KVM when the guest kernel offers the kvm-clock clocksource (Linux has it only under KVM), else software emulation (QEMU's TCG on the site kit; a hypervisor other than KVM would read the same); another image does not say.",
];
export const PAIRING_NOTE =
  'Guests are paired with VM jobs in order of start: a guest does not know its VM job.';

/** `initramfs-root=1.52 fs=2.9 …` (VmdagBootPhases) → its phases; anything else in it is left out. */
export function parseBootPhases(text: string): { name: string; uptime: number }[] {
  const out: { name: string; uptime: number }[] = [];
  for (const m of text.matchAll(/(?:^|\s)([a-z][a-z0-9-]*)=(\d+(?:\.\d+)?)(?=\s|$)/g))
    if (!FIXED.includes(m[1] ?? '')) out.push({ name: m[1] ?? '', uptime: Number(m[2]) });
  return out;
}

/** guests-seen.txt, as the gate writes it: `EPOCH MACHINE` lines → machine → epoch ms. */
export function parseGuestsSeen(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(\d+) ([A-Za-z0-9._-]+)$/gm))
    if (!out.has(m[2] ?? '')) out.set(m[2] ?? '', Number(m[1]) * 1000);
  return out;
}

/**
 * The guests of DAGMan job `dagmanJobId` among the gate's ads (one per machine: its Machine, else the host
 * part of its slot's Name), with the gate's sightings.
 */
export function guestsOf(ads: ClassAd[], seen: Map<string, number>, dagmanJobId: number): Guest[] {
  const out = new Map<string, Guest>();
  for (const ad of ads) {
    const machine = adString(ad, 'Machine') ?? adString(ad, 'Name')?.split('@').at(-1);
    const wf = ad.VmWorkflowId;
    if (!machine || out.has(machine) || String(wf) !== String(dagmanJobId)) continue;
    const ms = (attr: string) => {
      const v = adNumber(ad, attr);
      return v !== undefined && v > 0 ? Math.round(v * 1000) : undefined;
    };
    const now = adNumber(ad, 'MyCurrentTime');
    const heard = adNumber(ad, 'LastHeardFrom');
    const g: Guest = { machine, phases: parseBootPhases(adString(ad, 'VmdagBootPhases') ?? '') };
    const accel = accelOf(ad.VmdagAccel);
    if (accel !== null) g.accel = accel;
    const kernel = ms('VmdagBootEpoch');
    const startd = ms('DaemonStartTime');
    const at = seen.get(machine);
    if (kernel !== undefined) g.kernel = kernel;
    if (startd !== undefined) g.startd = startd;
    if (at !== undefined) g.seen = at;
    if (now !== undefined && heard !== undefined) g.clockOffset = heard - now;
    out.set(machine, g);
  }
  return [...out.values()];
}

/**
 * The guests from the texts of guests.json and guests-seen.txt; undefined without guests.json (a run before
 * the gate saved it, or whose guests never all joined), a problem when it cannot be read.
 */
export function readGuests(
  json: string | undefined,
  seenText: string | undefined,
  dagmanJobId: number,
): { guests: Guest[] } | { problem: string } | undefined {
  if (json === undefined) return undefined;
  let ads: ClassAd[];
  try {
    ads = parseAdsJson(json);
  } catch (e) {
    return { problem: `${GUESTS_FILE} cannot be read: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { guests: guestsOf(ads, parseGuestsSeen(seenText ?? ''), dagmanJobId) };
}

const seconds = (x: number) => Math.round(x * 1000) / 1000;
const first = (g: Guest) => g.kernel ?? g.startd ?? g.seen ?? Number.POSITIVE_INFINITY;

/** One VM's marks in the order of a boot, those known only. */
function marksOf(vm: VmJob, g: Guest, step: number | undefined): BootMark[] {
  const marks: BootMark[] = [];
  const add = (name: string, time: number | undefined, clock: BootMarkClock) => {
    if (time !== undefined) marks.push({ name, time, clock });
  };
  add('queued', vm.queued, 'event log');
  add('executing', vm.executing, 'event log');
  add('kernel', g.kernel, 'guest');
  if (g.kernel !== undefined)
    for (const p of g.phases) add(p.name, g.kernel + Math.round(p.uptime * 1000), 'guest');
  add('startd', g.startd, 'guest');
  add('joined', g.seen, 'gate');
  add('step', step, 'event log');
  return marks;
}

/**
 * Each VM's boot: its marks, and the parts between consecutive ones. A mark earlier than the one before it
 * (two clocks, whole seconds) makes a part of 0 s and the next part starts from the later of the two, so the
 * parts still add up: `boot` is their sum from executing to joined. Guests are paired with VM jobs in order
 * of start (a guest does not know its VM job): exact with one VM, and a swap between VMs that started
 * together changes little.
 */
export function vmBoots(vms: VmJob[], guests: Guest[], step: number | undefined): VmBoots {
  const jobs = [...vms].sort(
    (a, b) => (a.executing ?? Number.POSITIVE_INFINITY) - (b.executing ?? Number.POSITIVE_INFINITY),
  );
  const gs = [...guests].sort((a, b) => first(a) - first(b));
  const out: VmBoot[] = [];
  jobs.forEach((vm, i) => {
    const g = gs[i];
    if (!g) return;
    const marks = marksOf(vm, g, step);
    const parts: VmBoot['parts'] = [];
    let at: number | undefined;
    for (const [j, m] of marks.entries()) {
      const from = marks[j - 1];
      if (from && at !== undefined)
        parts.push({ from: from.name, to: m.name, seconds: seconds(Math.max(0, m.time - at) / 1000) });
      at = Math.max(at ?? m.time, m.time);
    }
    const a = parts.findIndex((p) => p.from === 'executing');
    const b = parts.findIndex((p) => p.to === 'joined');
    const boot = a >= 0 && b >= a ? seconds(parts.slice(a, b + 1).reduce((s, p) => s + p.seconds, 0)) : null;
    out.push({
      lane: vm.lane,
      guest: g.machine,
      marks,
      parts,
      boot,
      clockOffset: g.clockOffset ?? null,
      accel: g.accel ?? null,
    });
  });
  const order = vms.map((v) => v.lane);
  out.sort((a, b) => order.indexOf(a.lane) - order.indexOf(b.lane));
  return { vms: out, pairing: vms.length > 1 ? 'in order of start' : 'one VM' };
}
