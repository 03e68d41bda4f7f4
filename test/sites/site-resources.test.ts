/** summarizeSite on condor_status -json output recorded from the lab pool (4 static one-core slots, no VM support). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAdsJson } from '../../src/condor/classads.js';
import { condorVersionNumber, summarizeSite } from '../../src/sites/site-resources.js';

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
