/**
 * Fault scenarios on the lab pool without VMs (native workflows, real DAGs, the real CLI as a process).
 * Each ends by checking that no job of the run is left in the queue within 2 minutes and that `vmdag
 * status` reports the right final state and cause. Scenario numbers are issue 7's; 3, 4, 5 need VMs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';
import { BIN, runCli } from './cli-process.js';
import { asLabRoot } from './lab-runs.js';

const ctx = await labContext();
const figures: string[] = [];

interface Status {
  dagmanJobId: number;
  state: string;
  cause: string | null;
  nodes: { name: string; state: string; jobId: string | null; cause?: string }[];
}

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-fault-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text, { mode: name.startsWith('bin/') ? 0o755 : 0o644 });
  }
  return dir;
}

const native = (name: string, script: string, extra = '') =>
  folder({
    'bin/step.sh': `#!/bin/sh\n${script}\n`,
    'workflow.yaml': `version: 1\nname: ${name}\ncompute:\n  cpus: 1\n  mpi: none\n  executable: bin/step.sh\n${extra}`,
  });

function status(runDir: string): Status {
  const r = runCli(['status', '--json', runDir], { cwd: runDir, timeoutMs: 90_000 });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

/** `vmdag status --watch` to the end (the lab's four slots are shared: allow minutes). */
function watched(runDir: string, env: Record<string, string> = {}): Status {
  const r = runCli(['status', '--watch', '--interval', '1', '--json', runDir], {
    cwd: runDir,
    timeoutMs: 600_000,
    env,
  });
  expect(r.stdout, r.stderr).not.toBe('');
  return JSON.parse(r.stdout) as Status;
}

/** Run directories submitted here: removed at the end whatever happened (a failed test leaves no job). */
const started: string[] = [];

function submit(dir: string, env: Record<string, string> = {}): { runDir: string; id: number } {
  const runDir = path.join(dir, 'run');
  started.push(runDir);
  const r = runCli(['submit', 'workflow.yaml', '-o', runDir, '--json'], {
    cwd: dir,
    timeoutMs: 180_000,
    env,
  });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return { runDir, id: (JSON.parse(r.stdout) as { dagmanJobId: number }).dagmanJobId };
}

async function waitFor<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Seconds until no job of the run (the DAGMan job, its nodes) is queued; fails past 2 minutes. */
async function noJobLeft(id: number): Promise<number> {
  if (!ctx) throw new Error('the lab is not running');
  const t0 = Date.now();
  const constraint = `ClusterId == ${id} || DAGManJobId == ${id}`;
  await waitFor(`run ${id} to leave the queue`, 120_000, async () => {
    const q = await runCondor(ctx, 'condor_q', ['-allusers', '-constraint', constraint, '-af', 'ClusterId'], {
      retryTransientMs: 30_000,
    });
    return q.stdout.trim() === '' ? true : undefined;
  });
  return (Date.now() - t0) / 1000;
}

/** The DAGMan jobs ever submitted from a run directory (queue and history). */
async function dagmanJobsOf(runDir: string): Promise<number[]> {
  if (!ctx) throw new Error('the lab is not running');
  const c = `JobUniverse == 7 && Iwd == "${runDir}"`;
  const q = await runCondor(ctx, 'condor_q', ['-allusers', '-constraint', c, '-af', 'ClusterId'], {
    retryTransientMs: 30_000,
  });
  // A failed condor_history would hide a second DAGMan job that already left the queue: it fails the test.
  const h = await runCondor(ctx, 'condor_history', ['-constraint', c, '-af', 'ClusterId'], {
    retryTransientMs: 30_000,
  });
  return [
    ...new Set(
      `${q.stdout}\n${h.stdout}`
        .split(/\s+/)
        .filter((x) => /^\d+$/.test(x))
        .map(Number),
    ),
  ];
}

function spawnCli(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, stdio: 'ignore' });
}

/** The compute node's job id once it runs. */
async function runningJob(runDir: string, node = 'compute'): Promise<string> {
  return await waitFor(`${node} to run`, 480_000, () => {
    const n = status(runDir).nodes.find((x) => x.name === node);
    return n?.state === 'running' && n.jobId ? n.jobId : undefined;
  });
}

const T = 900_000;

requireOrSkip(ctx, NO_LAB).describe('fault scenarios on the lab pool (native workflows)', () => {
  it('(1) the compute step exits non-zero: failed, with its exit code as the cause', {
    timeout: T,
  }, async () => {
    const t0 = Date.now();
    const { runDir, id } = submit(native('fault-exit', 'echo failing >&2\nexit 7'));
    const s = watched(runDir);
    figures.push(
      `(1) ${((Date.now() - t0) / 1000).toFixed(1)} s submit → end, state ${s.state}, cause ${s.cause}`,
    );
    expect(s.state).toBe('failed');
    expect(String(s.cause)).toMatch(/compute: exit code 7/);
    expect(s.nodes.find((n) => n.name === 'compute')?.state).toBe('failed');
    figures.push(`(1) left queue ${(await noJobLeft(id)).toFixed(1)} s after the end`);
  });

  it('(2) the compute step is held: periodic_remove ends it after the hold timeout, the run fails', {
    timeout: T,
  }, async () => {
    if (!ctx) throw new Error('the lab is not running');
    const env = { VMDAG_HOLD_TIMEOUT: '15' };
    const { runDir, id } = submit(native('fault-held', 'sleep 600'), env);
    expect(readFileSync(path.join(runDir, 'compute.sub'), 'utf8')).toMatch(/EnteredCurrentStatus > 15\)/);
    const job = await runningJob(runDir);
    const held = Date.now();
    await runCondor(ctx, 'condor_hold', ['-reason', 'vmdag fault test', job]);
    const s = watched(runDir);
    const seconds = (Date.now() - held) / 1000;
    expect(s.state).toBe('failed');
    expect(`${s.cause} ${s.nodes.map((n) => n.cause ?? '').join(' ')}`).toMatch(/held|hold/i);
    expect(seconds).toBeLessThan(120);
    figures.push(`(2) held → run failed in ${seconds.toFixed(1)} s (hold timeout 15 s), cause ${s.cause}`);
    figures.push(`(2) left queue ${(await noJobLeft(id)).toFixed(1)} s after the end`);
  });

  it('(6) the schedd restarts mid-run: the run still finishes, outputs arrive, status says succeeded', {
    timeout: T,
  }, async () => {
    // retries: 1 — a parallel step whose reconnect fails after the restart is removed (compute.sub's
    // periodic_remove after 60 s idle, or REAP) and DAGMan's retry runs it as a new cluster.
    const { runDir, id } = submit(
      native('fault-schedd', 'sleep 30\necho ok > ok.out', '  outputs: [ok.out]\n  retries: 1\n'),
    );
    await runningJob(runDir);
    // Mid-run: the step's starter is up and its shadow has talked to it for 10 s.
    await new Promise((r) => setTimeout(r, 10_000));
    // The lab's submitting user may not restart daemons (DENIED): as root, inside the lab's namespace and root.
    const lab = JSON.parse(runCli(['lab', 'status', '--json'], { cwd: runDir }).stdout) as {
      root: string;
      netns: string;
    };
    const restarted = Date.now();
    asLabRoot(lab, ['condor_restart', '-schedd']);
    const s = watched(runDir);
    const seconds = (Date.now() - restarted) / 1000;
    expect(s.state, JSON.stringify(s)).toBe('succeeded');
    expect(s.cause ?? null).toBeNull();
    expect(readFileSync(path.join(runDir, 'outputs/ok.out'), 'utf8')).toBe('ok\n');
    expect(await dagmanJobsOf(runDir)).toEqual([id]);
    const jobstate = readFileSync(path.join(runDir, 'fault-schedd.jobstate.log'), 'utf8');
    const submits = jobstate.split('\n').filter((l) => / compute SUBMIT /.test(l)).length;
    // Lost in the restart, the step is removed and retried: by its periodic_remove once idle 60 s (HTCondor
    // 25 sets it idle) or by REAP once its slot is seen unclaimed twice (23.9 leaves it running).
    const nodesLog = readFileSync(path.join(runDir, 'fault-schedd.dag.nodes.log'), 'utf8');
    const lost = /step lost in a schedd restart/.test(nodesLog);
    expect(submits).toBe(lost ? 2 : 1);
    const how = /no longer claimed/.test(nodesLog)
      ? 'reconnect impossible: removed by REAP, its slot unclaimed at two looks, retried'
      : 'reconnect failed: removed after 60 s idle, retried';
    figures.push(
      `(6) schedd restarted 10 s into the step → run succeeded ${seconds.toFixed(1)} s later; compute submitted ${submits}× (${lost ? how : 'reconnected'})`,
    );
    figures.push(`(6) left queue ${(await noJobLeft(id)).toFixed(1)} s after the end`);
  });

  for (const when of ['condor_submit_dag is running', 'the submit marker is written'] as const) {
    it(`(7) vmdag submit killed while ${when}, run again: one DAG, consistent state`, {
      timeout: T,
    }, async () => {
      const dir = native('fault-kill', 'sleep 3\necho ok > ok.out', '  outputs: [ok.out]\n');
      const runDir = path.join(dir, 'run');
      started.push(runDir);
      const child = spawnCli(['submit', 'workflow.yaml', '-o', runDir, '--json'], dir);
      const exited = new Promise((r) => child.on('exit', r));
      const isReady = () =>
        existsSync(runDir) &&
        readdirSync(runDir).some((f) =>
          when === 'the submit marker is written' ? f === 'submitting.json' : f.endsWith('.condor.sub'),
        );
      for (let i = 0; i < 3000 && !isReady(); i++) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      await exited;
      const left = readdirSync(runDir);
      const again = runCli(['submit', 'workflow.yaml', '-o', runDir, '--json'], {
        cwd: dir,
        timeoutMs: 180_000,
      });
      expect(again.status, again.stderr + again.stdout).toBe(0);
      const id = (JSON.parse(again.stdout) as { dagmanJobId: number }).dagmanJobId;
      expect(existsSync(path.join(runDir, 'submitting.json'))).toBe(false);
      const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
        dagmanJobId: number;
      };
      expect(record.dagmanJobId).toBe(id);
      const s = watched(runDir);
      expect(s.state, JSON.stringify(s)).toBe('succeeded');
      expect(await dagmanJobsOf(runDir)).toEqual([id]);
      const third = runCli(['submit', 'workflow.yaml', '-o', runDir, '--json'], {
        cwd: dir,
        timeoutMs: 60_000,
      });
      expect(third.status).toBe(2);
      expect(await dagmanJobsOf(runDir)).toEqual([id]);
      figures.push(
        `(7) killed while ${when} (left: ${left.filter((f) => /submitting|condor\.sub|run\.json/.test(f)).join(', ') || 'no marker'}); rerun ${again.stderr.includes('interrupted') ? 'adopted' : 'submitted'} DAGMan job ${id}`,
      );
      figures.push(`(7) left queue ${(await noJobLeft(id)).toFixed(1)} s after the end`);
    });
  }

  it('(7) vmdag status --watch killed mid-run, run again: same run, right final state', {
    timeout: T,
  }, async () => {
    const { runDir, id } = submit(
      native('fault-watch', 'sleep 15\necho ok > ok.out', '  outputs: [ok.out]\n'),
    );
    const before = readFileSync(path.join(runDir, 'run.json'), 'utf8');
    const child = spawnCli(['status', '--watch', '--interval', '1', runDir], runDir);
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 4000));
    child.kill('SIGKILL');
    await exited;
    const s = watched(runDir);
    expect(s.state).toBe('succeeded');
    expect(s.dagmanJobId).toBe(id);
    expect(readFileSync(path.join(runDir, 'run.json'), 'utf8')).toBe(before);
    expect(await dagmanJobsOf(runDir)).toEqual([id]);
    figures.push(`(7) watch killed: left queue ${(await noJobLeft(id)).toFixed(1)} s after the end`);
  });
});

const isRoot = process.getuid?.() === 0;

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = e.isFile()
      ? createHash('sha256').update(readFileSync(p)).digest('hex')
      : 'dir';
  }
  return out;
}

requireOrSkip(isRoot, 'root (the test mounts a 64 KiB tmpfs to fill)').describe(
  '(8) the disk fills during compile',
  () => {
    it('compile fails with a clear diagnostic, writes nothing half, leaves the previous run directory intact', {
      timeout: 60_000,
    }, () => {
      const mnt = mkdtempSync(path.join(tmpdir(), 'vmdag-full-'));
      const steps = Array.from(
        { length: 300 },
        (_, i) =>
          `  - name: s${i}\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n    arguments: [${'x'.repeat(100)}]\n`,
      ).join('');
      const dir = folder({
        'bin/step.sh': '#!/bin/sh\n',
        'small.yaml':
          'version: 1\nname: small\ncompute:\n  cpus: 1\n  mpi: none\n  executable: bin/step.sh\n',
        'big.yaml': `version: 1\nname: big\ncompute:\n${steps}`,
      });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
      try {
        const prev = path.join(mnt, 'prev');
        const ok = runCli(['compile', 'small.yaml', '-o', prev], { cwd: dir });
        expect(ok.status, ok.stderr).toBe(0);
        const before = tree(prev);
        for (const target of [path.join(mnt, 'new'), prev]) {
          const r = runCli(['compile', 'big.yaml', '-o', target], { cwd: dir });
          expect(r.status, r.stderr).toBe(1);
          expect(r.stderr).toMatch(/^.+:1:1: error: .*(ENOSPC|no space left)/im);
          expect(r.stderr).not.toMatch(/^\s+at |internal error/m);
          expect(readdirSync(mnt)).toEqual(['prev']);
          expect(tree(prev)).toEqual(before);
        }
        figures.push(
          `(8) ${runCli(['compile', 'big.yaml', '-o', path.join(mnt, 'new')], { cwd: dir }).stderr.trim()}`,
        );
      } finally {
        execFileSync('umount', [mnt]);
        rmSync(mnt, { recursive: true, force: true });
      }
    });
  },
);

afterAll(() => {
  for (const runDir of started)
    if (existsSync(path.join(runDir, 'run.json')))
      runCli(['rm', runDir], { cwd: runDir, timeoutMs: 150_000 });
  if (figures.length) process.stderr.write(`fault scenarios:\n  ${figures.join('\n  ')}\n`);
});
