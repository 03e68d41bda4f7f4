/**
 * Issue 16: every way a run with VMs can end without vmdag's help, on the lab pool, each ending in the same
 * check — no job of the run queued (VM jobs included), no libvirt domain of it, no ad of its guests in the
 * collector and no claim of the schedd on them (test/lab/guests-left.ts) — and the time from the event to
 * that point:
 *   (a) a raw `condor_rm` of the DAGMan job while the VM boots, (b) the same while the step computes;
 *   (c) `vmdag submit` killed (SIGKILL) right after condor_submit_dag returned, then (d) `vmdag status
 *       --watch` killed mid-run: the run goes on without vmdag and tears its VM down itself;
 *   (e) DAGMan killed (SIGKILL) during the step: the schedd starts it again (recovery), then (f) the schedd
 *       restarted (its DaemonStartTime changes): the VM job's starter keeps the VM for its lease
 *       (job_lease_duration 120 s) until the new shadow reconnects (the step's lease renewed), then (g) the
 *       submit side away past that lease (the schedd stopped): the VM's starter ends the VM, its guest leaves
 *       the pool; the schedd back, REAP removes the step stranded on the gone guest; the run ends failed,
 *       never orphaned, nothing left.
 * (a)–(d) run at once (three runs of one VM each); (e)–(g) share one run, alone (the schedd restart would
 * touch every run). The target for each is everything gone ≤ 60 s after the event; the figures are printed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { guestsOf } from '../lab/guests-left.js';
import { labContext, labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { BIN } from './cli-process.js';
import {
  asLabRoot,
  domainOf,
  labDomains,
  nothingLeft,
  oneStep,
  removeStarted,
  runningJob,
  started,
  status,
  submit,
  vmClusters,
  vmSection,
  waitFor,
  watched,
} from './lab-runs.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const ready = Boolean(lab?.guestImage && lab.root && lab.netns) && (await labRunsVms(ctx));
const T = 900_000;
const figures: string[] = [];
const image = () => lab?.guestImage as string;

/** As root inside the lab (the lab's user may not restart daemons). */
const asRoot = (argv: string[]) => asLabRoot(lab ?? {}, argv);

/** Whether HTCondor version `v` ("23.9.6") is at least `min`. */
function versionAtLeast(v: string, min: number[]): boolean {
  const parts = v.split('.').map(Number);
  for (const [i, m] of min.entries()) {
    const p = parts[i] ?? 0;
    if (p !== m) return p > m;
  }
  return true;
}

function spawnCli(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, stdio: 'ignore' });
}

/** Seconds from `event` (ms) until nothing of run `id` is left, and that figure recorded under `what`. */
async function goneAfter(what: string, id: number, clusters: string[], event: number, since: number) {
  if (!ctx) throw new Error('the lab is not running');
  await nothingLeft(ctx, id, clusters, 180_000, since);
  const seconds = (Date.now() - event) / 1000;
  figures.push(`${what}: everything gone ${seconds.toFixed(1)} s after the event (target 60 s)`);
  return seconds;
}

async function vmRunning(runDir: string): Promise<void> {
  await waitFor('the VM job to run', 300_000, () =>
    status(runDir).vms.some((v) => v.state === 'running') ? true : undefined,
  );
}

requireOrSkip(ready, `${NO_VMS}; or lab status names no root or netns`).describe(
  'teardown without vmdag: every path ends with nothing left (issue 16)',
  () => {
    it('(a) condor_rm of the DAGMan job while the VM boots, (b) while the step computes, (c)–(d) vmdag killed: nothing left', {
      timeout: T,
    }, async () => {
      if (!ctx) throw new Error('the lab is not running');
      // (a) and (b): one VM each, a step that would run 10 minutes.
      const tA = Date.now();
      const a = submit(oneStep('td-rm-boot', 'sleep 600', { vm: vmSection(image()) }));
      const tB = Date.now();
      const b = submit(oneStep('td-rm-compute', 'sleep 600', { vm: vmSection(image()) }));
      // (c): vmdag submit as a process, killed the moment run.json exists (condor_submit_dag has returned).
      const dirC = oneStep('td-crash', 'sleep 40\necho ok > ok.out', {
        vm: vmSection(image()),
        outputs: ['ok.out'],
      });
      const runC = path.join(dirC, 'run');
      started.push(runC);
      const tC = Date.now();
      const child = spawnCli(['submit', 'workflow.yaml', '-o', runC, '--json'], dirC);
      const exited = new Promise<string>((r) =>
        child.on('exit', (code, signal) => r(signal ? signal : `exit ${code}`)),
      );
      await waitFor(
        'run.json',
        120_000,
        () => (existsSync(path.join(runC, 'run.json')) ? true : undefined),
        20,
      );
      child.kill('SIGKILL');
      // vmdag submit writes run.json last and then exits: the kill may find it gone already (seen in a CI
      // rehearsal). Either way no vmdag process follows the run from here on, which is what (c) is about.
      const outcome = await exited;
      expect(['SIGKILL', 'exit 0'], `vmdag submit ended by ${outcome}`).toContain(outcome);
      figures.push(`(c) vmdag submit ended by ${outcome} at run.json`);
      const idC = (JSON.parse(readFileSync(path.join(runC, 'run.json'), 'utf8')) as { dagmanJobId: number })
        .dagmanJobId;

      // (a): the VM job runs, the step has not started: condor_rm the DAGMan job, as a user would.
      await vmRunning(a.runDir);
      const beforeA = status(a.runDir);
      expect(['unsubmitted', 'idle']).toContain(beforeA.nodes.find((n) => n.name === 'compute')?.state);
      const eventA = Date.now();
      await runCondor(ctx, 'condor_rm', [String(a.id)], { cwd: '/' });
      // (d): vmdag status --watch on run (c), killed while the VM boots or the step runs.
      const watcher = spawnCli(['status', '--watch', '--interval', '1', runC], runC);
      const watcherGone = new Promise((r) => watcher.on('exit', (_code, signal) => r(signal)));
      const goneA = await goneAfter(
        '(a) condor_rm while the VM boots',
        a.id,
        vmClusters(beforeA),
        eventA,
        tA,
      );
      watcher.kill('SIGKILL');
      expect(await watcherGone).toBe('SIGKILL');
      expect(status(a.runDir).state).toBe('removed');

      // (b): the step runs on the VM: condor_rm the DAGMan job.
      await runningJob(b.runDir, 'compute', 480_000);
      const beforeB = status(b.runDir);
      const eventB = Date.now();
      await runCondor(ctx, 'condor_rm', [String(b.id)], { cwd: '/' });
      const goneB = await goneAfter(
        '(b) condor_rm while the step computes',
        b.id,
        vmClusters(beforeB),
        eventB,
        tB,
      );
      expect(status(b.runDir).state).toBe('removed');

      // (c)–(d): nobody follows run (c); it ends by itself, its VM torn down by its own DAG.
      await waitFor(
        `run ${idC} to leave the queue by itself`,
        600_000,
        async () => {
          const q = await runCondor(
            ctx,
            'condor_q',
            ['-allusers', '-constraint', `ClusterId == ${idC}`, '-af', 'ClusterId'],
            {
              retryTransientMs: 30_000,
              cwd: '/',
            },
          );
          return q.stdout.trim() === '' ? true : undefined;
        },
        2000,
      );
      const endC = Date.now();
      const sC = status(runC);
      expect(sC.state, JSON.stringify(sC)).toBe('succeeded');
      expect(readFileSync(path.join(runC, 'outputs/ok.out'), 'utf8')).toBe('ok\n');
      const goneC = await goneAfter(
        '(c)–(d) vmdag submit and status --watch killed: the run ended by itself',
        idC,
        vmClusters(sC),
        endC,
        tC,
      );
      figures.push(
        `(c)–(d): run ${idC} succeeded ${((endC - tC) / 1000).toFixed(1)} s after a submit killed at run.json`,
      );
      for (const [what, s] of [
        ['(a)', goneA],
        ['(b)', goneB],
        ['(c)', goneC],
      ] as const)
        expect(s, `${what}: everything gone within 180 s`).toBeLessThan(180);
    });

    it('(e) DAGMan killed during the step is started again, (f) then the schedd restarted, (g) then the submit side away past the lease: the run ends, nothing left', {
      timeout: T,
    }, async () => {
      if (!ctx) throw new Error('the lab is not running');
      const t0 = Date.now();
      const { runDir, id } = submit(
        oneStep('td-dagman', 'sleep 420\necho ok > ok.out', { vm: vmSection(image()), outputs: ['ok.out'] }),
      );
      await runningJob(runDir, 'compute', 480_000);
      const before = status(runDir);
      // (e) DAGMan's process: the scheduler-universe job's pid on this host (the lab shares the pid space).
      // HTCondor 23's schedd runs it as a copy named condor_scheduniv_exec.CLUSTER.PROC, 25's as itself.
      const pidOf = () =>
        execFileSync(
          'pgrep',
          ['-f', String.raw`(condor_dagman|condor_scheduniv_exec\.[0-9.]+) .*-Dag td-dagman\.dag`],
          { encoding: 'utf8' },
        )
          .trim()
          .split('\n')
          .filter(Boolean);
      const [pid] = pidOf();
      expect(pid, 'condor_dagman of the run').toBeDefined();
      const killed = Date.now();
      process.kill(Number(pid), 'SIGKILL');
      const again = await waitFor('DAGMan started again', 180_000, () => {
        try {
          const p = pidOf().filter((x) => x !== pid);
          return p.length > 0 ? p[0] : undefined;
        } catch {
          return undefined;
        }
      });
      figures.push(
        `(e) DAGMan SIGKILLed: running again (pid ${pid} → ${again}) ${((Date.now() - killed) / 1000).toFixed(1)} s later`,
      );
      const dagmanOut = () => readFileSync(path.join(runDir, 'td-dagman.dag.dagman.out'), 'utf8');
      await waitFor('DAGMan in recovery mode', 120_000, () =>
        /Running in RECOVERY mode/.test(dagmanOut()) ? true : undefined,
      );

      // (f) the schedd restarted while the step runs on the VM. Before HTCondor 25.10.1 a graceful shutdown
      // never signals a parallel job's shadow once the dedicated scheduler has dropped the job's claim records
      // (it does so first, even when the guest refuses its RELEASE_CLAIM): the old schedd then waits for the
      // step to end, or SHUTDOWN_GRACEFUL_TIMEOUT (30 min). Fixed by HTCONDOR-3499's commit e0be9f253a; on
      // older ones the restart is `-fast` (shadows killed, the job's lease kept), as docs/lab.md advises.
      const graceful = versionAtLeast(lab?.htcondorVersion ?? '', [25, 10, 1]);
      const startOf = () => asRoot(['condor_status', '-schedd', '-af', 'DaemonStartTime']).trim();
      const startBefore = startOf();
      const restarted = Date.now();
      asRoot(['condor_restart', ...(graceful ? [] : ['-fast']), '-schedd']);
      await waitFor('a new schedd', 120_000, () => {
        try {
          const now = startOf();
          return now !== '' && now !== startBefore ? now : undefined;
        } catch {
          return undefined;
        }
      });
      figures.push(
        `(f) schedd restarted (${graceful ? 'graceful' : '-fast: HTCondor < 25.10.1'}): DaemonStartTime ${startBefore} → ${startOf()}`,
      );
      // The new schedd's shadow takes the step up again on the VM's starter, within the job lease: it renews
      // the step's lease (a parallel job's reconnect writes no event to the user log, nor NumJobReconnects).
      const stepJob = before.nodes.find((n) => n.name === 'compute')?.jobId ?? '';
      const stepCluster = stepJob.split('.')[0];
      const restartedEpoch = Math.floor(restarted / 1000);
      await waitFor(
        'the step reconnected',
        300_000,
        async () => {
          const q = await runCondor(ctx, 'condor_q', [stepJob, '-af', 'LastJobLeaseRenewal', 'JobStatus'], {
            allowFailure: true,
            cwd: '/',
          });
          const [renewed, state] = q.stdout.trim().split(' ').map(Number);
          return state === 2 && (renewed ?? 0) > restartedEpoch ? true : undefined;
        },
        2000,
      );
      figures.push(
        `(f) the step's shadow reconnected ${((Date.now() - restarted) / 1000).toFixed(1)} s after the restart`,
      );

      // (g) the submit side away for longer than the VM's job lease (120 s): the schedd stopped. The VM job's
      // starter ends the VM by itself; once the schedd is back, REAP removes the step left "running" on the
      // gone guest (HTCondor's dedicated scheduler would retry reconnecting it for ever) and STOP tears down.
      const away = Date.now();
      asRoot(['condor_off', '-fast', '-schedd']);
      const guests = (await guestsOf(vmClusters(before))).map((g) => g.host).filter(Boolean) as string[];
      expect(guests, "the run's guest, from its console log").toHaveLength(1);
      await waitFor(
        'the VM to end with its lease',
        300_000,
        async () => {
          const domains = (await labDomains()).filter((d) => domainOf(d, vmClusters(before)));
          const ads = asRoot([
            'condor_status',
            '-any',
            '-const',
            `Machine == "${guests[0]}"`,
            '-af',
            'Name',
          ]).trim();
          return domains.length === 0 && ads === '' ? true : undefined;
        },
        2000,
      );
      figures.push(
        `(g) schedd stopped: the VM and its guest gone ${((Date.now() - away) / 1000).toFixed(1)} s later (job lease 120 s)`,
      );
      asRoot(['condor_on', '-schedd']);
      const back = Date.now();
      const s = watched(runDir);
      const end = Date.now();
      // Never orphaned: it ends — failed, its step removed by REAP because its guest left the pool.
      expect(s.state, JSON.stringify(s)).toBe('failed');
      expect(readFileSync(path.join(runDir, 'logs/reap.out'), 'utf8')).toMatch(
        new RegExp(
          `removed step job ${stepCluster}\\.0: its guest \\(\\S*${guests[0]}\\) left the pool while it ran`,
        ),
      );
      figures.push(
        `(g) the schedd back: the run ended ${s.state} ${((end - back) / 1000).toFixed(1)} s later${s.cause ? `, cause ${s.cause}` : ''}`,
      );
      const gone = await goneAfter('(e)–(g) after the run ended', id, vmClusters(before), end, t0);
      expect(gone).toBeLessThan(180);
    });
  },
);

afterAll(() => {
  removeStarted();
  if (figures.length) process.stderr.write(`teardown paths (issue 16):\n  ${figures.join('\n  ')}\n`);
});
