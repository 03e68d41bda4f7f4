/**
 * Real DAGs on the lab pool: compiled workflows without a `vm` section (the real-node baseline) submitted
 * with `vmdag submit`, followed with `vmdag status`, removed with `vmdag rm`. No mocks: HTCondor runs them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';
import { helloScript, vmdag, workflowDir } from './cli-run.js';

const ctx = await labContext();
const T = 240_000;

async function submitted(dir: string, file = 'workflow.yaml'): Promise<{ runDir: string; id: number }> {
  const r = await vmdag(['submit', file, '--json'], dir);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  const j = JSON.parse(r.stdout) as { ok: boolean; dagmanJobId: number; outDir: string };
  expect(j.ok).toBe(true);
  return { runDir: j.outDir, id: j.dagmanJobId };
}

async function watched(runDir: string): Promise<{ code: number; status: Record<string, unknown> }> {
  const r = await vmdag(['status', '--watch', '--interval', '1', '--json', runDir]);
  return { code: r.code, status: JSON.parse(r.stdout) as Record<string, unknown> };
}

function logsOf(runDir: string): string {
  const logs = path.join(runDir, 'logs');
  return readdirSync(logs)
    .filter((f) => f.endsWith('.out'))
    .sort()
    .map((f) => readFileSync(path.join(logs, f), 'utf8'))
    .join('');
}

requireOrSkip(ctx, NO_LAB).describe('native DAGs on the lab pool', () => {
  it('an OpenMPI step of 2 ranks runs real mpirun over machine_count 2 and its output comes back', {
    timeout: T,
  }, async () => {
    const dir = workflowDir({
      'bin/hello.sh': helloScript('hello.out'),
      'workflow.yaml':
        'version: 1\nname: it-mpi\ncompute:\n  cpus: 2\n  executable: bin/hello.sh\n  mpi: openmpi\n  outputs: [hello.out]\n',
    });
    const { runDir, id } = await submitted(dir);
    const { code, status } = await watched(runDir);
    expect(status.state).toBe('succeeded');
    expect(status.dagmanJobId).toBe(id);
    expect(code).toBe(0);
    expect(readFileSync(path.join(runDir, 'outputs/hello.out'), 'utf8')).toBe('hello from rank 0 of 2\n');
    const logs = logsOf(runDir);
    expect(logs).toMatch(/rank 0 of 2/);
    expect(logs).toMatch(/rank 1 of 2/);
  });

  it('an `mpi: none` step runs its executable once per node', { timeout: T }, async () => {
    const dir = workflowDir({
      'bin/hello.sh': helloScript('once.out'),
      'workflow.yaml':
        'version: 1\nname: it-none\ncompute:\n  cpus: 2\n  executable: bin/hello.sh\n  mpi: none\n  outputs: [once.out]\n',
    });
    const { runDir } = await submitted(dir);
    const { status } = await watched(runDir);
    expect(status.state).toBe('succeeded');
    const logs = logsOf(runDir);
    expect(logs).toMatch(/rank none of none node 0/);
    expect(logs).toMatch(/rank none of none node 1/);
    expect(existsSync(path.join(runDir, 'outputs/once.out'))).toBe(true);
  });

  it('steps chained with `after` run in order; a failing step fails the run with its exit code', {
    timeout: T,
  }, async () => {
    const dir = workflowDir({
      'bin/ok.sh': '#!/bin/sh\necho ok > ok.out\n',
      'bin/fail.sh': '#!/bin/sh\necho "about to fail" >&2\nexit 3\n',
      'workflow.yaml': [
        'version: 1',
        'name: it-chain',
        'compute:',
        '  - name: first',
        '    cpus: 1',
        '    mpi: none',
        '    executable: bin/ok.sh',
        '    outputs: [ok.out]',
        '  - name: second',
        '    after: [first]',
        '    cpus: 1',
        '    mpi: none',
        '    executable: bin/fail.sh',
        '',
      ].join('\n'),
    });
    const { runDir } = await submitted(dir);
    const { code, status } = await watched(runDir);
    expect(status.state).toBe('failed');
    expect(code).toBe(1);
    expect(String(status.cause)).toMatch(/node second: exit code 3/);
    // The compute nodes (beside them, the tuned output's SERVICE node REAP, removed by DAGMan at the end).
    const nodes = Object.fromEntries(
      (status.nodes as { name: string; kind: string; state: string }[])
        .filter((n) => n.kind === 'compute')
        .map((n) => [n.name, n.state]),
    );
    expect(nodes).toEqual({ first: 'done', second: 'failed' });
    const jobstate = readFileSync(path.join(runDir, 'it-chain.jobstate.log'), 'utf8').split('\n');
    const firstDone = jobstate.findIndex((l) => / first JOB_SUCCESS /.test(l));
    const secondSubmit = jobstate.findIndex((l) => / second SUBMIT /.test(l));
    expect(firstDone).toBeGreaterThanOrEqual(0);
    expect(secondSubmit).toBeGreaterThan(firstDone);
  });

  it('vmdag rm removes a running run and returns only when no job of it is left', {
    timeout: T,
  }, async () => {
    const dir = workflowDir({
      'bin/long.sh': '#!/bin/sh\nsleep 600\n',
      'workflow.yaml':
        'version: 1\nname: it-rm\ncompute:\n  cpus: 1\n  mpi: none\n  executable: bin/long.sh\n',
    });
    const { runDir, id } = await submitted(dir);
    // rm must find the run running (a run still queued, or already over, would not test the removal).
    let state = '';
    for (let i = 0; i < 120 && state !== 'running'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 1000));
      state = (JSON.parse((await vmdag(['status', '--json', runDir])).stdout) as { state: string }).state;
    }
    expect(state, 'the run was not running within 120 s').toBe('running');
    const rm = await vmdag(['rm', '--json', runDir]);
    expect(rm.code, rm.stderr + rm.stdout).toBe(0);
    if (!ctx) throw new Error('the lab is not running');
    const constraint = `ClusterId == ${id} || DAGManJobId == ${id}`;
    const q = await runCondor(ctx, 'condor_q', ['-allusers', '-json', '-constraint', constraint]);
    expect(q.stdout.trim()).toBe('');
    const after = JSON.parse((await vmdag(['status', '--json', runDir])).stdout) as { state: string };
    expect(after.state).toBe('removed');
  });
});
