import { describe, expect, it } from 'vitest';
import { chooseSite, type ImageAtSite, type SiteRequest } from '../../src/site-catalog/choose-site.js';
import type {
  MachineResources,
  ReachableSite,
  SiteResources,
  SlotResources,
} from '../../src/site-catalog/site-resources.js';

function slot(
  name: string,
  cpus: number,
  memoryMiB: number,
  free = true,
  extra: Partial<SlotResources> = {},
): SlotResources {
  return {
    name,
    kind: 'static',
    cpus,
    memoryMiB,
    freeCpus: free ? cpus : 0,
    freeMemoryMiB: free ? memoryMiB : 0,
    dedicated: true,
    ...extra,
  };
}

function vmHost(
  machine: string,
  slots: SlotResources[],
  vmType = 'kvm',
  extra: Partial<MachineResources> = {},
): MachineResources {
  return {
    machine,
    totalCpus: slots.reduce((n, s) => n + s.cpus, 0),
    totalMemoryMiB: slots.reduce((n, s) => n + s.memoryMiB, 0),
    hasVm: true,
    vmType,
    slots,
    ...extra,
  };
}

function plainHost(machine: string, slots: SlotResources[]): MachineResources {
  return { ...vmHost(machine, slots), hasVm: false, vmType: undefined } as MachineResources;
}

function site(name: string, machines: MachineResources[], extra: Partial<ReachableSite> = {}): ReachableSite {
  const freeCpus = machines.flatMap((m) => m.slots).reduce((n, s) => n + s.freeCpus, 0);
  return {
    name,
    pool: `cm.${name}:9618`,
    reachable: true,
    schedd: `${name}@gw`,
    schedds: [`${name}@gw`],
    machines,
    totals: {
      machines: machines.length,
      vmMachines: machines.filter((m) => m.hasVm).length,
      hypervisors: [],
      cpus: 0,
      memoryMiB: 0,
      freeCpus,
      freeMemoryMiB: 0,
      slots: 0,
      freeSlots: 0,
      vmSlotsAvailable: 0,
      vmMemoryMiB: 0,
    },
    ...extra,
  };
}

const down: SiteResources = {
  name: 'down',
  pool: '127.0.0.1:1',
  reachable: false,
  error: 'condor_status exited with 1: CEDAR:6001:Failed to connect to <127.0.0.1:1>',
};

function vmReq(
  count: number,
  cpus: number,
  memoryMiB: number,
  extra: Partial<SiteRequest> = {},
): SiteRequest {
  return {
    mode: 'vm',
    vm: { hypervisor: 'kvm', count, cpus, memoryMiB, location: 'local' },
    steps: [{ name: 'compute', machineCount: count, ranksPerNode: cpus, memoryMiB: 256 }],
    ...extra,
  };
}

const nativeReq = (nodes: number, memoryMiB = 512): SiteRequest => ({
  mode: 'native',
  steps: [{ name: 'hpl', machineCount: nodes, ranksPerNode: 1, memoryMiB }],
});

const big = vmHost('big', [slot('slot1@big', 4, 4096), slot('slot2@big', 4, 4096)]);
const small1 = vmHost('s1', [slot('slot1@s1', 4, 4096)]);
const small2 = vmHost('s2', [slot('slot1@s2', 4, 4096)]);

type Row = [
  string,
  {
    req: SiteRequest;
    sites: SiteResources[];
    images?: Record<string, ImageAtSite>;
    want: { site?: string; error?: RegExp; hosts?: number; fitsNow?: boolean; reason?: RegExp };
  },
];

const rows: Row[] = [
  [
    'the one VM site fits',
    { req: vmReq(2, 2, 1024), sites: [site('a', [big])], want: { site: 'a', hosts: 1, fitsNow: true } },
  ],
  [
    'a site without HasVM is refused, the VM site chosen',
    {
      req: vmReq(1, 1, 512),
      sites: [site('b', [plainHost('p', [slot('slot1@p', 8, 8192)])]), site('a', [big])],
      want: { site: 'a', reason: /not b: no VM-capable machine/ },
    },
  ],
  [
    'hypervisor mismatch refuses',
    {
      req: vmReq(1, 1, 512),
      sites: [site('x', [vmHost('h', [slot('slot1@h', 4, 4096)], 'xen')])],
      want: { error: /x: no machine runs kvm VMs \(VM_Type here: xen\)/ },
    },
  ],
  [
    'too few cores says how many VMs the site holds',
    {
      req: vmReq(3, 4, 1024),
      sites: [site('a', [big])],
      want: { error: /needs 3 VMs of 4 cores.*hold 2 \(big: 2\)/ },
    },
  ],
  [
    'VM_Memory bounds the VMs of a host',
    {
      req: vmReq(2, 1, 1024),
      sites: [
        site('a', [
          vmHost('h', [slot('slot1@h', 4, 4096), slot('slot2@h', 4, 4096)], 'kvm', { vmMemoryMiB: 1500 }),
        ]),
      ],
      want: { error: /hold 1 \(h: 1\)/ },
    },
  ],
  [
    'VM_AvailNum bounds the VMs of a host',
    {
      req: vmReq(2, 1, 512),
      sites: [
        site('a', [
          vmHost('h', [slot('slot1@h', 4, 4096), slot('slot2@h', 4, 4096)], 'kvm', { vmAvailNum: 1 }),
        ]),
      ],
      want: { error: /hold 1/ },
    },
  ],
  [
    'packing: one host beats two',
    {
      req: vmReq(2, 4, 2048),
      sites: [site('two', [small1, small2]), site('one', [big])],
      want: { site: 'one', hosts: 1 },
    },
  ],
  [
    'fits now beats fits later',
    {
      req: vmReq(1, 1, 512),
      sites: [site('busy', [vmHost('h', [slot('slot1@h', 4, 4096, false)])]), site('idle', [small1, small2])],
      want: { site: 'idle', fitsNow: true },
    },
  ],
  [
    'a busy site still fits, later',
    {
      req: vmReq(1, 1, 512),
      sites: [site('busy', [vmHost('h', [slot('slot1@h', 4, 4096, false)])])],
      want: { site: 'busy', fitsNow: false },
    },
  ],
  [
    'partitionable slot counts what is left now and its size in all',
    {
      req: vmReq(3, 2, 1024),
      sites: [
        site('p', [
          vmHost('h', [
            { ...slot('slot1@h', 8, 8192), kind: 'partitionable', freeCpus: 2, freeMemoryMiB: 2048 },
          ]),
        ]),
      ],
      want: { site: 'p', fitsNow: false, hosts: 1 },
    },
  ],
  [
    'unreachable site is reported, not fatal',
    {
      req: vmReq(1, 1, 512),
      sites: [down, site('a', [big])],
      want: { site: 'a', reason: /not down: unreachable: .*127\.0\.0\.1:1/ },
    },
  ],
  [
    'only unreachable sites: error names them',
    { req: vmReq(1, 1, 512), sites: [down], want: { error: /down: unreachable/ } },
  ],
  [
    'pin honoured even when another packs better',
    {
      req: vmReq(2, 4, 2048, { pin: 'two' }),
      sites: [site('two', [small1, small2]), site('one', [big])],
      want: { site: 'two', hosts: 2 },
    },
  ],
  [
    'pin refused with its reason',
    {
      req: vmReq(1, 1, 512, { pin: 'b' }),
      sites: [site('b', [plainHost('p', [slot('slot1@p', 8, 8192)])]), site('a', [big])],
      want: { error: /site b \(pinned by `site:`\) does not fit: no VM-capable machine/ },
    },
  ],
  [
    'pin to an unknown site',
    {
      req: vmReq(1, 1, 512, { pin: 'zz' }),
      sites: [site('a', [big])],
      want: { error: /zz .* not in the site catalog/ },
    },
  ],
  [
    'cluster image missing refuses that site',
    {
      req: {
        ...vmReq(1, 1, 512),
        vm: { hypervisor: 'kvm', count: 1, cpus: 1, memoryMiB: 512, location: 'cluster' },
      },
      sites: [site('a', [big]), site('b', [small1])],
      images: {
        a: { state: 'missing', detail: 'no /img/a.qcow2' },
        b: { state: 'present', detail: 'found' },
      },
      want: { site: 'b', reason: /not a: .*image missing: no \/img\/a.qcow2/ },
    },
  ],
  [
    'cluster image present beats unknown at equal packing',
    {
      req: {
        ...vmReq(1, 1, 512),
        vm: { hypervisor: 'kvm', count: 1, cpus: 1, memoryMiB: 512, location: 'cluster' },
      },
      sites: [site('u', [small1]), site('p', [small2])],
      images: { p: { state: 'present', detail: 'found' } },
      want: { site: 'p' },
    },
  ],
  [
    'no schedd: refused',
    {
      req: vmReq(1, 1, 512),
      sites: [site('a', [big], { schedd: undefined, schedds: ['x@h', 'y@h'] })],
      want: { error: /several schedds \(x@h, y@h\)/ },
    },
  ],
  [
    'native: enough dedicated 1-core slots',
    {
      req: nativeReq(2),
      sites: [site('n', [plainHost('p', [slot('slot1@p', 1, 1024), slot('slot2@p', 1, 1024)])])],
      want: { site: 'n', hosts: 1 },
    },
  ],
  [
    'native: slots without DedicatedScheduler do not count',
    {
      req: nativeReq(2),
      sites: [
        site('n', [
          plainHost('p', [slot('slot1@p', 1, 1024), slot('slot2@p', 1, 1024, true, { dedicated: false })]),
        ]),
      ],
      want: {
        error:
          /step hpl needs 2 dedicated slots of 1 core and 512 MiB; there is 1 \(1 slot name a DedicatedScheduler\)/,
      },
    },
  ],
  [
    'native: slot memory too small',
    {
      req: nativeReq(1, 2048),
      sites: [site('n', [plainHost('p', [slot('slot1@p', 1, 1024)])])],
      want: { error: /there are 0/ },
    },
  ],
];

describe('chooseSite', () => {
  it.each(rows)('%s', (_name, { req, sites, images, want }) => {
    const r = chooseSite(req, sites, images);
    if (want.error) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(want.error);
      return;
    }
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
    if (!r.ok) return;
    expect(r.site).toBe(want.site);
    const v = r.verdicts.find((x) => x.site === r.site);
    if (want.hosts !== undefined) expect(v?.placement?.length).toBe(want.hosts);
    if (want.fitsNow !== undefined) expect(v?.fitsNow).toBe(want.fitsNow);
    if (want.reason) expect(r.why.join('\n')).toMatch(want.reason);
  });
});
