/**
 * Runs on the lab pool for the fault and isolation tests: workflow folders, the real CLI as a process
 * (submit, status, rm), and the end checks every scenario makes — no job of the run left in the queue, no
 * VM job and no libvirt domain of it left (`virsh list --all` inside the lab), within 2 minutes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { runCli } from './cli-process.js';

export interface Status {
  dagmanJobId: number;
  state: string;
  cause?: string | null;
  nodes: { name: string; kind?: string; state: string; jobId: string | null; cause?: string }[];
  vms: { index: number; jobId: string | null; state: string; host: string | null }[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh folder under os.tmpdir() holding `files`; names under bin/ are executable. */
export function folder(files: Record<string, string>, prefix = 'vmdag-fault-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
    chmodSync(path.join(dir, name), name.startsWith('bin/') ? 0o755 : 0o644);
  }
  return dir;
}

/** A `vm` section booting the lab's guest image (or `image`, raw unless `format`) from the cluster's file system. */
export function vmSection(
  image: string,
  o: { count?: number; cpus?: number; format?: 'raw' | 'qcow2' } = {},
): string {
  return [
    'vm:',
    '  hypervisor: kvm',
    '  image:',
    `    path: ${JSON.stringify(image)}`,
    '    location: cluster',
    `    format: ${o.format ?? 'raw'}`,
    '    differential: false',
    `  count: ${o.count ?? 1}`,
    `  cpus: ${o.cpus ?? 1}`,
    '  memory: 512MiB',
    '  lease: 30m',
    '',
  ].join('\n');
}

/** A one-step workflow running bin/step.sh (`script`) with one core and no MPI; `vm` adds a vm section. */
export function oneStep(name: string, script: string, o: { vm?: string; outputs?: string[] } = {}): string {
  const outputs = o.outputs?.length ? `  outputs: [${o.outputs.join(', ')}]\n` : '';
  return folder({
    'bin/step.sh': `#!/bin/sh\n${script}\n`,
    // On a VM the step must fit in the guest's slot (the guest's memory less what its system uses).
    'workflow.yaml': `version: 1\nname: ${name}\n${o.vm ?? ''}compute:\n  cpus: 1\n${o.vm ? '  memory: 128MiB\n' : ''}  mpi: none\n  executable: bin/step.sh\n${outputs}`,
  });
}

export function status(runDir: string): Status {
  const r = runCli(['status', '--json', runDir], { cwd: runDir, timeoutMs: 90_000 });
  expect(r.status === 0 || r.status === 1, r.stderr + r.stdout).toBe(true);
  return JSON.parse(r.stdout) as Status;
}

/** `vmdag status --watch` to the run's end (resumed when it lost the schedd; the lab is shared: allow minutes). */
export function watched(runDir: string, env: Record<string, string> = {}): Status {
  for (let i = 0; ; i++) {
    const r = runCli(['status', '--watch', '--interval', '1', '--json', runDir], {
      cwd: runDir,
      timeoutMs: 600_000,
      env,
    });
    expect(r.stdout, r.stderr).not.toBe('');
    const s = JSON.parse(r.stdout) as Status & { ok?: boolean };
    if (s.ok !== false || i >= 5) return s;
    process.stderr.write(`status --watch lost the schedd (${r.stdout.trim()}); resuming\n`);
  }
}

/** Run directories submitted by a test file: `vmdag rm` at its end whatever happened. */
export const started: string[] = [];

/** `vmdag submit workflow.yaml -o DIR/run` (extra `args`, e.g. compile options) → run directory and DAGMan id. */
export function submit(
  dir: string,
  args: string[] = [],
  env: Record<string, string> = {},
): { runDir: string; id: number } {
  const runDir = path.join(dir, 'run');
  started.push(runDir);
  const r = runCli(['submit', 'workflow.yaml', '-o', runDir, '--json', ...args], {
    cwd: dir,
    timeoutMs: 180_000,
    env,
  });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return { runDir, id: (JSON.parse(r.stdout) as { dagmanJobId: number }).dagmanJobId };
}

/** Remove every run this file started that may still have jobs (never leaves a VM behind). */
export function removeStarted(): void {
  for (const runDir of started.splice(0)) runCli(['rm', runDir], { cwd: runDir, timeoutMs: 330_000 });
}

export async function waitFor<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined> | T | undefined,
  everyMs = 1000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A node's job id once the node runs (`vmdag status`). */
export async function runningJob(runDir: string, node = 'compute', ms = 480_000): Promise<string> {
  return await waitFor(`${node} to run`, ms, () => {
    const n = status(runDir).nodes.find((x) => x.name === node);
    return n?.state === 'running' && n.jobId ? n.jobId : undefined;
  });
}

/** `condor_q -allusers -constraint C -af ATTRS` in the lab, retried while the schedd is briefly away. */
export async function queued(ctx: CondorContext, constraint: string, attrs = ['ClusterId', 'ProcId']) {
  const r = await runCondor(ctx, 'condor_q', ['-allusers', '-constraint', constraint, '-af', ...attrs], {
    retryTransientMs: 30_000,
    cwd: '/',
  });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * A command as root inside the lab (its network namespace and chroot), for what the lab's user may not do
 * (restart daemons, read the execute node's files, virsh); `lab` is `vmdag lab status`'s answer.
 */
export function asLabRoot(
  lab: { netns?: string | null; root?: string | null },
  argv: string[],
  { input, timeoutMs = 60_000 }: { input?: string; timeoutMs?: number } = {},
): string {
  return execFileSync('ip', ['netns', 'exec', lab.netns ?? '', 'chroot', lab.root ?? '', ...argv], {
    encoding: 'utf8',
    timeout: timeoutMs,
    ...(input === undefined ? {} : { input }),
  });
}

/** Every libvirt domain the lab's libvirtd knows (running or not): `virsh list --all --name` inside the lab. */
export async function labDomains(): Promise<string[]> {
  return asLabRoot(await labStatus(), ['virsh', '-c', 'qemu:///system', 'list', '--all', '--name'], {
    timeoutMs: 30_000,
  })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** HTCondor names a VM job's domain `<owner>_<cluster>.<proc>`. */
export const domainOf = (d: string, clusters: readonly (string | number)[]) =>
  clusters.some((c) => d.endsWith(`_${c}.0`) || new RegExp(`_${c}\\.\\d+$`).test(d));

/** The VM clusters of a run (from its status). */
export function vmClusters(s: Status): string[] {
  return [...new Set(s.vms.map((v) => (v.jobId ?? '').split('.')[0] ?? '').filter(Boolean))];
}

/**
 * Seconds until no job of DAG `id` is queued (the DAGMan job, its nodes, its VM jobs) and no libvirt domain
 * of its VM clusters exists; throws past `ms` (2 minutes).
 */
export async function nothingLeft(
  ctx: CondorContext,
  id: number,
  clusters: readonly string[] = [],
  ms = 120_000,
  /** When the run was submitted: with VM clusters, their guests must also have left the pool since. */
  since?: number,
): Promise<number> {
  const t0 = Date.now();
  let last = '';
  try {
    await waitFor(
      `DAG ${id}'s jobs and domains to be gone`,
      ms,
      async () => {
        const jobs = await queued(ctx, `ClusterId == ${id} || DAGManJobId == ${id}`, [
          'ClusterId',
          'ProcId',
          'JobUniverse',
        ]);
        const domains = (await labDomains()).filter((d) => domainOf(d, clusters));
        last = `jobs [${jobs.join('; ')}] domains [${domains.join(' ')}]`;
        return jobs.length === 0 && domains.length === 0 ? true : undefined;
      },
      2000,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${last}`);
  }
  const gone = (Date.now() - t0) / 1000;
  if (since !== undefined && clusters.length > 0) {
    const problems = await guestLeftovers(ctx, clusters, since);
    if (problems.length > 0) throw new Error(`DAG ${id}'s guests left behind: ${problems.join('; ')}`);
  }
  return gone;
}
