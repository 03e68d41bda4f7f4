/**
 * `vmdag check` on the lab pool (lab project): a good workflow is accepted; a step memory no slot offers is
 * reported at its line:column though condor_submit -dry-run accepts it; a run directory whose DAG carries a
 * value condor_submit refuses is reported with its node, submit file and the workflow value, and is left as it
 * was; condor_q and condor_history show that nothing was queued.
 */
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { vmdag, workflowDir } from '../integration/cli-run.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';

const ctx = await labContext();
const dir = workflowDir({
  'native-big.yaml': `version: 1
name: native-big
compute:
  - name: small
    cpus: 1
    memory: 64MiB
    executable: bin/hello
  - name: big
    cpus: 1
    memory: 100GiB
    executable: bin/hello
`,
  'bin/hello': '#!/bin/sh\necho hello\n',
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CheckJson {
  ok: boolean;
  site: { name: string };
  checked: string[];
  problems: {
    code: string;
    file: string;
    line: number;
    column: number;
    pointer: string;
    node?: string;
    submitFile?: string;
    message: string;
  }[];
}

/** Every file of a folder with its size and modification time. */
function snapshot(d: string): string[] {
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .map((e) => path.join(e.parentPath, e.name))
    .map((p) => `${path.relative(d, p)} ${statSync(p).size} ${statSync(p).mtimeMs}`)
    .sort();
}

/** Jobs (queued, or in the history) whose working directory is under `d` or a check's scratch folder. */
async function jobsFrom(d: string): Promise<string> {
  if (!ctx) throw new Error(NO_LAB);
  const constraint = `regexp("^${d}|/vmdag-check-", Iwd)`;
  const q = await runCondor(
    ctx,
    'condor_q',
    ['-allusers', '-constraint', constraint, '-af', 'ClusterId', 'Iwd'],
    { cwd: '/' },
  );
  const h = await runCondor(ctx, 'condor_history', ['-constraint', constraint, '-af', 'ClusterId', 'Iwd'], {
    cwd: '/',
  });
  return `${q.stdout}${h.stdout}`.trim();
}

requireOrSkip(ctx, NO_LAB).describe('vmdag check on the lab pool', () => {
  it("accepts the paper's example as it is", { timeout: 180_000 }, async () => {
    if (!ctx) throw new Error('the lab is not running');
    const r = await vmdag(['check', path.resolve('examples/hpl-2vm/workflow.yaml'), '--json'], dir);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const doc = JSON.parse(r.stdout) as CheckJson;
    expect(doc.ok).toBe(true);
    expect(doc.problems).toEqual([]);
    expect(doc.checked.join('\n')).toMatch(/condor_submit -dry-run: 5 node\(s\)/);
    expect(doc.checked.join('\n')).toMatch(/condor_submit_dag -no_submit/);
    expect(doc.checked.join('\n')).toMatch(/condor_ping WRITE/);
  });

  it('a step memory no slot offers: at its line:column', { timeout: 180_000 }, async () => {
    const r = await vmdag(['check', 'native-big.yaml'], dir);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stderr).toMatch(
      /^native-big\.yaml:10:13: error: site \S+ cannot run step big: .*100 GiB.* \[check\.site-capacity\]$/m,
    );
    expect(r.stderr).not.toMatch(/step small/);
  });

  it('a value condor_submit refuses in a run directory: its node, the workflow value; the run is left as it was', {
    timeout: 180_000,
  }, async () => {
    const wf = path.join(dir, 'hpl');
    cpSync('examples/hpl-2vm', wf, { recursive: true });
    const run = path.join(dir, 'hpl.run');
    const c = await vmdag(['compile', path.join(wf, 'workflow.yaml'), '-o', run, '--json']);
    expect(c.code, c.stderr).toBe(0);
    const dag = path.join(run, 'hpl-2vm.dag');
    writeFileSync(dag, readFileSync(dag, 'utf8').replace('vmdag_memory="128"', 'vmdag_memory="12QB"'));
    const before = snapshot(run);
    const r = await vmdag(['check', run, '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const doc = JSON.parse(r.stdout) as CheckJson;
    expect(doc.problems).toHaveLength(1);
    const text = readFileSync(path.join(wf, 'workflow.yaml'), 'utf8').split('\n');
    const line = text.indexOf('  memory: 128MiB') + 1;
    expect(doc.problems[0]).toMatchObject({
      code: 'check.submit-refused',
      file: path.join(wf, 'workflow.yaml'),
      line,
      column: 11,
      pointer: '/compute/memory',
      node: 'mpi',
      submitFile: 'compute.sub',
    });
    expect(doc.problems[0]?.message).toMatch(/RequestMemory = 12QB/);
    expect(snapshot(run)).toEqual(before);
  });

  it('nothing was queued', { timeout: 60_000 }, async () => {
    expect(await jobsFrom(dir)).toBe('');
  });
});
