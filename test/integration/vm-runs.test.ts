/**
 * The paper's experiment on real VMs in the lab pool: each test submits a workflow with a `vm` section
 * (`location: cluster`, the lab's guest image from `lab status --json`), follows it with `vmdag status
 * --watch`, and ends by checking that no VM job of the run is in the queue and no libvirt domain of it is
 * running. No mocks: HTCondor boots the guests under software emulation, they join the pool, MPI runs
 * across them. One test at a time (the file runs sequentially, and files one after another).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { BIN } from '../faults/cli-process.js';
import { asLabRoot } from '../faults/lab-runs.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { labContext, labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { vmdag, workflowDir } from './cli-run.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const ready = Boolean(lab?.guestImage) && (await labRunsVms(ctx));
const T = 900_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Status {
  state: string;
  cause: string | null;
  dagmanJobId: number;
  nodes: { name: string; state: string; jobId?: string | null }[];
  vms: { index: number; jobId: string | null; state: string; host: string | null }[];
}

/** A guest's MPI rank: prints rank, size and host; rank 0 writes ranks.out with the same line. */
const rankScript = `#!/bin/sh
r=\${OMPI_COMM_WORLD_RANK:-\${PMI_RANK:-none}}
n=\${OMPI_COMM_WORLD_SIZE:-\${PMI_SIZE:-none}}
echo "rank $r of $n host $(hostname)"
[ "$r" = 0 ] && echo "rank 0 of $n host $(hostname)" > ranks.out
exit 0
`;

function workflow(name: string, vm: string, compute: string): string {
  return `version: 1\nname: ${name}\nvm:\n${vm}compute:\n${compute}`;
}

function vmSection(o: { image: string; format: string; differential: boolean; count: number; cpus: number }) {
  return [
    '  hypervisor: kvm',
    '  image:',
    `    path: ${o.image}`,
    '    location: cluster',
    `    format: ${o.format}`,
    `    differential: ${o.differential}`,
    `  count: ${o.count}`,
    `  cpus: ${o.cpus}`,
    '  memory: 512MiB',
    '  lease: 30m',
    '',
  ].join('\n');
}

const mpiStep =
  '  cpus: 2\n  memory: 128MiB\n  mpi: openmpi\n  executable: bin/ranks.sh\n  outputs: [ranks.out]\n';

/** Compile (with extra options), submit the run directory, watch it to its end; the times of each phase. */
async function run(dir: string, compileArgs: string[] = []) {
  const t0 = Date.now();
  const c = await vmdag(['compile', 'workflow.yaml', '-o', 'run', '--json', ...compileArgs], dir);
  expect(c.code, c.stderr + c.stdout).toBe(0);
  const runDir = path.join(dir, 'run');
  // The lab's schedd can stop answering for a while under load (emulated guests on 2 cores): submit
  // adopts its own earlier attempt when run again, and a watch that lost the schedd is resumed.
  let s = await vmdag(['submit', runDir, '--json'], dir);
  for (let i = 0; i < 3 && s.code !== 0 && /AUTHENTICATE|Failed to|connect/.test(s.stdout + s.stderr); i++) {
    await sleep(10_000);
    s = await vmdag(['submit', runDir, '--json'], dir);
  }
  expect(s.code, s.stderr + s.stdout).toBe(0);
  let w = await vmdag(['status', '--watch', '--interval', '2', '--json', runDir]);
  for (let i = 0; i < 10 && (JSON.parse(w.stdout) as { ok?: boolean }).ok === false; i++) {
    process.stderr.write(`vm-runs: status --watch lost the schedd (${w.stdout.trim()}); resuming\n`);
    await sleep(5000);
    w = await vmdag(['status', '--watch', '--interval', '2', '--json', runDir]);
  }
  const status = JSON.parse(w.stdout) as Status;
  if (!['succeeded', 'failed', 'removed'].includes(status.state)) {
    // The watch gave up: never leave the run (and its VMs) behind for the next test.
    await vmdag(['rm', '--json', runDir]);
  }
  return { runDir, status, code: w.code, seconds: (Date.now() - t0) / 1000, started: t0 };
}

function stepLogs(runDir: string): string {
  const logs = path.join(runDir, 'logs');
  return readdirSync(logs)
    .filter((f) => f.startsWith('compute.') && f.endsWith('.out'))
    .sort()
    .map((f) => readFileSync(path.join(logs, f), 'utf8'))
    .join('');
}

/** No VM job of DAG `id` in the queue and no libvirt domain of its VM clusters, within `ms`. */
async function noVmLeft(id: number, clusters: string[], ms = 120_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const q = await runCondor(
      ctx as CondorContext,
      'condor_q',
      ['-allusers', '-const', `DAGManJobId == ${id} && JobUniverse == 13`, '-af', 'ClusterId', 'ProcId'],
      { allowFailure: true, cwd: '/' },
    );
    const domains = (await labStatus()).domains.filter((d) =>
      clusters.some((c) => d.endsWith(`_${c}.0`) || d.includes(`_${c}.`)),
    );
    if (q.exitCode === 0 && q.stdout.trim() === '' && domains.length === 0) return (Date.now() - t0) / 1000;
    if (Date.now() - t0 > ms) {
      throw new Error(
        `VM jobs or domains of DAG ${id} left after ${ms / 1000} s: ${q.stdout} ${domains.join(' ')}`,
      );
    }
    await sleep(2000);
  }
}

/** The copy-on-write overlays the site kit's domain script made, in the lab's execute folders (host paths). */
function overlaysNow(): string[] {
  const execute = path.join(lab?.root ?? '', 'var/lib/condor/execute');
  const found: string[] = [];
  for (const d of existsSync(execute) ? readdirSync(execute) : []) {
    // HTCondor 25 runs the job in dir_<pid>/scratch, 23 in dir_<pid>.
    for (const dir of [path.join(execute, d, 'scratch'), path.join(execute, d)]) {
      try {
        for (const f of readdirSync(dir))
          if (/^vmdag-overlay-\d+\.qcow2$/.test(f)) found.push(path.join(dir, f));
      } catch {
        // not there, or a scratch folder going away under our feet
      }
    }
  }
  return found;
}

/** The lab's qemu-img, run as root inside the lab on a host path under its root (or shared with it). */
const qemuImg = (args: string[]) => asLabRoot(lab ?? {}, ['qemu-img', ...args]);
const inRoot = (p: string) => (p.startsWith(`${lab?.root}/`) ? p.slice((lab?.root ?? '').length) : p);

/** The text at bytes 512–575 of a disk image as the guest sees it (through every layer), up to its newline. */
async function readAt(image: string, format: string): Promise<string> {
  const out = path.join(tmpdir(), `vmdag-mark-${process.pid}-${Date.now()}.bin`);
  try {
    qemuImg([
      'dd',
      '-U',
      '-f',
      format,
      '-O',
      'raw',
      'bs=512',
      // the first two sectors (qemu-img dd counts `count` from the image's start, skip included)
      'count=2',
      `if=${inRoot(image)}`,
      `of=${out}`,
    ]);
    return readFileSync(out).subarray(512, 576).toString('latin1').split('\n')[0] ?? '';
  } finally {
    rmSync(out, { force: true });
  }
}

/** Which layer holds the image's first cluster: 0 = the overlay itself, 1 = its backing file. */
async function firstClusterDepth(image: string): Promise<number | undefined> {
  const map = JSON.parse(qemuImg(['map', '-U', '--output=json', inRoot(image)])) as {
    start: number;
    depth: number;
    data: boolean;
  }[];
  return map.find((m) => m.start === 0)?.depth;
}

function clustersOf(s: Status): string[] {
  return [...new Set(s.vms.map((v) => (v.jobId ?? '').split('.')[0] ?? '').filter(Boolean))];
}

/** After noVmLeft: the guests left the pool with their VMs (no ad in the collector, no claim in the schedd). */
async function noGuestLeft(status: Status, started: number): Promise<void> {
  expect(await guestLeftovers(ctx as CondorContext, clustersOf(status), started)).toEqual([]);
}

/**
 * A native 2-rank OpenMPI workflow run through the built CLI as a child process (so that it can run beside
 * an in-process VM run): its state, the hosts its ranks ran on, and its seconds from compile to end.
 */
async function nativeRun(
  name: string,
): Promise<{ state: string; hosts: string[]; execHosts: string[]; seconds: number }> {
  const t0 = Date.now();
  const dir = workflowDir({
    'bin/ranks.sh': rankScript,
    'workflow.yaml': `version: 1\nname: ${name}\ncompute:\n  cpus: 2\n  mpi: openmpi\n  executable: bin/ranks.sh\n  outputs: [ranks.out]\n`,
  });
  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { cwd: dir, reject: false });
  const c = await cli(['compile', 'workflow.yaml', '-o', 'run']);
  expect(c.exitCode, c.stderr).toBe(0);
  const sub = await cli(['submit', 'run']);
  expect(sub.exitCode, sub.stderr).toBe(0);
  const w = await cli(['status', '--watch', '--interval', '1', '--json', 'run']);
  const runDir = path.join(dir, 'run');
  const status = JSON.parse(w.stdout) as Status;
  const seconds = (Date.now() - t0) / 1000;
  // The slots of every node of the parallel job (its execute event names only "MPI_job").
  const cluster = (status.nodes.find((n) => n.name === 'compute')?.jobId ?? '').split('.')[0] ?? '';
  const h = await runCondor(ctx as CondorContext, 'condor_history', [cluster, '-af', 'AllRemoteHosts'], {
    allowFailure: true,
    cwd: '/',
  });
  return {
    state: status.state,
    hosts: [...stepLogs(runDir).matchAll(/rank \d of 2 host (\S+)/g)].map((m) => m[1] as string),
    execHosts: h.stdout.trim().split(',').filter(Boolean),
    seconds,
  };
}

/** Waits until a guest of some VM workflow is claimed (the dedicated scheduler holds it). */
async function aGuestClaimed(ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const r = await runCondor(
      ctx as CondorContext,
      'condor_status',
      ['-const', 'VmGuest =?= true && State == "Claimed"', '-af', 'Name'],
      {
        allowFailure: true,
        cwd: '/',
      },
    );
    if (r.stdout.trim() !== '') return true;
    await sleep(1000);
  }
  return false;
}

function report(what: string, seconds: number, left: number): void {
  process.stderr.write(
    `vm-runs: ${what}: ${seconds.toFixed(1)} s submit → end, VMs gone ${left.toFixed(1)} s later\n`,
  );
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

requireOrSkip(ready, NO_VMS).describe('workflows with VMs on the lab pool', () => {
  it('(1) two VMs of one core: 2 OpenMPI ranks, one in each guest, output back, no VM left', {
    timeout: T,
  }, async () => {
    const image = lab?.guestImage as string;
    const dir = workflowDir({
      'bin/ranks.sh': rankScript,
      'workflow.yaml': workflow(
        'vm-two',
        vmSection({ image, format: 'raw', differential: false, count: 2, cpus: 1 }),
        mpiStep,
      ),
    });
    // While this run's guests are claimed (and just after they are gone), a native MPI workflow runs on the
    // pool's own slots at once: a schedd reuses a claim checking only the job's requirements, and a guest
    // that is gone must have released its claim (issue: a dead guest kept it and stalled native steps).
    const vmRun = run(dir);
    const during = (await aGuestClaimed(300_000)) ? await nativeRun('native-during') : undefined;
    const { runDir, status, code, seconds, started } = await vmRun;
    const after = await nativeRun('native-after');
    for (const n of [during, after]) {
      expect(n, 'no guest was ever claimed').toBeDefined();
      expect(n?.state, JSON.stringify(n)).toBe('succeeded');
      expect(n?.execHosts.length).toBeGreaterThan(0);
      expect(
        n?.execHosts.every((h) => /^slot\d+@vmdag-lab$/.test(h)),
        JSON.stringify(n),
      ).toBe(true);
      expect(
        n?.hosts.some((h) => h.startsWith('vmdag-10-')),
        JSON.stringify(n),
      ).toBe(false);
      expect(n?.seconds, JSON.stringify(n)).toBeLessThan(120);
    }
    process.stderr.write(
      `vm-runs: native runs beside the guests ${during?.seconds} s, after them ${after.seconds} s\n`,
    );
    expect(status.state, JSON.stringify(status)).toBe('succeeded');
    expect(code).toBe(0);
    const logs = stepLogs(runDir);
    const hosts = [...logs.matchAll(/rank (\d) of 2 host (\S+)/g)].map((m) => [m[1], m[2]]);
    expect(hosts.map((h) => h[0]).sort()).toEqual(['0', '1']);
    expect(hosts.every((h) => /^vmdag-10-213-7-\d+$/.test(h[1] as string))).toBe(true);
    expect(new Set(hosts.map((h) => h[1])).size).toBe(2);
    expect(readFileSync(path.join(runDir, 'outputs/ranks.out'), 'utf8')).toMatch(
      /^rank 0 of 2 host vmdag-10-213-7-\d+\n$/,
    );
    report('two VMs × 1 core, 2 ranks', seconds, await noVmLeft(status.dagmanJobId, clustersOf(status)));
    await noGuestLeft(status, started);
  });

  it("(2) one VM of two cores: both ranks inside it; the step asks no memory, so all of the VM's", {
    timeout: T,
  }, async () => {
    const image = lab?.guestImage as string;
    const dir = workflowDir({
      'bin/ranks.sh': rankScript,
      'workflow.yaml': workflow(
        'vm-one',
        vmSection({ image, format: 'raw', differential: false, count: 1, cpus: 2 }),
        mpiStep.replace('  memory: 128MiB\n', ''),
      ),
    });
    const { runDir, status, seconds, started } = await run(dir);
    // compute.memory defaults to vm.memory: the guest's slot offers the VM's whole 512 MiB (vmdag.mem), not
    // what its kernel reports, so the step starts.
    const plan = JSON.parse(readFileSync(path.join(runDir, 'plan.json'), 'utf8')) as {
      steps: { requestMemoryMiB: number }[];
    };
    expect(plan.steps[0]?.requestMemoryMiB).toBe(512);
    expect(status.state, JSON.stringify(status)).toBe('succeeded');
    const hosts = [...stepLogs(runDir).matchAll(/rank (\d) of 2 host (\S+)/g)].map((m) => m[2]);
    expect(hosts).toHaveLength(2);
    expect(new Set(hosts).size).toBe(1);
    expect(hosts[0]).toMatch(/^vmdag-10-213-7-\d+$/);
    report('one VM × 2 cores, 2 ranks', seconds, await noVmLeft(status.dagmanJobId, clustersOf(status)));
    await noGuestLeft(status, started);
  });

  it("(3) differential: true boots from overlays that take the guests' writes, and leaves the base image byte-identical", {
    timeout: T,
  }, async () => {
    const base = lab?.guestImageQcow2 as string;
    expect(base).toMatch(/\.qcow2$/);
    const before = await sha256(base);
    const dir = workflowDir({
      'bin/ranks.sh': rankScript,
      'workflow.yaml': workflow(
        'vm-diff',
        vmSection({ image: base, format: 'qcow2', differential: true, count: 2, cpus: 1 }),
        mpiStep,
      ),
    });
    // While the run goes, the overlays the site kit made in the VM jobs' scratch folders are read (shared
    // read, QEMU holds them): the guest's boot mark (guest-init, vmdag.overlay=1) must be in each overlay's
    // own layer, never in the base.
    const seen = new Map<string, { mark: string; depth: number | undefined }>();
    let watching = true;
    let lastError = '';
    const watcher = (async () => {
      while (watching) {
        for (const overlay of overlaysNow()) {
          if (seen.has(overlay)) continue;
          const mark = await readAt(overlay, 'qcow2').catch((e: Error) => {
            lastError = e.message; // an overlay going away with its VM, or a real failure: named below
            return '';
          });
          if (mark.startsWith('vmdag-overlay-mark'))
            seen.set(overlay, { mark, depth: await firstClusterDepth(overlay) });
        }
        await sleep(1000);
      }
    })();
    const { runDir, status, seconds, started } = await run(dir).finally(() => {
      watching = false;
    });
    await watcher;
    expect(status.state, JSON.stringify(status)).toBe('succeeded');
    expect(readFileSync(path.join(runDir, 'vms.sub'), 'utf8')).toMatch(/\+VmDifferential = true/);
    const left = await noVmLeft(status.dagmanJobId, clustersOf(status));
    await noGuestLeft(status, started);
    // Both guests wrote their mark into their own overlay (depth 0: the overlay's layer, not the backing file).
    expect([...seen.values()], `${[...seen.keys()].join(' ')} ${lastError}`).toEqual([
      { mark: `vmdag-overlay-mark workflow=${status.dagmanJobId}`, depth: 0 },
      { mark: `vmdag-overlay-mark workflow=${status.dagmanJobId}`, depth: 0 },
    ]);
    // The base has no mark and is byte-identical; the overlays went with their VM jobs.
    expect(await readAt(base, 'qcow2')).not.toContain('vmdag-overlay-mark');
    expect(await sha256(base)).toBe(before);
    for (const overlay of seen.keys()) expect(existsSync(overlay), overlay).toBe(false);
    report('differential, two VMs', seconds, left);
    process.stderr.write(
      `vm-runs: differential: ${seen.size} overlays held the guests' boot mark; gone after the run\n`,
    );
  });

  it('(5) a guest that never joins (an empty ext4 signature: every check passes, no root to mount) fails the run at the gate and leaves nothing', {
    timeout: T,
  }, async () => {
    const dir = workflowDir({ 'bin/ranks.sh': rankScript });
    const junk = path.join(dir, 'zeros.img');
    // Zeros with an ext2/3/4 superblock's magic: vmdag and the site kit take it for a raw disk with a file
    // system; the guest's kernel boots, finds no root to mount and powers off; the guest never joins.
    const zeros = Buffer.alloc(16 << 20);
    zeros.writeUInt16LE(0xef53, 1080);
    writeFileSync(junk, zeros);
    writeFileSync(
      path.join(dir, 'workflow.yaml'),
      workflow(
        'vm-broken',
        vmSection({ image: junk, format: 'raw', differential: false, count: 2, cpus: 1 }),
        mpiStep,
      ),
    );
    const { status, code, seconds, started } = await run(dir, ['--gate-timeout', '90']);
    expect(status.state, JSON.stringify(status)).toBe('failed');
    expect(code).not.toBe(0);
    expect(String(status.cause)).toMatch(/GATE|joined/);
    expect(status.nodes.find((n) => n.name === 'compute')?.state).not.toBe('done');
    report(
      'guest never joins (gate timeout 90 s)',
      seconds,
      await noVmLeft(status.dagmanJobId, clustersOf(status)),
    );
    await noGuestLeft(status, started);
  });
});
