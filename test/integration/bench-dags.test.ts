/**
 * The second part of `npm run bench` (bench/htcondor-dags.mjs) builds the benchmark's DAG with HTCondor's
 * own Python DAG writer in the lab and refuses to print figures unless both DAGs have the same nodes, edges,
 * VARS, POST scripts and ABORT-DAG-ON lines. The DAG vmdag writes changes shape now and then (the tuned
 * output added REAP and dropped the GATE edges, and the bench stopped at its shape check): this runs it on a
 * small workflow, so a change of shape that the Python side does not follow fails here, not in a later
 * benchmark run.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ctx = await labContext();

requireOrSkip(ctx, NO_LAB).describe('bench/htcondor-dags.mjs (htcondor2.dags in the lab)', () => {
  it('builds the same DAG shape as vmdag compile for 200 steps and prints the comparison', {
    timeout: 120_000,
  }, () => {
    if (!ctx) throw new Error('the lab is not running: vmdag lab up');
    const p = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'htcondor-dags.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        BENCH_STEPS: '200',
        BENCH_DAGS_RUNS: '1',
        VMDAG_CONDOR_PREFIX: ctx.prefix.join(' '),
      },
    });
    expect(p.stderr).not.toMatch(/differ in shape/);
    expect(p.status, p.stderr).toBe(0);
    // 200 compute nodes + VMS, GATE, REAP, STOP; the edges of 2 chain positions after the first.
    expect(p.stdout).toMatch(
      /same DAG shape checked: 204 nodes, 100 edges, 200 VARS, 200 POST scripts; 1 runs each/,
    );
    expect(p.stdout).toMatch(/^htcondor2?\.dags \(python3\)\s+\d+\.\d{3}/m);
  });
});
