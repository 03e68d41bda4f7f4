/**
 * plan.json writes each step's line field by field (src/render/plan-json.ts: the executable's and each
 * input's JSON made once per distinct value) instead of JSON.stringify of a copy of the step. Here every line
 * must be exactly JSON.stringify of the planned step with its paths made relative — the same keys in the
 * same order — for steps with and without each optional field, and the step's keys must be the ones the
 * writer knows: a field added to PlannedStep that the writer does not write fails here.
 */
import { isAbsolute, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlannedSite, PlannedStep } from '../../src/plan/plan-types.js';
import { planWorkflow } from '../../src/plan/plan-workflow.js';
import { planJson } from '../../src/render/plan-json.js';
import { makeStep, makeWorkflow } from '../plan/make-workflow.js';

const steps = [
  makeStep({ name: 'plain' }),
  makeStep({ name: 'wall', walltimeSeconds: 1800, retries: 2, after: ['plain'] }),
  makeStep({ name: 'abs', executable: '/opt/bin/app', arguments: ['a "q"', 'b\\c', 'ünï', ''] }),
  makeStep({
    name: 'files',
    inputs: ['in/a.dat', '/data/b.dat', 'in/a.dat2'],
    outputs: ['r1.txt', 'r2.txt'],
    mpi: 'none',
    cpus: 3,
    after: ['plain', 'wall'],
  }),
  makeStep({ name: 'outside', executable: '../elsewhere/app', inputs: ['../x.dat'] }),
];

/** What the writer must give for a step: JSON.stringify of it with paths inside the folder made relative. */
function reference(s: PlannedStep, dir: string): string {
  const rel = (p: string) => {
    if (!isAbsolute(p)) return p;
    const x = relative(dir, p);
    return x === '' || x.startsWith('..') || isAbsolute(x) ? p : x;
  };
  const executable =
    s.executable.absPath === undefined
      ? s.executable
      : { ...s.executable, absPath: rel(s.executable.absPath) };
  return JSON.stringify({
    ...s,
    executable,
    inputs: s.inputs.map((f) => ({ ...f, absPath: rel(f.absPath) })),
  });
}

// The local pool (dagPath absolute) and a site the run travels to (dagPath the base name).
const sites: Array<[string, PlannedSite | undefined]> = [
  ['local pool', undefined],
  ['spool site', { name: 'org-b', pool: 'cm.b:9618', transfer: 'spool' }],
];

describe.each(sites)('plan.json step lines (%s)', (_name, site) => {
  const plan = planWorkflow(makeWorkflow({ compute: steps }), site ? { site } : {});
  const text = [...planJson(plan)].join('');

  it('are JSON.stringify of each step, paths relative, for every combination of optional fields', () => {
    const lines = text.split('\n').filter((l) => l.startsWith('    {"name":'));
    expect(lines.map((l) => l.trim().replace(/,$/, ''))).toEqual(
      plan.steps.map((s) => reference(s, plan.source.dir)),
    );
    expect(JSON.parse(text).steps).toEqual(
      JSON.parse(`[${lines.map((l) => l.replace(/,$/, '')).join(',')}]`),
    );
  });

  it('hold every key a planned step has (a new PlannedStep field must be written too)', () => {
    const written = new Set<string>();
    for (const s of JSON.parse(text).steps as object[]) for (const k of Object.keys(s)) written.add(k);
    const planned = new Set<string>();
    for (const s of plan.steps) for (const k of Object.keys(s)) planned.add(k);
    expect([...written].sort()).toEqual([...planned].sort());
    expect(planned.has('walltimeSeconds')).toBe(true);
  });
});

describe('plan.json in parts', () => {
  it('a plan of several parts of steps is one JSON document with every step, in order', () => {
    const many = Array.from({ length: 300 }, (_, i) => makeStep({ name: `s${i}` }));
    const parts = [...planJson(planWorkflow(makeWorkflow({ compute: many })))];
    expect(parts.length).toBeGreaterThan(3);
    const doc = JSON.parse(parts.join(''));
    expect(doc.steps.map((s: { name: string }) => s.name)).toEqual(many.map((s) => s.name));
  });
});
