import { describe, expect, it } from 'vitest';
import { PlanError, planWorkflow } from '../../src/plan/plan-workflow.js';
import { makeStep, makeVm, makeWorkflow } from './make-workflow.js';

describe('planWorkflow: packing ranks into VMs', () => {
  const rows: Array<[string, { vmCount: number; vmCpus: number; cpus: number }, [number, number]]> = [
    ['one rank, one VM', { vmCount: 1, vmCpus: 1, cpus: 1 }, [1, 1]],
    ['one rank per VM', { vmCount: 2, vmCpus: 1, cpus: 2 }, [2, 1]],
    ['two ranks fit in one 4-core VM', { vmCount: 3, vmCpus: 4, cpus: 2 }, [1, 2]],
    ['5 ranks on 2-core VMs → 3 VMs', { vmCount: 4, vmCpus: 2, cpus: 5 }, [3, 2]],
    ['8 ranks on 4-core VMs → 2 VMs', { vmCount: 2, vmCpus: 4, cpus: 8 }, [2, 4]],
  ];
  it.each(rows)('%s', (_n, { vmCount, vmCpus, cpus }, [machineCount, perNode]) => {
    const plan = planWorkflow(
      makeWorkflow({ vm: makeVm({ count: vmCount, cpus: vmCpus }), compute: [makeStep({ cpus })] }),
    );
    const step = plan.steps[0];
    expect(step?.machineCount).toBe(machineCount);
    expect(step?.ranksPerNode).toBe(perNode);
    expect(step?.requestCpus).toBe(perNode);
    expect(step?.ranks).toBe(cpus);
  });

  it('native: every rank its own slot', () => {
    const wf = makeWorkflow({ compute: [makeStep({ cpus: 3 })] });
    delete wf.vm;
    const plan = planWorkflow(wf);
    expect(plan.mode).toBe('native');
    expect(plan.steps[0]).toMatchObject({ machineCount: 3, requestCpus: 1, ranksPerNode: 1 });
    // Tuned (the default): the SERVICE node REAP watches the step; HTCondor's defaults: the step alone.
    expect(plan.dag.nodes.map((n) => n.name)).toEqual(['REAP', 'compute']);
    expect(planWorkflow(wf, { tuning: 'defaults' }).dag.nodes.map((n) => n.name)).toEqual(['compute']);
    expect(plan.dag.edges).toEqual([]);
  });
});

describe('planWorkflow: image', () => {
  it('local image: transferred, bare name in vm_disk, read-only when differential', () => {
    const plan = planWorkflow(makeWorkflow(), { imageBytes: 10 * 1024 * 1024 });
    expect(plan.vm?.image).toMatchObject({
      transferred: true,
      diskFile: 'guest.qcow2',
      access: 'r',
      device: 'vda',
    });
    expect(plan.vm?.requestDiskKiB).toBe(10 * 1024 + 1024 * 1024);
  });
  it('cluster image, not differential: absolute path, read-only (shared by every VM), not transferred', () => {
    const vm = makeVm();
    vm.image = {
      ...vm.image,
      location: 'cluster',
      absPath: '/shared/g.raw',
      format: 'raw',
      differential: false,
    };
    const plan = planWorkflow(makeWorkflow({ vm }), { imageBytes: 999 });
    expect(plan.vm?.image).toMatchObject({ transferred: false, diskFile: '/shared/g.raw', access: 'r' });
    expect(plan.vm?.requestDiskKiB).toBe(1024 * 1024);
  });
  it('xen uses the xvda device', () => {
    const plan = planWorkflow(makeWorkflow({ vm: makeVm({ hypervisor: 'xen' }) }));
    expect(plan.vm?.image.device).toBe('xvda');
  });
  it('lease and one VM entry per VM', () => {
    const plan = planWorkflow(makeWorkflow({ vm: makeVm({ count: 3, leaseSeconds: 7200 }) }));
    expect(plan.vm?.leaseSeconds).toBe(7200);
    expect(plan.vm?.vms.map((v) => v.index)).toEqual([0, 1, 2]);
    expect(plan.vm?.gateTimeoutSeconds).toBe(600 + 90);
  });
});

describe('planWorkflow: files', () => {
  it('relative executable and inputs resolved against the workflow folder', () => {
    const plan = planWorkflow(
      makeWorkflow({ compute: [makeStep({ inputs: ['data/HPL.dat', '/abs/x.bin'], outputs: ['HPL.out'] })] }),
    );
    const s = plan.steps[0];
    expect(s?.executable).toEqual({
      path: 'bin/xhpl',
      transferred: true,
      absPath: '/wf/bin/xhpl',
      dagPath: '/wf/bin/xhpl',
      command: './xhpl',
    });
    // The local pool sees the run directory: the DAG's jobs name each file by its absolute path.
    expect(s?.inputs.map((f) => [f.absPath, f.name, f.dagPath])).toEqual([
      ['/wf/data/HPL.dat', 'HPL.dat', '/wf/data/HPL.dat'],
      ['/abs/x.bin', 'x.bin', '/abs/x.bin'],
    ]);
    expect(plan.send).toBeUndefined();
  });
  it('absolute executable stays in the image', () => {
    const plan = planWorkflow(makeWorkflow({ compute: [makeStep({ executable: '/usr/bin/hostname' })] }));
    expect(plan.steps[0]?.executable).toEqual({
      path: '/usr/bin/hostname',
      transferred: false,
      command: '/usr/bin/hostname',
    });
  });
  it('refuses two inputs with one sandbox name, and outputs with a /', () => {
    const wf = makeWorkflow({
      compute: [makeStep({ inputs: ['a/x.dat', 'b/x.dat', 'xhpl'], outputs: ['out/r.txt', 'a', 'a'] })],
    });
    try {
      planWorkflow(wf);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PlanError);
      expect((e as PlanError).issues.map((i) => [i.code, i.pointer])).toEqual([
        ['plan.sandbox-name-clash', '/compute/0/inputs/1'],
        ['plan.sandbox-name-clash', '/compute/0/inputs/2'],
        ['plan.output-not-a-name', '/compute/0/outputs/0'],
        ['plan.output-duplicate', '/compute/0/outputs/2'],
      ]);
    }
  });
});

describe('planWorkflow: DAG', () => {
  it('tuned: VMS, GATE, REAP, steps, STOP; the first steps wait for no node; after → edges', () => {
    const wf = makeWorkflow({
      compute: [
        makeStep({ name: 'prep' }),
        makeStep({ name: 'other' }),
        makeStep({ name: 'run', after: ['prep', 'other'] }),
      ],
    });
    const plan = planWorkflow(wf);
    expect(plan.tuning).toBe('latency');
    expect(plan.dag.nodes.map((n) => [n.name, n.kind])).toEqual([
      ['VMS', 'service'],
      ['GATE', 'gate'],
      ['REAP', 'reaper'],
      ['prep', 'compute'],
      ['other', 'compute'],
      ['run', 'compute'],
      ['STOP', 'final'],
    ]);
    expect(plan.dag.edges).toEqual([
      { parent: 'prep', child: 'run' },
      { parent: 'other', child: 'run' },
    ]);
    expect(plan.dag.file).toBe('wf.dag');
  });
  it('defaults: GATE is the parent of the first steps and there is no REAP node', () => {
    const plan = planWorkflow(
      makeWorkflow({
        compute: [
          makeStep({ name: 'prep' }),
          makeStep({ name: 'other' }),
          makeStep({ name: 'run', after: ['prep', 'other'] }),
        ],
      }),
      { tuning: 'defaults' },
    );
    expect(plan.dag.nodes.map((n) => n.name)).toEqual(['VMS', 'GATE', 'prep', 'other', 'run', 'STOP']);
    expect(plan.dag.edges).toEqual([
      { parent: 'GATE', child: 'prep' },
      { parent: 'GATE', child: 'other' },
      { parent: 'prep', child: 'run' },
      { parent: 'other', child: 'run' },
    ]);
  });
  it('walltime and retries carried; local site by default', () => {
    const plan = planWorkflow(makeWorkflow({ compute: [makeStep({ retries: 2, walltimeSeconds: 3600 })] }));
    expect(plan.steps[0]).toMatchObject({ retries: 2, walltimeSeconds: 3600 });
    expect(plan.site).toEqual({ name: 'local', transfer: 'shared' });
  });
});
