/**
 * What a site's collector says about it, summarised for choosing a site: per machine, the slots (their
 * size, whether free now, whether they serve the parallel universe) and the VM support the startd
 * advertises. Built by the pure `summarizeSite` from the ads of `condor_status -json` (slots, schedds,
 * collector); `query-site.ts` runs the queries.
 */
import { adNumber, adString, type ClassAd } from '../condor/classads.js';
import type { SubmitAccess } from './submit-access.js';

/** One slot as the chooser needs it. Partitionable slots count what is left (`free*`) and their size. */
export interface SlotResources {
  name: string;
  kind: 'static' | 'partitionable' | 'dynamic';
  /** Cores and MiB the slot has in all (a partitionable slot: the whole of it). */
  cpus: number;
  memoryMiB: number;
  /** Cores and MiB a new job can get now: an unclaimed static slot's, what a partitionable slot has left. */
  freeCpus: number;
  freeMemoryMiB: number;
  /** The slot names a dedicated scheduler (parallel universe). */
  dedicated: boolean;
}

export interface MachineResources {
  machine: string;
  totalCpus: number;
  totalMemoryMiB: number;
  /** The startd can run VM-universe jobs (HasVM). */
  hasVm: boolean;
  /** VM_Type: `kvm`, `xen`… (absent without VM support). */
  vmType?: string;
  /** VM_Memory: MiB the startd still gives to VMs. */
  vmMemoryMiB?: number;
  /** VM_AvailNum: how many more VMs the startd starts (absent: no limit advertised). */
  vmAvailNum?: number;
  vmNetworking?: boolean;
  vmNetworkingTypes?: string[];
  slots: SlotResources[];
}

export interface ReachableSite {
  name: string;
  /** Central manager host[:port]; absent for the local pool. */
  pool?: string;
  reachable: true;
  /** From the catalog when given, else the pool's only schedd. */
  schedd?: string;
  /** The schedd's sinful string (ScheddIpAddr), used to submit to it. */
  scheddAddress?: string;
  /** Every schedd the collector knows (a catalog may name one; without, one must be the only one). */
  schedds: string[];
  /** Folder of cluster-resident images (catalog `images`). */
  images?: string;
  /** HTCondor version of the collector, e.g. `23.9.6`. */
  condorVersion?: string;
  machines: MachineResources[];
  totals: SiteTotals;
  /** Whether the schedd lets this user submit (condor_ping WRITE; asked for catalog sites only). */
  access?: SubmitAccess;
}

export interface SiteTotals {
  machines: number;
  vmMachines: number;
  hypervisors: string[];
  cpus: number;
  memoryMiB: number;
  freeCpus: number;
  freeMemoryMiB: number;
  slots: number;
  freeSlots: number;
  /** Sum of VM_AvailNum over VM-capable machines (machines advertising none count 0). */
  vmSlotsAvailable: number;
  vmMemoryMiB: number;
}

export interface UnreachableSite {
  name: string;
  pool?: string;
  reachable: false;
  /** What failed: the command's own words. */
  error: string;
  images?: string;
}

export type SiteResources = ReachableSite | UnreachableSite;

/** `$CondorVersion: 23.9.6 2026-07-12 … $` → `23.9.6`. */
export function condorVersionNumber(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = /\$CondorVersion:\s*(\S+)/.exec(v);
  return m ? m[1] : v;
}

function adBool(ad: ClassAd, attr: string): boolean | undefined {
  const v = ad[attr];
  return typeof v === 'boolean' ? v : undefined;
}

function slotOf(ad: ClassAd): SlotResources {
  const type = adString(ad, 'SlotType');
  const kind: SlotResources['kind'] =
    type === 'Partitionable' || adBool(ad, 'PartitionableSlot') === true
      ? 'partitionable'
      : type === 'Dynamic'
        ? 'dynamic'
        : 'static';
  const cpusNow = adNumber(ad, 'Cpus') ?? 0;
  const memNow = adNumber(ad, 'Memory') ?? 0;
  const cpus = kind === 'partitionable' ? (adNumber(ad, 'TotalSlotCpus') ?? cpusNow) : cpusNow;
  const memoryMiB = kind === 'partitionable' ? (adNumber(ad, 'TotalSlotMemory') ?? memNow) : memNow;
  // A partitionable slot's Cpus/Memory is what is left; a static slot is free only while unclaimed.
  const free = kind === 'partitionable' || (kind === 'static' && adString(ad, 'State') === 'Unclaimed');
  return {
    name: adString(ad, 'Name') ?? '',
    kind,
    cpus,
    memoryMiB,
    freeCpus: free ? cpusNow : 0,
    freeMemoryMiB: free ? memNow : 0,
    dedicated: (adString(ad, 'DedicatedScheduler') ?? '') !== '',
  };
}

function totalsOf(machines: MachineResources[]): SiteTotals {
  const t: SiteTotals = {
    machines: machines.length,
    vmMachines: 0,
    hypervisors: [],
    cpus: 0,
    memoryMiB: 0,
    freeCpus: 0,
    freeMemoryMiB: 0,
    slots: 0,
    freeSlots: 0,
    vmSlotsAvailable: 0,
    vmMemoryMiB: 0,
  };
  const hv = new Set<string>();
  for (const m of machines) {
    t.cpus += m.totalCpus;
    t.memoryMiB += m.totalMemoryMiB;
    for (const s of m.slots) {
      if (s.kind === 'dynamic') continue;
      t.slots += 1;
      if (s.freeCpus > 0) t.freeSlots += 1;
      t.freeCpus += s.freeCpus;
      t.freeMemoryMiB += s.freeMemoryMiB;
    }
    if (m.hasVm) {
      t.vmMachines += 1;
      if (m.vmType) hv.add(m.vmType);
      t.vmSlotsAvailable += m.vmAvailNum ?? 0;
      t.vmMemoryMiB += m.vmMemoryMiB ?? 0;
    }
  }
  t.hypervisors = [...hv].sort();
  return t;
}

/** Group slot ads by machine; the machine's VM facts are those of its slots (every slot repeats them). */
export function summarizeMachines(slotAds: ClassAd[]): MachineResources[] {
  const byMachine = new Map<string, MachineResources>();
  for (const ad of slotAds) {
    const machine = adString(ad, 'Machine') ?? adString(ad, 'Name') ?? '?';
    let m = byMachine.get(machine);
    if (!m) {
      m = {
        machine,
        totalCpus: adNumber(ad, 'TotalCpus') ?? 0,
        totalMemoryMiB: adNumber(ad, 'TotalMemory') ?? 0,
        hasVm: false,
        slots: [],
      };
      byMachine.set(machine, m);
    }
    m.slots.push(slotOf(ad));
    if (adBool(ad, 'HasVM') === true) {
      m.hasVm = true;
      const type = adString(ad, 'VM_Type');
      if (type) m.vmType = type.toLowerCase();
      const mem = adNumber(ad, 'VM_Memory');
      if (mem !== undefined) m.vmMemoryMiB = mem;
      const avail = adNumber(ad, 'VM_AvailNum');
      if (avail !== undefined) m.vmAvailNum = avail;
      const net = adBool(ad, 'VM_Networking');
      if (net !== undefined) m.vmNetworking = net;
      const types = adString(ad, 'VM_Networking_Types');
      if (types) m.vmNetworkingTypes = types.split(/[\s,]+/).filter(Boolean);
    }
  }
  return [...byMachine.values()].sort((a, b) => a.machine.localeCompare(b.machine));
}

export interface SiteAds {
  slots: ClassAd[];
  schedds: ClassAd[];
  collector: ClassAd[];
}

/** The summary of one reachable site from its three queries. Pure. */
export function summarizeSite(
  site: { name: string; pool?: string; schedd?: string; images?: string },
  ads: SiteAds,
): ReachableSite {
  const machines = summarizeMachines(ads.slots);
  const schedds = ads.schedds.map((ad) => adString(ad, 'Name')).filter((n): n is string => n !== undefined);
  const scheddName = site.schedd ?? (schedds.length === 1 ? schedds[0] : undefined);
  const scheddAd = ads.schedds.find((ad) => adString(ad, 'Name') === scheddName);
  const version =
    condorVersionNumber(ads.collector.map((ad) => adString(ad, 'CondorVersion')).find(Boolean)) ??
    condorVersionNumber(ads.slots.map((ad) => adString(ad, 'CondorVersion')).find(Boolean));
  const r: ReachableSite = {
    name: site.name,
    reachable: true,
    schedds: schedds.sort(),
    machines,
    totals: totalsOf(machines),
  };
  if (site.pool !== undefined) r.pool = site.pool;
  if (scheddName !== undefined) r.schedd = scheddName;
  const addr = scheddAd ? adString(scheddAd, 'ScheddIpAddr') : undefined;
  if (addr !== undefined) r.scheddAddress = addr;
  if (site.images !== undefined) r.images = site.images;
  if (version !== undefined) r.condorVersion = version;
  return r;
}
