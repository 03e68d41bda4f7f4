/**
 * A run that travels to its site (transfer: spool): every file the DAG's jobs take from the submit side is
 * named by its base name (dagPath), listed once in plan.send (absolute, first use first), and two files with
 * one base name — or one named like a file of the run directory — are refused with the second occurrence's
 * pointer. The local pool and shared sites keep absolute paths and no send list.
 */
import { describe, expect, it } from 'vitest';
import { VMDAG_SUBMIT_FILES, writtenInRunDir } from '../../src/plan/plan-send.js';
import type { PlannedSite } from '../../src/plan/plan-types.js';
import { PlanError, type PlanIssue, planWorkflow } from '../../src/plan/plan-workflow.js';
import { renderRunDir } from '../../src/render/render-run-dir.js';
import { makeStep, makeVm, makeWorkflow } from './make-workflow.js';

const SPOOL: PlannedSite = { name: 'org-b', pool: 'cm.b:9618', transfer: 'spool' };
const SHARED: PlannedSite = { name: 'org-a', pool: 'cm.a:9618', transfer: 'shared' };

function issuesOf(wf: ReturnType<typeof makeWorkflow>, site: PlannedSite = SPOOL): PlanIssue[] {
  try {
    planWorkflow(wf, { site });
  } catch (e) {
    if (e instanceof PlanError) return e.issues;
    throw e;
  }
  return [];
}

describe('planWorkflow at a spool site: names and send', () => {
  it('native: executable and inputs by base name; send lists each file once, first use first', () => {
    const wf = makeWorkflow({
      compute: [
        makeStep({ name: 'a', executable: 'bin/prep', inputs: ['data/in.csv', '/abs/ref.bin'] }),
        makeStep({ name: 'b', executable: 'bin/solve', inputs: ['data/in.csv', 'data/b.dat'], after: ['a'] }),
        makeStep({ name: 'c', executable: 'bin/prep', inputs: ['/abs/ref.bin'], after: ['b'] }),
        makeStep({ name: 'd', executable: '/opt/in-image/app', after: ['c'] }),
      ],
    });
    delete wf.vm;
    const plan = planWorkflow(wf, { site: SPOOL });
    expect(plan.site).toEqual(SPOOL);
    expect(plan.steps.map((s) => s.executable.dagPath)).toEqual(['prep', 'solve', 'prep', undefined]);
    expect(plan.steps.map((s) => s.inputs.map((f) => f.dagPath))).toEqual([
      ['in.csv', 'ref.bin'],
      ['in.csv', 'b.dat'],
      ['ref.bin'],
      [],
    ]);
    expect(plan.send).toEqual([
      '/wf/bin/prep',
      '/wf/data/in.csv',
      '/abs/ref.bin',
      '/wf/bin/solve',
      '/wf/data/b.dat',
    ]);
  });

  it('VM, local image: the image by base name, sent first; vm_disk keeps the bare name', () => {
    const plan = planWorkflow(makeWorkflow({ compute: [makeStep({ inputs: ['HPL.dat'] })] }), {
      site: SPOOL,
    });
    expect(plan.vm?.image).toMatchObject({
      transferred: true,
      delivery: 'per-vm',
      absPath: '/wf/images/guest.qcow2',
      dagPath: 'guest.qcow2',
      diskFile: 'guest.qcow2',
    });
    expect(plan.send).toEqual(['/wf/images/guest.qcow2', '/wf/bin/xhpl', '/wf/HPL.dat']);
  });

  it('VM, cluster image: used in place at the site, never sent', () => {
    const vm = makeVm();
    vm.image = { ...vm.image, location: 'cluster', absPath: '/shared/g.qcow2' };
    const plan = planWorkflow(makeWorkflow({ vm }), { site: SPOOL });
    expect(plan.vm?.image.dagPath).toBeUndefined();
    expect(plan.vm?.image.diskFile).toBe('/shared/g.qcow2');
    expect(plan.send).toEqual(['/wf/bin/xhpl']);
  });

  it('a shared site (and the local pool) keeps absolute paths and has no send list', () => {
    for (const opts of [{ site: SHARED }, {}]) {
      const plan = planWorkflow(makeWorkflow({ compute: [makeStep({ inputs: ['HPL.dat'] })] }), opts);
      expect(plan.vm?.image.dagPath).toBe('/wf/images/guest.qcow2');
      expect(plan.steps[0]?.executable.dagPath).toBe('/wf/bin/xhpl');
      expect(plan.steps[0]?.inputs[0]?.dagPath).toBe('/wf/HPL.dat');
      expect(plan.send).toBeUndefined();
    }
  });
});

describe('planWorkflow at a spool site: one base name, one file', () => {
  const rows: Array<[string, { given: Parameters<typeof makeWorkflow>[0]; want: Array<[string, string]> }]> =
    [
      [
        'two inputs of two steps',
        {
          given: {
            compute: [
              makeStep({ name: 'a', inputs: ['a/x.dat'] }),
              makeStep({ name: 'b', inputs: ['b/x.dat'], after: ['a'] }),
            ],
          },
          want: [['plan.spool-name-clash', '/compute/1/inputs/0']],
        },
      ],
      [
        "an input and another step's executable",
        {
          given: {
            compute: [
              makeStep({ name: 'a', executable: 'bin/prep', inputs: ['data/xhpl'] }),
              makeStep({ name: 'b', after: ['a'] }),
            ],
          },
          want: [['plan.spool-name-clash', '/compute/1/executable']],
        },
      ],
      [
        'two executables',
        {
          given: {
            compute: [
              makeStep({ name: 'a', executable: 'v1/run' }),
              makeStep({ name: 'b', executable: 'v2/run', after: ['a'] }),
            ],
          },
          want: [['plan.spool-name-clash', '/compute/1/executable']],
        },
      ],
      [
        'an input named like the image',
        {
          given: { compute: [makeStep({ inputs: ['other/guest.qcow2'] })] },
          want: [['plan.spool-name-clash', '/compute/0/inputs/0']],
        },
      ],
      [
        'the same file twice (written two ways) is no clash',
        {
          given: {
            compute: [
              makeStep({ name: 'a', inputs: ['data/x.dat'] }),
              makeStep({ name: 'b', inputs: ['/wf/data/x.dat', 'bin/../data/y.dat'], after: ['a'] }),
            ],
          },
          want: [],
        },
      ],
      [
        'two inputs of one step: the sandbox clash alone',
        {
          given: { compute: [makeStep({ inputs: ['a/x.dat', 'b/x.dat'] })] },
          want: [['plan.sandbox-name-clash', '/compute/0/inputs/1']],
        },
      ],
      [
        'an input named like the launcher: the sandbox clash alone',
        {
          given: { compute: [makeStep({ inputs: ['my/vmdag-mpi.sh'] })] },
          want: [['plan.sandbox-name-clash', '/compute/0/inputs/0']],
        },
      ],
    ];
  it.each(rows)('%s', (_name, { given, want }) => {
    expect(issuesOf(makeWorkflow(given)).map((i) => [i.code, i.pointer])).toEqual(want);
  });

  it('says both paths, that they land in the same place at the site, and to rename one', () => {
    const [issue] = issuesOf(
      makeWorkflow({
        compute: [makeStep({ name: 'a', inputs: ['a/x.dat'] }), makeStep({ name: 'b', inputs: ['b/x.dat'] })],
      }),
    );
    expect(issue?.message).toBe(
      'input /wf/b/x.dat of step "b" and input /wf/a/x.dat of step "a" would land in the same place at the site: the run travels with its files (transfer: spool) and both go into its folder there as \'x.dat\'; rename one',
    );
  });

  it('a shared site sends nothing, so two files with one base name in two steps are fine', () => {
    const wf = makeWorkflow({
      compute: [makeStep({ name: 'a', inputs: ['a/x.dat'] }), makeStep({ name: 'b', inputs: ['b/x.dat'] })],
    });
    expect(issuesOf(wf, SHARED)).toEqual([]);
  });
});

describe('planWorkflow at a spool site: names of the run directory', () => {
  // The workflow is named wf: wf.dag, wf.config, wf.status, wf.jobstate.log, wf.dag.* are its DAG's.
  const reserved = [
    'wf.dag',
    'wf.config',
    'wf.status',
    'wf.jobstate.log',
    'wf.dag.condor.sub',
    'wf.dag.dagman.out',
    'wf.dag.nodes.log',
    'wf.dag.rescue001',
    'compute.sub',
    'vms.sub',
    'gate.sub',
    'reap.sub',
    'stop.sub',
    'vmdag-gate.sh',
    'vmdag-collect.sh',
    'vmdag-reap.steps',
    '.vmdag-schedd-ad',
    'plan.json',
    'run.json',
    'submitting.json',
    'logs',
    'outputs',
  ];
  it.each(reserved)('an input named %s is refused at the input', (name) => {
    const issues = issuesOf(makeWorkflow({ compute: [makeStep({ inputs: [`data/${name}`] })] }));
    expect(issues.map((i) => [i.code, i.pointer])).toEqual([
      ['plan.spool-reserved-name', '/compute/0/inputs/0'],
    ]);
    expect(issues[0]?.message).toMatch(
      new RegExp(
        `^input /wf/data/${name.replaceAll('.', '\\.')} of step "compute" would land at the site as '${name.replaceAll('.', '\\.')}', the name of .+; rename it$`,
      ),
    );
  });

  it.each(['data dir/in.txt', 'a,b/in.txt', 'cost$/in.txt', 'q"/in.txt'])(
    'an input whose path holds what a file list cannot carry (%s) is refused: it goes by its whole path',
    (input) => {
      const issues = issuesOf(makeWorkflow({ compute: [makeStep({ inputs: [input] })] }));
      expect(issues.map((i) => [i.code, i.pointer])).toEqual([
        ['plan.spool-path-char', '/compute/0/inputs/0'],
      ]);
      expect(issues[0]?.message).toMatch(/cannot be sent to the site: its path holds a comma, blank/);
    },
  );

  it('an executable or the image named like them too; names merely alike are not', () => {
    const vm = makeVm();
    vm.image = { ...vm.image, absPath: '/wf/images/plan.json' };
    expect(
      issuesOf(makeWorkflow({ vm, compute: [makeStep({ executable: 'bin/vmdag-run' })] })).map(
        (i) => i.pointer,
      ),
    ).toEqual(['/vm/image/path', '/compute/0/executable']);
    for (const name of ['wf.dagx', 'other.dag', 'my.sub', 'vmdag', 'logs.txt', 'wf.configs'])
      expect(writtenInRunDir(name, planWorkflow(makeWorkflow()).dag), name).toBeUndefined();
  });

  it('the shared local pool refuses none of them', () => {
    expect(issuesOf(makeWorkflow({ compute: [makeStep({ inputs: ['data/plan.json'] })] }), SHARED)).toEqual(
      [],
    );
  });

  it('knows every file render writes at the top of the run directory', () => {
    const wf = makeWorkflow({ compute: [makeStep({ cpus: 4, outputs: ['r.txt'] })] });
    const plan = planWorkflow(wf, { site: SPOOL });
    const r = renderRunDir(plan);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    for (const f of r.run.files) expect(writtenInRunDir(f.path, plan.dag), f.path).toBeDefined();
    for (const d of r.run.dirs) expect(writtenInRunDir(d, plan.dag), d).toBeDefined();
    const subs = r.run.files.map((f) => f.path).filter((p) => p.endsWith('.sub'));
    expect([...subs].sort()).toEqual([...VMDAG_SUBMIT_FILES].sort());
  });
});
