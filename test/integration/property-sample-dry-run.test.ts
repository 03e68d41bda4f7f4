/**
 * The property tests' invariants held against HTCondor's own parsers (issue 14): a sample of the generated
 * workflows that compile (test/properties, fixed seed) goes through the real condor_submit_dag -no_submit,
 * and each node's submit file through condor_submit -dry-run with the macros DAGMan would pass (its VARS,
 * JOB, DAGManJobId, as test/integration/goldens-dry-run.test.ts does). HTCondor must accept every file and
 * the job ads must carry plan.json's values, the arguments included. Skipped without the lab unless CI=true.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { expandDollarDollar, splitArguments } from '../faults/ad-meaning.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';
import { checkRun, makeFolder } from '../properties/check-run.js';
import { generatedCase } from '../properties/workflow-arbitrary.js';

const ctx = await labContext();
const SEED = Number(process.env.VMDAG_PROPERTY_SEED ?? 20_260_214);
/** Compiled cases given to HTCondor. */
const SAMPLE = Number(process.env.VMDAG_PROPERTY_SAMPLE ?? 8);
const root = mkdtempSync(path.join(tmpdir(), 'vmdag-prop-lab-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Node {
  name: string;
  sub: string;
  vars: [string, string][];
}

/** The DAG's node declarations and their VARS (values unescaped as DAGMan does). */
function dagNodes(text: string): Node[] {
  const nodes = new Map<string, Node>();
  for (const line of text.split('\n')) {
    const d = /^(?:JOB|SERVICE|FINAL)\s+(\S+)\s+(\S+)/.exec(line);
    if (d) nodes.set(d[1] as string, { name: d[1] as string, sub: d[2] as string, vars: [] });
    const v = /^VARS\s+(\S+)\s+(.*)$/.exec(line);
    if (v)
      for (const m of (v[2] as string).matchAll(/(\S+?)="((?:[^"\\]|\\.)*)"/g))
        nodes.get(v[1] as string)?.vars.push([m[1] as string, (m[2] as string).replace(/\\(["\\])/g, '$1')]);
  }
  return [...nodes.values()];
}

/** condor_submit -dry-run's first proc as attribute → value text. */
function adOf(dryRun: string): Record<string, string> {
  const ad: Record<string, string> = {};
  for (const line of dryRun.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m && !((m[1] as string) in ad)) ad[m[1] as string] = m[2] as string;
  }
  return ad;
}

/** A ClassAd string literal's value. */
function classAdString(v: string | undefined): string | undefined {
  return v === undefined ? undefined : (JSON.parse(v.replace(/\\(?!["\\])/g, '\\\\')) as string);
}

requireOrSkip(ctx, NO_LAB).describe('generated workflows through the real HTCondor parsers', () => {
  const cases = fc.sample(generatedCase, { seed: SEED, numRuns: 20 * SAMPLE });
  it(`a sample of ${SAMPLE} compiled cases (seed ${SEED})`, { timeout: 600_000 }, async () => {
    if (!ctx) throw new Error('the lab is not running');
    let done = 0;
    for (let i = 0; i < cases.length && done < SAMPLE; i++) {
      const c = cases[i] as (typeof cases)[number];
      const dir = path.join(root, String(i), c.folder);
      makeFolder(dir);
      writeFileSync(path.join(dir, 'wf.yaml'), c.text);
      const r = await checkRun(dir, 'wf.yaml', path.join(root, String(i), 'out'), c.doc);
      if (r.status !== 0 || !r.outDir || !r.plan) continue;
      done++;
      const out = r.outDir;
      const plan = r.plan;
      const what = `case ${i}:\n${c.text}`;
      const dag = await runCondor(ctx, 'condor_submit_dag', ['-no_submit', '-force', plan.dag.file], {
        cwd: out,
        allowFailure: true,
      });
      expect(dag.exitCode, `${what}\ncondor_submit_dag: ${dag.stdout}${dag.stderr}`).toBe(0);
      const text = readFileSync(path.join(out, plan.dag.file), 'utf8');
      for (const node of dagNodes(text)) {
        const macros = [`JOB=${node.name}`, 'DAGManJobId=4242', ...node.vars.map(([k, v]) => `${k}=${v}`)];
        const s = await runCondor(ctx, 'condor_submit', ['-dry-run', '-', node.sub, ...macros], {
          cwd: out,
          allowFailure: true,
        });
        expect(s.exitCode, `${what}\n${node.name}: ${s.stderr}`).toBe(0);
        const ad = adOf(s.stdout);
        const k = plan.dag.nodes.filter((n) => n.kind === 'compute').findIndex((n) => n.name === node.name);
        const step = plan.steps[k];
        if (step) {
          expect(ad.MaxHosts, `${what}\n${node.name}`).toBe(String(step.machineCount));
          expect(ad.RequestCpus).toBe(String(step.requestCpus));
          expect(ad.RequestMemory).toBe(String(step.requestMemoryMiB));
          const launcher = [step.mpi, String(step.ranks), String(step.ranksPerNode), step.executable.command];
          // The schedd expands `$$(…)` at match time; `$$(DOLLARDOLLAR)` is how a literal `$$` is written.
          const expanded = expandDollarDollar(classAdString(ad.Arguments) ?? '');
          expect(expanded.leak, `${what}\n${node.name}: Arguments=${ad.Arguments}`).toBeUndefined();
          // The ad holds the argument string itself (a `""` of the submit file is one `"` here): new syntax.
          const args = splitArguments(expanded.value);
          expect(args, `${what}\n${node.name}: Arguments=${ad.Arguments}`).toEqual([
            ...launcher,
            ...step.arguments,
          ]);
        }
        if (node.name === 'VMS' && plan.vm) {
          expect(ad.JobVMMemory).toBe(String(plan.vm.memoryMiB));
          expect(ad.RequestMemory).toBe(String(plan.vm.memoryMiB));
          expect((s.stdout.match(/^ProcId=/gm) ?? []).length).toBe(plan.vm.count);
          if (plan.vm.leaseSeconds !== undefined)
            expect(ad.VmLeaseSeconds).toBe(String(plan.vm.leaseSeconds));
        }
      }
    }
    expect(done, 'compiled cases in the sample').toBe(SAMPLE);
  });
});
