/**
 * Choose the site a workflow runs at, and say why. Pure: the site resources come from `query-site.ts`, the
 * image facts (is a cluster image at the site?) from the command layer.
 *
 * A site fits when every need is met by its capacity (all slots, busy or not): the hypervisor (VM_Type),
 * `count` VMs of `cpus` cores and `memory` MiB on VM-capable slots (also bounded by VM_Memory and
 * VM_AvailNum), a schedd to submit to, and — for `location: cluster` — the image not known to be missing.
 * Native workflows need, per step, `machineCount` dedicated slots (parallel universe) of `ranksPerNode`
 * cores and the step's memory. Among fitting sites the order is: fits now (free slots) over fits once
 * busy slots free up; fewer hosts (the paper measured 92.5 % of native inside one VM, 42.6 % across two);
 * image already there over unknown; more free cores; catalog order. A `site:` pin restricts the choice
 * to that site and is refused, with its reasons, when it does not fit.
 */
import type { Hypervisor, ImageLocation } from '../model/workflow.js';
import type { MachineResources, ReachableSite, SiteResources, SlotResources } from './site-resources.js';

export interface StepNeed {
  name: string;
  /** Nodes of the parallel job and ranks per node (from the plan's packing rule). */
  machineCount: number;
  ranksPerNode: number;
  memoryMiB: number;
}

export interface SiteRequest {
  mode: 'vm' | 'native';
  vm?: { hypervisor: Hypervisor; count: number; cpus: number; memoryMiB: number; location: ImageLocation };
  steps: StepNeed[];
  /** The workflow's `site:`. */
  pin?: string;
}

/** Whether a `location: cluster` image is at a site: checked when the site's images folder is visible. */
export type ImageAtSite = { state: 'present' | 'missing' | 'unknown'; detail: string };

export interface HostPlacement {
  machine: string;
  /** VMs placed there (vm mode) or parallel nodes of the largest step (native mode). */
  count: number;
}

export interface SiteVerdict {
  site: string;
  reachable: boolean;
  fits: boolean;
  /** Fits on slots free right now (else it waits for busy slots). */
  fitsNow: boolean;
  /** Plain words: what fits, or what is missing here. */
  reasons: string[];
  /** Hosts used and how many VMs (nodes) on each; absent when it does not fit. */
  placement?: HostPlacement[];
  image?: ImageAtSite;
}

export type SiteChoice =
  | { ok: true; site: string; why: string[]; verdicts: SiteVerdict[] }
  | { ok: false; error: string; verdicts: SiteVerdict[] };

const PACKING =
  'fewest hosts first: the paper measured 92.5 % of native speed inside one VM and 42.6 % across two';

function mib(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How many units of `cpus` cores and `memoryMiB` a slot holds, in all and now. */
function unitsIn(slot: SlotResources, cpus: number, memoryMiB: number): { all: number; now: number } {
  if (slot.kind === 'dynamic') return { all: 0, now: 0 };
  if (slot.kind === 'static') {
    const fitsSlot = slot.cpus >= cpus && slot.memoryMiB >= memoryMiB ? 1 : 0;
    return {
      all: fitsSlot,
      now: fitsSlot && slot.freeCpus >= cpus && slot.freeMemoryMiB >= memoryMiB ? 1 : 0,
    };
  }
  const n = (c: number, m: number) => Math.min(Math.floor(c / cpus), Math.floor(m / memoryMiB));
  return { all: n(slot.cpus, slot.memoryMiB), now: n(slot.freeCpus, slot.freeMemoryMiB) };
}

interface Capacity {
  machine: string;
  all: number;
  now: number;
}

/** Fill the fullest hosts first; undefined when the hosts cannot take `need`. */
function pack(caps: Capacity[], need: number, view: 'all' | 'now'): HostPlacement[] | undefined {
  const sorted = [...caps]
    .filter((c) => c[view] > 0)
    .sort((a, b) => b[view] - a[view] || a.machine.localeCompare(b.machine));
  const out: HostPlacement[] = [];
  let left = need;
  for (const c of sorted) {
    if (left <= 0) break;
    const n = Math.min(c[view], left);
    out.push({ machine: c.machine, count: n });
    left -= n;
  }
  return left > 0 ? undefined : out;
}

function vmCapacity(m: MachineResources, vm: NonNullable<SiteRequest['vm']>): Capacity {
  let all = 0;
  let now = 0;
  for (const s of m.slots) {
    const u = unitsIn(s, vm.cpus, vm.memoryMiB);
    all += u.all;
    now += u.now;
  }
  // VM_Memory and VM_AvailNum are what the startd advertises now; they bound both views.
  const bounds = [
    m.vmMemoryMiB !== undefined ? Math.floor(m.vmMemoryMiB / vm.memoryMiB) : Number.POSITIVE_INFINITY,
    m.vmAvailNum ?? Number.POSITIVE_INFINITY,
  ];
  const cap = Math.min(...bounds);
  return { machine: m.machine, all: Math.min(all, cap), now: Math.min(now, cap) };
}

function judgeVm(
  site: ReachableSite,
  vm: NonNullable<SiteRequest['vm']>,
  v: SiteVerdict,
): HostPlacement[] | undefined {
  const what = `${plural(vm.count, 'VM')} of ${plural(vm.cpus, 'core')} and ${mib(vm.memoryMiB)} (${vm.hypervisor})`;
  const vmMachines = site.machines.filter((m) => m.hasVm);
  if (site.machines.length === 0) {
    v.reasons.push(`no machine in the pool (the collector lists no slot); needs ${what}`);
    return undefined;
  }
  if (vmMachines.length === 0) {
    v.reasons.push(
      `no VM-capable machine: HasVM is not true on any of its ${plural(site.machines.length, 'machine')}; needs ${what}`,
    );
    return undefined;
  }
  const matching = vmMachines.filter((m) => m.vmType === vm.hypervisor);
  if (matching.length === 0) {
    const types = [...new Set(vmMachines.map((m) => m.vmType ?? 'unknown'))].sort().join(', ');
    v.reasons.push(`no machine runs ${vm.hypervisor} VMs (VM_Type here: ${types})`);
    return undefined;
  }
  const caps = matching.map((m) => vmCapacity(m, vm));
  const total = caps.reduce((s, c) => s + c.all, 0);
  const all = pack(caps, vm.count, 'all');
  if (!all) {
    const each = caps.map((c) => `${c.machine}: ${c.all}`).join(', ');
    v.reasons.push(`needs ${what}; its ${vm.hypervisor} machines hold ${total} (${each})`);
    return undefined;
  }
  const now = pack(caps, vm.count, 'now');
  v.fitsNow = now !== undefined;
  const placement = now ?? all;
  v.reasons.push(
    `${what} fit on ${plural(placement.length, 'host')} (${placement.map((p) => `${p.machine}: ${p.count}`).join(', ')})${now ? ' now' : ', once busy slots free up'}`,
  );
  return placement;
}

function judgeNative(site: ReachableSite, steps: StepNeed[], v: SiteVerdict): HostPlacement[] | undefined {
  let widest: HostPlacement[] | undefined;
  let allNow = true;
  for (const step of steps) {
    const caps: Capacity[] = site.machines.map((m) => {
      let all = 0;
      let now = 0;
      for (const s of m.slots.filter((x) => x.dedicated)) {
        const u = unitsIn(s, step.ranksPerNode, step.memoryMiB);
        all += u.all;
        now += u.now;
      }
      return { machine: m.machine, all, now };
    });
    const all = pack(caps, step.machineCount, 'all');
    const what = `${plural(step.machineCount, 'dedicated slot')} of ${plural(step.ranksPerNode, 'core')} and ${mib(step.memoryMiB)}`;
    if (!all) {
      const dedicated = site.machines.reduce((n, m) => n + m.slots.filter((s) => s.dedicated).length, 0);
      const have = caps.reduce((n, c) => n + c.all, 0);
      v.reasons.push(
        `step ${step.name} needs ${what}; there ${have === 1 ? 'is' : 'are'} ${have} (${plural(dedicated, 'slot')} name a DedicatedScheduler)`,
      );
      return undefined;
    }
    const now = pack(caps, step.machineCount, 'now');
    if (!now) allNow = false;
    const placement = now ?? all;
    if (!widest || step.machineCount > widest.reduce((n, p) => n + p.count, 0)) widest = placement;
    v.reasons.push(
      `step ${step.name}: ${what} on ${plural(placement.length, 'host')}${now ? ' now' : ', once busy slots free up'}`,
    );
  }
  v.fitsNow = allNow;
  return widest ?? [];
}

function judge(site: SiteResources, req: SiteRequest, image: ImageAtSite | undefined): SiteVerdict {
  const v: SiteVerdict = {
    site: site.name,
    reachable: site.reachable,
    fits: false,
    fitsNow: false,
    reasons: [],
  };
  if (!site.reachable) {
    v.reasons.push(`unreachable: ${site.error}`);
    return v;
  }
  const placement = req.mode === 'vm' && req.vm ? judgeVm(site, req.vm, v) : judgeNative(site, req.steps, v);
  let ok = placement !== undefined;
  if (req.vm?.location === 'cluster') {
    const img = image ?? { state: 'unknown', detail: 'the site does not say where its images are' };
    v.image = img;
    if (img.state === 'missing') {
      v.reasons.push(`image missing: ${img.detail}`);
      ok = false;
    } else v.reasons.push(`image ${img.state === 'present' ? 'there' : 'not checked'}: ${img.detail}`);
  }
  if (site.access && !site.access.allowed) {
    const fix = site.access.fix ? ` — ${site.access.fix}` : '';
    v.reasons.push(`this user may not submit here: ${site.access.error ?? 'refused'}${fix}`);
    ok = false;
  } else if (site.access?.identity) v.reasons.push(`submits as ${site.access.identity}`);
  if (!site.schedd) {
    v.reasons.push(
      site.schedds.length === 0
        ? 'no schedd to submit to: the collector lists none'
        : `several schedds (${site.schedds.join(', ')}): name one with \`schedd:\` in the site catalog`,
    );
    ok = false;
  }
  v.fits = ok;
  if (!ok) v.fitsNow = false;
  else if (placement) v.placement = placement;
  return v;
}

function rank(a: SiteVerdict, b: SiteVerdict, order: Map<string, number>, free: Map<string, number>): number {
  const img = (v: SiteVerdict) => (v.image?.state === 'present' ? 0 : 1);
  return (
    Number(b.fitsNow) - Number(a.fitsNow) ||
    (a.placement?.length ?? 0) - (b.placement?.length ?? 0) ||
    img(a) - img(b) ||
    (free.get(b.site) ?? 0) - (free.get(a.site) ?? 0) ||
    (order.get(a.site) ?? 0) - (order.get(b.site) ?? 0)
  );
}

export function chooseSite(
  req: SiteRequest,
  sites: readonly SiteResources[],
  images: Readonly<Record<string, ImageAtSite>> = {},
): SiteChoice {
  const verdicts = sites.map((s) => judge(s, req, images[s.name]));
  const refusal = (v: SiteVerdict) => `${v.site}: ${v.reasons.join('; ')}`;
  if (req.pin !== undefined) {
    const v = verdicts.find((x) => x.site === req.pin);
    if (!v)
      return {
        ok: false,
        error: `site ${req.pin} (pinned by \`site:\`) is not in the site catalog`,
        verdicts,
      };
    if (!v.fits)
      return {
        ok: false,
        error: `site ${req.pin} (pinned by \`site:\`) does not fit: ${v.reasons.join('; ')}`,
        verdicts,
      };
    return { ok: true, site: v.site, why: [`pinned by \`site: ${v.site}\``, ...v.reasons], verdicts };
  }
  const fitting = verdicts.filter((v) => v.fits);
  if (fitting.length === 0) {
    return {
      ok: false,
      error: `no site fits this workflow:\n${verdicts.map((v) => `  ${refusal(v)}`).join('\n')}`,
      verdicts,
    };
  }
  const order = new Map(sites.map((s, i) => [s.name, i]));
  const free = new Map(sites.map((s) => [s.name, s.reachable ? s.totals.freeCpus : 0]));
  const best = [...fitting].sort((a, b) => rank(a, b, order, free))[0] as SiteVerdict;
  const why = [...best.reasons];
  if (fitting.length > 1) {
    why.push(
      `preferred over ${fitting
        .filter((v) => v !== best)
        .map((v) => v.site)
        .join(', ')}: fits now first, then ${PACKING}, then image in place, then free cores`,
    );
  }
  for (const v of verdicts.filter((x) => !x.fits)) why.push(`not ${refusal(v)}`);
  return { ok: true, site: best.site, why, verdicts };
}
