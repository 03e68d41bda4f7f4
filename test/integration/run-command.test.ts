/**
 * `vmdag run` on the lab pool, through the built CLI as a child process (bin/vmdag.js): the whole job in one
 * command (compile, submit, follow, report, exit with the run's result), and Ctrl-C (SIGINT to the process)
 * while the VMs boot — with `--on-interrupt rm` nothing of the run is left; with `--on-interrupt leave` the
 * run goes on and `vmdag status --watch` follows it to its end. The README's main line,
 * `vmdag run --lab examples/hpl-2vm/workflow.yaml`, is the interrupted-and-left run here.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { BIN, REPO } from '../faults/cli-process.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { labContext, labRunsVms, NO_LAB, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { workflowDir } from './cli-run.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const vms = Boolean(lab?.guestImage) && (await labRunsVms(ctx));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `vmdag run …` started in `cwd`; resolves its DAGMan id as soon as it says it submitted. */
function startRun(args: string[], cwd: string) {
  const child = execa(process.execPath, [BIN, 'run', ...args], { cwd, reject: false, all: false });
  let stderr = '';
  const submitted = new Promise<number>((resolve) => {
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
      const m = /as DAGMan job (\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
  });
  return { child, submitted, stderr: () => stderr };
}

/** Waits until a VM job of DAG `id` runs (its guest is booting). */
async function vmRunning(id: number, ms = 300_000): Promise<string[]> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const q = await runCondor(
      ctx as CondorContext,
      'condor_q',
      [
        '-allusers',
        '-const',
        `DAGManJobId == ${id} && JobUniverse == 13 && JobStatus == 2`,
        '-af',
        'ClusterId',
      ],
      { allowFailure: true, cwd: '/' },
    );
    const clusters = [...new Set(q.stdout.split('\n').filter(Boolean))];
    if (clusters.length > 0) return clusters;
    await sleep(1000);
  }
  throw new Error(`no VM job of DAG ${id} ran within ${ms / 1000} s`);
}

/**
 * No job of DAG `id` in the queue and no libvirt domain of its VM clusters. A condor_q that fails (after
 * retries of a busy schedd) fails the test: its empty output must mean an empty queue.
 */
async function nothingOf(id: number, clusters: string[]): Promise<void> {
  const q = await runCondor(
    ctx as CondorContext,
    'condor_q',
    ['-allusers', '-const', `ClusterId == ${id} || DAGManJobId == ${id}`, '-af', 'ClusterId'],
    { retryTransientMs: 30_000, cwd: '/' },
  );
  expect(q.stdout.trim()).toBe('');
  const domains = (await labStatus()).domains.filter((d) => clusters.some((c) => d.includes(`_${c}.`)));
  expect(domains).toEqual([]);
}

requireOrSkip(ctx, NO_LAB).describe('vmdag run (real pool)', () => {
  it('a native workflow: compiled, submitted, followed, reported; exit 0 and one JSON document', {
    timeout: 300_000,
  }, async () => {
    const dir = workflowDir({
      'bin/hello.sh': '#!/bin/sh\necho hello > hello.out\n',
      'workflow.yaml':
        'version: 1\nname: run-native\ncompute:\n  cpus: 1\n  mpi: none\n  executable: bin/hello.sh\n  outputs: [hello.out]\n',
    });
    const r = await execa(process.execPath, [BIN, 'run', 'workflow.yaml', '-o', 'run', '--json'], {
      cwd: dir,
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      dagmanJobId: number;
      status: { state: string };
      report: { phases: unknown } | null;
    };
    expect(doc.ok).toBe(true);
    expect(doc.status.state).toBe('succeeded');
    expect(doc.report).not.toBeNull();
    expect(readFileSync(path.join(dir, 'run/outputs/hello.out'), 'utf8')).toBe('hello\n');
    // With --json the watch prints nothing but the submit line on stderr; the one document is on stdout.
    expect(r.stderr).toMatch(/^submitted run-native as DAGMan job \d+ \(site local\)/);
  });

  requireOrSkip(vms, NO_VMS).it(
    'Ctrl-C while the VMs boot with --on-interrupt rm: exit 1, the run removed, no VM, domain or guest left',
    { timeout: 600_000 },
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-run-rm-'));
      cpSync(path.join(REPO, 'examples/hpl-2vm'), dir, { recursive: true });
      const t0 = Date.now();
      const run = startRun(['workflow.yaml', '-o', 'run', '--on-interrupt', 'rm', '--json'], dir);
      const id = await run.submitted;
      const clusters = await vmRunning(id);
      run.child.kill('SIGINT');
      const r = await run.child;
      expect(r.exitCode, run.stderr()).toBe(1);
      const doc = JSON.parse(r.stdout) as { interrupted: string; state: string; vmsLeft: number };
      expect(doc).toMatchObject({ interrupted: 'rm', state: 'removed', vmsLeft: 0 });
      await nothingOf(id, clusters);
      expect(await guestLeftovers(ctx as CondorContext, clusters, t0)).toEqual([]);
    },
  );

  requireOrSkip(vms, NO_VMS).it(
    'the README line (run --lab examples/hpl-2vm) with Ctrl-C and --on-interrupt leave: exit 130, the run goes on, status --watch follows it to success',
    { timeout: 900_000 },
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-run-leave-'));
      cpSync(path.join(REPO, 'examples'), path.join(dir, 'examples'), { recursive: true });
      const t0 = Date.now();
      const run = startRun(['--lab', 'examples/hpl-2vm/workflow.yaml', '--on-interrupt', 'leave'], dir);
      const id = await run.submitted;
      const clusters = await vmRunning(id);
      run.child.kill('SIGINT');
      const r = await run.child;
      expect(r.exitCode, run.stderr()).toBe(130);
      expect(run.stderr()).toMatch(/left running; follow it with: vmdag status --watch \S+hpl-2vm\.run/);
      const w = await execa(process.execPath, [BIN, 'status', '--watch', '--json', 'hpl-2vm.run'], {
        cwd: dir,
        reject: false,
      });
      expect(w.exitCode, w.stderr + w.stdout).toBe(0);
      expect((JSON.parse(w.stdout) as { state: string }).state).toBe('succeeded');
      expect(readFileSync(path.join(dir, 'hpl-2vm.run/outputs/ranks.out'), 'utf8')).toMatch(/^rank 0 of 2/);
      await nothingOf(id, clusters);
      expect(await guestLeftovers(ctx as CondorContext, clusters, t0)).toEqual([]);
    },
  );
});
