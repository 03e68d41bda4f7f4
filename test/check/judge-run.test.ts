/**
 * vmdag check's pure parts on output recorded from the lab (fixtures/recorded/check-dry-run: the hpl-2vm
 * example's nodes through condor_submit -dry-run, a refused memory, condor_dag_checker -json;
 * test/site-catalog/recorded: the pools' slots as condor_status -json gave them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  attributeOf,
  commandLine,
  judgeCapacity,
  judgeStepsInVms,
  type NodeAnswer,
  refusalFinding,
  runNeeds,
} from '../../src/check/judge-run.js';
import { parseAdsJson } from '../../src/condor/classads.js';
import {
  nodeMacros,
  parseDagChecker,
  parseDagNodes,
  parseDryRun,
  submitError,
} from '../../src/condor/dry-run.js';
import { summarizeSite } from '../../src/site-catalog/site-resources.js';

const REC = join(import.meta.dirname, '../../fixtures/recorded/check-dry-run');
const rec = (f: string) => readFileSync(join(REC, f), 'utf8');
const sites = join(import.meta.dirname, '../site-catalog/recorded');
const ads = (f: string) => parseAdsJson(readFileSync(join(sites, f), 'utf8'));

/** The lab pool with VM support (4 one-core slots of 6026 MiB, kvm, VM_Memory 4096). */
const labVm = summarizeSite(
  { name: 'lab' },
  {
    slots: ads('lab-vm-slots.stdout'),
    schedds: ads('lab-schedds.stdout'),
    collector: ads('lab-collector.stdout'),
  },
);
/** org-b of the two-organisation lab: 4 static slots, no VM support. */
const orgB = summarizeSite(
  { name: 'org-b' },
  {
    slots: ads('org-b-slots.stdout'),
    schedds: ads('org-b-schedds.stdout'),
    collector: ads('org-b-collector.stdout'),
  },
);

function answers(): NodeAnswer[] {
  return [
    {
      node: 'VMS',
      submitFile: 'vms.sub',
      kind: 'service',
      ok: true,
      ads: parseDryRun(rec('vms.dry-run.stdout')),
    },
    {
      node: 'mpi',
      submitFile: 'compute.sub',
      kind: 'compute',
      stepIndex: 0,
      ok: true,
      ads: parseDryRun(rec('mpi.dry-run.stdout')),
    },
  ];
}

describe('the dry runs as HTCondor printed them', () => {
  it('parseDryRun: one ad per proc, the cluster attributes in each', () => {
    const vms = parseDryRun(rec('vms.dry-run.stdout'));
    expect(vms).toHaveLength(2);
    expect(vms.map((a) => a.ProcId)).toEqual(['0', '1']);
    expect(vms[1]).toMatchObject({
      JobUniverse: '13',
      JobVMType: '"kvm"',
      JobVMMemory: '512',
      VmWorkflowId: '"4242"',
    });
    const mpi = parseDryRun(rec('mpi.dry-run.stdout'));
    expect(mpi).toHaveLength(1);
    expect(mpi[0]).toMatchObject({
      JobUniverse: '11',
      MaxHosts: '2',
      RequestCpus: '1',
      RequestMemory: '128',
    });
  });
  it('a refused value: the ERROR line with its expression, the attribute, the workflow value and submit line', () => {
    const r = {
      exitCode: Number(rec('mpi-bad-memory.dry-run.exit')),
      stdout: rec('mpi-bad-memory.dry-run.stdout'),
      stderr: rec('mpi-bad-memory.dry-run.stderr'),
    };
    expect(r.exitCode).toBe(1);
    const error = submitError(r);
    expect(error).toBe('ERROR: Parse error in expression: RequestMemory = 12QB');
    expect(attributeOf(error)).toBe('RequestMemory');
    const f = refusalFinding(
      { node: 'mpi', submitFile: 'compute.sub', kind: 'compute', stepIndex: 0, ok: false, ads: [], error },
      rec('compute.sub'),
    );
    expect(f).toMatchObject({
      code: 'check.submit-refused',
      pointer: '/compute/0/memory',
      node: 'mpi',
      at: { file: 'compute.sub', line: commandLine(rec('compute.sub'), 'request_memory') },
    });
    expect(rec('compute.sub').split('\n')[(f.at?.line ?? 0) - 1]).toBe('request_memory = $(vmdag_memory)');
  });
  it('parseDagNodes and nodeMacros: the macros DAGMan passes', () => {
    const nodes = parseDagNodes(rec('hpl-2vm.dag'));
    expect(nodes.map((n) => [n.decl, n.name, n.submitFile])).toEqual([
      ['SERVICE', 'VMS', 'vms.sub'],
      ['JOB', 'GATE', 'gate.sub'],
      ['SERVICE', 'REAP', 'reap.sub'],
      ['JOB', 'mpi', 'compute.sub'],
      ['FINAL', 'STOP', 'stop.sub'],
    ]);
    const mpi = nodes.find((n) => n.name === 'mpi');
    expect(mpi && nodeMacros(mpi).slice(0, 4)).toEqual([
      'JOB=mpi',
      'DAGManJobId=4242',
      'vmdag_args=openmpi 2 1 ./mpi-ranks.sh',
      'vmdag_machines=2',
    ]);
    // The recording ran these very macros (COMMAND.txt).
    expect(rec('COMMAND.txt')).toContain("'vmdag_remaps=ranks.out=outputs/.mpi.$(Node).ranks.out'");
  });
  it('parseDagChecker: nothing for a good DAG, the undefined parent at its line for a broken one', () => {
    expect(parseDagChecker(rec('dag-checker.stdout'))).toEqual([]);
    expect(parseDagChecker(rec('dag-checker-broken.stdout'))).toEqual([
      {
        message: 'References to undefined nodes: Parents [nosuch]',
        command: 'PARENT',
        file: 'broken.dag',
        line: 11,
      },
    ]);
  });
});

describe('the site against what the job ads ask', () => {
  it('runNeeds: the VMs and the step as HTCondor saw them', () => {
    expect(runNeeds(answers(), 'cluster')).toEqual({
      vm: {
        node: 'VMS',
        submitFile: 'vms.sub',
        hypervisor: 'kvm',
        count: 2,
        cpus: 1,
        memoryMiB: 512,
        location: 'cluster',
      },
      steps: [
        {
          node: 'mpi',
          submitFile: 'compute.sub',
          stepIndex: 0,
          name: 'mpi',
          machineCount: 2,
          ranksPerNode: 1,
          memoryMiB: 128,
        },
      ],
    });
  });
  it('the lab pool with VM support holds the two VMs', () => {
    expect(judgeCapacity(runNeeds(answers()), labVm)).toEqual([]);
    expect(judgeStepsInVms(runNeeds(answers()))).toEqual([]);
  });
  it.each([
    ['a VM larger than VM_Memory', { memoryMiB: 8192 }, '/vm/memory'],
    ['more VMs than slots', { count: 5 }, '/vm/count'],
    ['more cores per VM than a slot has', { cpus: 2 }, '/vm/cpus'],
    ['another hypervisor', { hypervisor: 'xen' as const }, '/vm/hypervisor'],
  ])('%s: refused at the value to change', (_name, change, pointer) => {
    const needs = runNeeds(answers());
    if (needs.vm) Object.assign(needs.vm, change);
    const f = judgeCapacity(needs, labVm);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: 'check.site-capacity', pointer, node: 'VMS', submitFile: 'vms.sub' });
  });
  it('a pool without VM support: the hypervisor', () => {
    expect(judgeCapacity(runNeeds(answers()), orgB)[0]).toMatchObject({ pointer: '/vm/hypervisor' });
    expect(judgeCapacity(runNeeds(answers()), orgB)[0]?.message).toMatch(/HasVM is not true/);
  });
  it('native steps: a memory no slot offers (dry-run accepts it), more slots than there are', () => {
    const step = answers()[1] as NodeAnswer;
    const big = {
      ...step,
      node: 'big',
      stepIndex: 1,
      ads: [{ ...step.ads[0], MaxHosts: '1', RequestMemory: '102400' }],
    };
    const wide = { ...step, node: 'wide', stepIndex: 2, ads: [{ ...step.ads[0], MaxHosts: '40' }] };
    const f = judgeCapacity(runNeeds([step, big, wide]), orgB);
    expect(f.map((x) => [x.node, x.pointer])).toEqual([
      ['big', '/compute/1/memory'],
      ['wide', '/compute/2/cpus'],
    ]);
  });
  it("a step asking more than the run's VMs offer never starts", () => {
    const needs = runNeeds(answers());
    Object.assign(needs.steps[0] ?? {}, { memoryMiB: 1024, machineCount: 3 });
    expect(judgeStepsInVms(needs).map((f) => f.pointer)).toEqual(['/compute/0/memory', '/compute/0/cpus']);
  });
  it('an unreachable site is not judged here', () => {
    expect(judgeCapacity(runNeeds(answers()), { name: 'x', reachable: false, error: 'down' })).toEqual([]);
  });
});
