/** summarizeSite on condor_status -json output recorded from the lab pool (4 static one-core slots, no VM support). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAdsJson } from '../../src/condor/classads.js';
import { chooseSite, type SiteRequest } from '../../src/site-catalog/choose-site.js';
import { condorVersionNumber, summarizeSite } from '../../src/site-catalog/site-resources.js';

const rec = (f: string) => parseAdsJson(readFileSync(join(import.meta.dirname, 'recorded', f), 'utf8'));

describe('summarizeSite (recorded lab output)', () => {
  const s = summarizeSite(
    { name: 'lab', pool: '10.213.7.1:9618' },
    {
      slots: rec('lab-slots.stdout'),
      schedds: rec('lab-schedds.stdout'),
      collector: rec('lab-collector.stdout'),
    },
  );
  it('one machine, four static dedicated slots, no VM support', () => {
    expect(s.machines).toHaveLength(1);
    const m = s.machines[0];
    expect(m?.machine).toBe('vmdag-lab');
    expect(m?.hasVm).toBe(false);
    expect(m?.vmType).toBeUndefined();
    expect(m?.slots.map((x) => [x.kind, x.cpus, x.dedicated])).toEqual([
      ['static', 1, true],
      ['static', 1, true],
      ['static', 1, true],
      ['static', 1, true],
    ]);
    expect(s.totals).toMatchObject({ machines: 1, vmMachines: 0, hypervisors: [], cpus: 4, slots: 4 });
  });
  it('claimed slots are not free', () => {
    // recorded while the dedicated scheduler held its claims (State Claimed, Activity Idle)
    expect(s.totals.freeCpus).toBe(0);
    expect(s.totals.freeSlots).toBe(0);
  });
  it('the only schedd is the one to submit to, with its address; version from the collector', () => {
    expect(s.schedd).toBe('vmdag-lab');
    expect(s.schedds).toEqual(['vmdag-lab']);
    expect(s.scheddAddress).toMatch(/^<10\.213\.7\.1:9618\?/);
    expect(s.condorVersion).toBe('23.9.6');
  });
  it('condorVersionNumber', () => {
    expect(condorVersionNumber('$CondorVersion: 23.9.6 2026-07-12 PackageID: 23.9.6+dfsg-2.1+b10 $')).toBe(
      '23.9.6',
    );
  });
});

describe('summarizeSite (recorded lab output with VM support)', () => {
  const s = summarizeSite(
    { name: 'lab', pool: '10.213.7.1:9618' },
    {
      slots: rec('lab-vm-slots.stdout'),
      schedds: rec('lab-schedds.stdout'),
      collector: rec('lab-collector.stdout'),
    },
  );
  it('reads HasVM, VM_Type, VM_Memory, VM_AvailNum, VM_Networking', () => {
    expect(s.machines[0]).toMatchObject({
      hasVm: true,
      vmType: 'kvm',
      vmMemoryMiB: 4096,
      vmAvailNum: 10000,
      vmNetworking: true,
      vmNetworkingTypes: ['bridge'],
    });
    expect(s.totals).toMatchObject({
      vmMachines: 1,
      hypervisors: ['kvm'],
      vmMemoryMiB: 4096,
      freeSlots: 2,
      freeCpus: 2,
    });
  });
});

describe('summarizeSite and chooseSite on the two-organisation lab (recorded, lab up --orgs 2)', () => {
  const site = (name: string, pool: string) =>
    summarizeSite(
      { name, pool },
      {
        slots: rec(`${name}-slots.stdout`),
        schedds: rec(`${name}-schedds.stdout`),
        collector: rec(`${name}-collector.stdout`),
      },
    );
  const a = site('org-a', '10.213.7.1:9618');
  const b = site('org-b', '10.213.7.1:9619');

  it('org-a: eight static dedicated slots with kvm VM support, its schedd vmdag-lab', () => {
    expect(a.reachable).toBe(true);
    if (!a.reachable) return;
    expect(a.totals).toMatchObject({ machines: 1, vmMachines: 1, hypervisors: ['kvm'], cpus: 8, slots: 8 });
    expect(a.machines[0]?.hasVm).toBe(true);
    expect(a.schedd).toBe('vmdag-lab');
    expect(a.scheddAddress).toMatch(/^<10\.213\.7\.1:9618\?/);
    expect(a.condorVersion).toBe('25.14.1');
  });

  it('org-b: four static dedicated slots of its own schedd, no VM support, collector port 9619', () => {
    expect(b.reachable).toBe(true);
    if (!b.reachable) return;
    expect(b.totals).toMatchObject({ machines: 1, vmMachines: 0, hypervisors: [], cpus: 4, slots: 4 });
    expect(b.totals.vmSlotsAvailable).toBe(0);
    const m = b.machines[0];
    expect(m?.hasVm).toBe(false);
    expect(m?.slots.map((x) => [x.name, x.kind, x.cpus, x.dedicated])).toEqual([
      ['slot1@org-b@vmdag-lab', 'static', 1, true],
      ['slot2@org-b@vmdag-lab', 'static', 1, true],
      ['slot3@org-b@vmdag-lab', 'static', 1, true],
      ['slot4@org-b@vmdag-lab', 'static', 1, true],
    ]);
    expect(b.schedd).toBe('org-b@vmdag-lab');
    expect(b.scheddAddress).toMatch(/^<10\.213\.7\.1:9619\?/);
  });

  it('a VM workflow fits org-a only; native ranks of 4 GiB fit org-b only (its slots hold more memory)', () => {
    const vm: SiteRequest = {
      mode: 'vm',
      vm: { hypervisor: 'kvm', count: 1, cpus: 1, memoryMiB: 512, location: 'local' },
      steps: [{ name: 'compute', machineCount: 1, ranksPerNode: 1, memoryMiB: 256 }],
    };
    const v = chooseSite(vm, [a, b]);
    expect(v.ok && v.site).toBe('org-a');
    expect(v.verdicts[1]?.reasons.join(' ')).toMatch(/no VM-capable machine/);
    const big: SiteRequest = {
      mode: 'native',
      steps: [{ name: 'compute', machineCount: 2, ranksPerNode: 1, memoryMiB: 4096 }],
    };
    const n = chooseSite(big, [a, b]);
    expect(n.ok && n.site).toBe('org-b');
    expect(n.verdicts[0]?.fits).toBe(false);
    expect(n.verdicts[0]?.reasons.join(' ')).toMatch(/4 GiB/);
  });
});
