/**
 * Isolation on the lab pool: two workflows of two different users run at the same time, each with its own
 * VM. The second user is a fresh uid: `lab exec` runs commands as the owner of a non-root run directory
 * (docs/lab.md). Checked: each compute step ran only on its own run's guest (RemoteHost/LastRemoteHost of
 * its job ads against the guests advertising the run's VmWorkflowId); a job without the run's id, and one
 * with the id but another Owner, stay idle and `-better-analyze` says the guest's slot rejects them (a job
 * with the id and the right Owner is not rejected: the control); the guests' pool tokens (seed disks) are
 * root-only on the execute node, unreadable by the step inside the guest, and in no file of either run
 * directory nor on the qemu command line. Each run ends succeeded, with no job and no domain left.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { labContext, labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { runCli } from './cli-process.js';
import {
  folder,
  nothingLeft,
  queued,
  runningJob,
  type Status,
  sleep,
  started,
  status,
  vmClusters,
  vmSection,
  waitFor,
  watched,
} from './lab-runs.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const ready = Boolean(lab?.guestImage) && (await labRunsVms(ctx)) && process.getuid?.() === 0;
const figures: string[] = [];
const probes: { cluster: number; dir: string }[] = [];

/** The step: who and where it is, whether it can read the guest's disks and token copies; then it waits. */
const stepScript = `echo "host $(hostname) user $(id -un)"
for s in /sys/block/*/serial; do
  b=\${s%/serial}; d=/dev/\${b##*/}
  if head -c 1 "$d" >/dev/null 2>&1; then r=readable; else r=denied; fi
  echo "disk $d serial $(cat "$s") $r"
done
for f in /run/vmdag/tokens.d/pool /run/vmdag/seed; do
  if head -c 1 "$f" >/dev/null 2>&1; then echo "file $f readable"; else echo "file $f denied"; fi
done
sleep 75
echo done > done.out`;

/** A fresh uid, unknown to the host and to the lab's /etc/passwd. */
function freshUid(): number {
  const taken = new Set(
    readFileSync(path.join(lab?.root ?? '', 'etc/passwd'), 'utf8')
      .split('\n')
      .map((l) => Number(l.split(':')[2])),
  );
  for (let uid = 43_000 + (process.pid % 500); ; uid++) {
    const onHost = (() => {
      try {
        execFileSync('getent', ['passwd', String(uid)]);
        return true;
      } catch {
        return false;
      }
    })();
    if (!taken.has(uid) && !onHost) return uid;
  }
}

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    chownSync(path.join(e.parentPath, e.name), uid, uid);
}

interface Run {
  user: string;
  dir: string;
  runDir: string;
  id: number;
}

/** Compile as root, hand the folder to `uid` (if any), then submit the run directory: DAGMan runs as its owner. */
function startRun(name: string, uid?: number): Omit<Run, 'user'> {
  const dir = folder({
    'bin/step.sh': `#!/bin/sh\n${stepScript}\n`,
    'workflow.yaml': `version: 1\nname: ${name}\n${vmSection(lab?.guestImage as string)}compute:\n  cpus: 1\n  memory: 128MiB\n  mpi: none\n  executable: bin/step.sh\n  outputs: [done.out]\n`,
  });
  const c = runCli(['compile', 'workflow.yaml', '-o', 'run', '--json'], { cwd: dir, timeoutMs: 60_000 });
  expect(c.status, c.stderr + c.stdout).toBe(0);
  chmodSync(dir, 0o755);
  if (uid !== undefined) chownTree(dir, uid);
  const runDir = path.join(dir, 'run');
  started.push(runDir);
  const s = runCli(['submit', runDir, '--json'], { cwd: dir, timeoutMs: 180_000 });
  expect(s.status, s.stderr + s.stdout).toBe(0);
  return { dir, runDir, id: (JSON.parse(s.stdout) as { dagmanJobId: number }).dagmanJobId };
}

/** Submit a one-job probe from `dir` (its owner submits it) aimed at the guests of run `target`. */
async function probe(dir: string, name: string, target: number, id?: number): Promise<number> {
  writeFileSync(
    path.join(dir, `${name}.sub`),
    [
      'universe = vanilla',
      'executable = /bin/true',
      `requirements = TARGET.VmWorkflowId =?= "${target}"`,
      ...(id !== undefined ? [`+VmWorkflowId = "${id}"`] : []),
      'request_memory = 16',
      'queue',
      '',
    ].join('\n'),
  );
  const r = await runCondor(ctx as CondorContext, 'condor_submit', [`${name}.sub`], {
    cwd: dir,
    retryTransientMs: 30_000,
  });
  const cluster = Number(/submitted to cluster (\d+)/.exec(r.stdout)?.[1]);
  expect(cluster).toBeGreaterThan(0);
  probes.push({ cluster, dir });
  return cluster;
}

/** How many slots reject the job by their own requirements (START), per `condor_q -better-analyze`. */
async function rejectedBySlots(cluster: number, dir: string): Promise<{ n: number; text: string }> {
  const r = await runCondor(ctx as CondorContext, 'condor_q', ['-better-analyze', String(cluster)], {
    cwd: dir,
    retryTransientMs: 30_000,
  });
  // 23.9: "1 reject your job because of their own requirements"; 25: "1 slots reject your job …".
  const m = /(\d+) (?:slots? )?reject your job because of their own requirements/.exec(r.stdout);
  return { n: m ? Number(m[1]) : 0, text: r.stdout };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

requireOrSkip(ready, `${NO_VMS}; or this is not root (the test acts as two users)`).describe(
  'isolation: two users, two workflows, each on its own VM',
  () => {
    it('each step runs only on its own guest; other jobs are refused; tokens stay root-only', {
      timeout: 900_000,
    }, async () => {
      if (!ctx || !lab?.root) throw new Error('the lab is not running');
      const uid = freshUid();
      const t0 = Date.now();
      const a: Run = { user: 'vmdag', ...startRun('iso-a') };
      const b: Run = { user: '', ...startRun('iso-b', uid) };
      await Promise.all([runningJob(a.runDir, 'compute', 600_000), runningJob(b.runDir, 'compute', 600_000)]);
      const bothRunning = (Date.now() - t0) / 1000;

      // The guests of each run, as the collector knows them: slot name, machine, workflow id, owner.
      const guests = (
        await runCondor(
          ctx,
          'condor_status',
          ['-const', 'VmGuest =?= true', '-af', 'Name', 'Machine', 'VmWorkflowId', 'VmOwner'],
          { cwd: '/', retryTransientMs: 30_000 },
        )
      ).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string, string, string]);
      const guestsOf = (r: Run) => guests.filter((g) => g[2] === String(r.id));
      const owners = (await queued(ctx, `ClusterId == ${b.id}`, ['Owner']))[0] as string;
      b.user = owners;
      expect(b.user).toBe(`u${uid}`);
      expect(guestsOf(a)).toHaveLength(1);
      expect(guestsOf(b)).toHaveLength(1);
      expect(guestsOf(a)[0]?.[3]).toBe('vmdag');
      expect(guestsOf(b)[0]?.[3]).toBe(b.user);
      expect(guestsOf(a)[0]?.[1]).not.toBe(guestsOf(b)[0]?.[1]);

      // Probes aimed at A's guest: no id (A's user), A's id but B's user; at B's guest: B's id but A's user.
      // Control: A's id and A's user — the guest does not reject it (it is only busy with A's step).
      const noId = await probe(a.dir, 'probe-no-id', a.id);
      const otherOwner = await probe(b.dir, 'probe-other-owner', a.id, a.id);
      const otherOwnerB = await probe(a.dir, 'probe-other-owner-b', b.id, b.id);
      const control = await probe(a.dir, 'probe-control', a.id, a.id);
      const refused = await waitFor(
        'the guests to reject the probes',
        60_000,
        async () => {
          const r = await Promise.all([
            rejectedBySlots(noId, a.dir),
            rejectedBySlots(otherOwner, b.dir),
            rejectedBySlots(otherOwnerB, a.dir),
          ]);
          return r.every((x) => x.n >= 1) ? r : undefined;
        },
        3000,
      );
      for (const r of refused)
        expect(r.text).toMatch(/0 (slots )?(match and )?are (able|willing) to run your job/);
      expect((await rejectedBySlots(control, a.dir)).n).toBe(0);
      const probeStates = await queued(
        ctx,
        `ClusterId == ${noId} || ClusterId == ${otherOwner} || ClusterId == ${otherOwnerB}`,
        ['ClusterId', 'Owner', 'JobStatus', 'NumJobStarts'],
      );
      expect(probeStates).toHaveLength(3);
      for (const p of probeStates) expect(p).toMatch(/^\d+ \S+ 1 (0|undefined)$/);
      expect(probeStates.find((p) => p.startsWith(`${otherOwner} `))).toContain(` ${b.user} `);

      // Secrets on the execute node: the seed disks of both guests, root-only, in a root-only folder.
      const seedDir = path.join(lab.root, 'var/lib/vmdag-site/seeds');
      const sd = statSync(seedDir);
      expect([sd.uid, sd.mode & 0o777]).toEqual([0, 0o700]);
      const ours = [a, b].flatMap((r) => vmClusters(status(r.runDir)));
      const seeds = readdirSync(seedDir).filter((f) => ours.some((c) => f.endsWith(`_${c}.0.seed`)));
      expect(seeds).toHaveLength(2);
      const tokens: string[] = [];
      for (const f of seeds) {
        const st = statSync(path.join(seedDir, f));
        expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o600]);
        const token = /^token (\S+)$/m.exec(readFileSync(path.join(seedDir, f), 'latin1'))?.[1];
        expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
        tokens.push(token as string);
      }
      const key = statSync(path.join(lab.root, 'etc/condor/passwords.d/POOL'));
      expect([key.uid, key.mode & 0o777]).toEqual([0, 0o600]);
      // Not on any process's command line (the guests' kernel command lines are in qemu's argv).
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        let argv = '';
        try {
          argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
        } catch {
          continue;
        }
        for (const t of tokens) expect(argv.includes(t.split('.')[2] as string), `pid ${pid}`).toBe(false);
      }

      const [sa, sb] = [watched(a.runDir), watched(b.runDir)] as [Status, Status];
      expect(sa.state, JSON.stringify(sa)).toBe('succeeded');
      expect(sb.state, JSON.stringify(sb)).toBe('succeeded');
      const ended = (Date.now() - t0) / 1000;

      for (const [r, s] of [
        [a, sa],
        [b, sb],
      ] as const) {
        // Where the step ran, from its job ads (history): only this run's guest.
        const compute = s.nodes.find((n) => n.name === 'compute')?.jobId?.split('.')[0];
        const h = await runCondor(
          ctx,
          'condor_history',
          [String(compute), '-af', 'RemoteHost', 'LastRemoteHost', 'Owner'],
          {
            cwd: r.runDir,
            retryTransientMs: 30_000,
          },
        );
        const hosts = h.stdout.split(/\s+/).filter((x) => x.includes('@'));
        expect(hosts.length, h.stdout).toBeGreaterThan(0);
        const own = guestsOf(r).map((g) => g[0]);
        for (const host of hosts) expect(own).toContain(host);
        expect(h.stdout).toContain(r.user);
        // What the step saw inside its guest.
        const out = readFileSync(path.join(r.runDir, 'logs/compute.0.out'), 'utf8');
        expect(out).toContain(`host ${guestsOf(r)[0]?.[1]?.split('.')[0]}`);
        expect(out).toMatch(/^disk \S+ serial vmdag-seed denied$/m);
        expect(out).not.toMatch(/ readable$/m);
        // The tokens are in no file of either run directory (DAG, submit files, logs, outputs).
        for (const f of filesUnder(r.runDir)) {
          const text = readFileSync(f, 'latin1');
          for (const t of tokens) expect(text.includes(t.split('.')[2] as string), f).toBe(false);
        }
        figures.push(
          `run ${r.id} (${r.user}): step on ${hosts.join(', ')}; its guest ${guestsOf(r)[0]?.[0]} (VmOwner ${guestsOf(r)[0]?.[3]})`,
        );
      }
      figures.push(
        `both steps running ${bothRunning.toFixed(1)} s after the first submit; both succeeded after ${ended.toFixed(1)} s`,
      );
      for (const r of [a, b]) {
        const s = r === a ? sa : sb;
        figures.push(
          `run ${r.id}: no job or domain left ${(await nothingLeft(ctx, r.id, vmClusters(s), 120_000, t0)).toFixed(1)} s after its end`,
        );
      }
    });
  },
);

afterAll(async () => {
  for (const p of probes)
    if (ctx) await runCondor(ctx, 'condor_rm', [String(p.cluster)], { cwd: p.dir, allowFailure: true });
  for (const runDir of started.splice(0))
    if (existsSync(path.join(runDir, 'run.json')))
      runCli(['rm', runDir], { cwd: runDir, timeoutMs: 330_000 });
  if (figures.length) process.stderr.write(`isolation:\n  ${figures.join('\n  ')}\n`);
  await sleep(0);
});
