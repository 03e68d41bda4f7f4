/**
 * Step names that are DAG words or vmdag's own node names (issue 14, item 3): each step is a node of its
 * own, named as the step except PARENT and CHILD, which DAGMan refuses as node names (they become
 * parent_step and child_step); DAGMan compares node names case-sensitively, so `vms` is not `VMS`.
 */
import { describe, expect, it } from 'vitest';
import { planWorkflow, stepNodeName } from '../../src/plan/plan-workflow.js';
import { fileText, renderRunDir } from '../../src/render/render-run-dir.js';
import { makeStep, makeWorkflow } from '../plan/make-workflow.js';

const NAMES = ['pre', 'post', 'job', 'final', 'retry', 'done', 'vars', 'parent', 'child'];
const OWN = ['vms', 'gate', 'reap', 'stop'];

function rendered(tuning: 'latency' | 'defaults') {
  const names = [...NAMES, ...OWN];
  const wf = makeWorkflow({
    compute: names.map((name, i) =>
      makeStep({ name, cpus: 1, after: i === 0 ? [] : [names[i - 1] as string], outputs: ['r.txt'] }),
    ),
  });
  const plan = planWorkflow(wf, { tuning });
  const r = renderRunDir(plan);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const text = new Map(r.run.files.map((f) => [f.path, fileText(f)]));
  return { plan, names, dag: text.get('wf.dag') ?? '', reap: text.get('vmdag-reap.steps') ?? '' };
}

describe('step names as DAG node names', () => {
  it('maps only PARENT and CHILD, never onto another step or vmdag node', () => {
    expect(NAMES.map(stepNodeName)).toEqual([
      'pre',
      'post',
      'job',
      'final',
      'retry',
      'done',
      'vars',
      'parent_step',
      'child_step',
    ]);
    expect(OWN.map(stepNodeName)).toEqual(OWN);
  });

  for (const tuning of ['latency', 'defaults'] as const) {
    it(`${tuning}: every step is its own JOB, the chain is in PARENT lines, no node is declared twice`, () => {
      const { plan, names, dag, reap } = rendered(tuning);
      const declared = [...dag.matchAll(/^(JOB|SERVICE|FINAL) (\S+) (\S+)$/gm)].map((m) => m[2]);
      expect(new Set(declared).size).toBe(declared.length);
      const nodes = names.map(stepNodeName);
      for (const n of nodes) expect(dag).toContain(`JOB ${n} compute.sub\n`);
      for (const own of ['VMS', 'GATE', 'STOP']) expect(declared).toContain(own);
      for (let i = 1; i < nodes.length; i++)
        expect(dag).toContain(`PARENT ${nodes[i - 1]} CHILD ${nodes[i]}\n`);
      // No PARENT line holds a bare parent/child word besides its own keywords.
      for (const line of dag.split('\n').filter((l) => l.startsWith('PARENT ')))
        expect(line.split(' ').filter((w) => /^(parent|child)$/i.test(w))).toEqual(['PARENT', 'CHILD']);
      expect(plan.dag.nodes.filter((n) => n.kind === 'compute').map((n) => n.name)).toEqual(nodes);
      if (tuning === 'latency') expect(reap).toContain('\nstop\n');
    });
  }
});
