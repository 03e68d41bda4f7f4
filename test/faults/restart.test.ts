/**
 * `vmdag restart` on the lab pool (issue 18): a 3-step workflow (a → b → c) whose last step fails on its
 * argument; a restart that would change a step that succeeded is refused and submits nothing; with only c
 * fixed the run goes on from DAGMan's rescue file: a and b do not run again (the jobstate log of the second
 * DAGMan submits only c, and the VMs and STOP with a `vm` section), the run succeeds, nothing is left in the
 * queue, run.json and `status` show both attempts. The native case, and the same with one VM (the VMs
 * booted afresh: a new VM cluster, and no VM left).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { labContext, labRunsVms, NO_LAB, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { BIN, runCli } from './cli-process.js';
import {
  folder,
  nothingLeft,
  removeStarted,
  type Status,
  sleep,
  submit,
  vmClusters,
  vmSection,
  watched,
} from './lab-runs.js';

const ctx = await labContext();
const T = 900_000;

/** Three steps, each `bin/step.sh ARG`; c's argument is `cArg`; the script fails unless its argument is good. */
function workflow(name: string, args: { a: string; c: string }, vm = ''): string {
  const step = (n: string, arg: string, after?: string) =>
    [
      `  - name: ${n}`,
      ...(after ? [`    after: [${after}]`] : []),
      '    cpus: 1',
      ...(vm ? ['    memory: 128MiB'] : []),
      '    mpi: none',
      '    executable: bin/step.sh',
      `    arguments: [${arg}]`,
    ].join('\n');
  return `version: 1\nname: ${name}\n${vm}compute:\n${step('a', args.a)}\n${step('b', 'good', 'a')}\n${step('c', args.c, 'b')}\n`;
}

const SCRIPT =
  '#!/bin/sh\n[ "$1" = good ] || { echo "step.sh: wrong argument: $1" >&2; exit 3; }\necho "step ran with $1"\n';

/** The nodes each DAGMan of the run submitted, from the jobstate log (one list per DAGMAN_STARTED). */
function submittedPerAttempt(runDir: string, name: string): string[][] {
  const out: string[][] = [];
  for (const line of readFileSync(path.join(runDir, `${name}.jobstate.log`), 'utf8').split('\n')) {
    const t = line.split(' ');
    if (t[1] === 'INTERNAL' && t[3] === 'DAGMAN_STARTED') out.push([]);
    else if (t[2] === 'SUBMIT') out[out.length - 1]?.push(t[1] ?? '');
  }
  return out;
}

function restart(runDir: string) {
  return runCli(['restart', '--json', runDir], { cwd: runDir, timeoutMs: 180_000 });
}

/** `vmdag restart RUN` SIGKILLed the moment its submit marker appears (or when it ends first). */
async function killedAtMarker(runDir: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'restart', runDir], { cwd: runDir, stdio: 'ignore' });
  const ended = new Promise((res) => child.on('exit', res));
  const deadline = Date.now() + 120_000;
  while (child.exitCode === null && Date.now() < deadline) {
    if (existsSync(path.join(runDir, 'submitting.json'))) {
      child.kill('SIGKILL');
      break;
    }
    await sleep(20);
  }
  await ended;
}

/** Every DAGMan job submitted from the run directory, queued or in the history. */
async function dagsOf(runDir: string): Promise<string[]> {
  if (!ctx) return [];
  const c = `JobUniverse == 7 && Iwd == "${runDir}"`;
  const q = await runCondor(ctx, 'condor_q', ['-allusers', '-constraint', c, '-af', 'ClusterId'], {
    cwd: '/',
  });
  const h = await runCondor(ctx, 'condor_history', ['-constraint', c, '-af', 'ClusterId'], { cwd: '/' });
  return [...new Set(`${q.stdout}\n${h.stdout}`.split('\n').filter((l) => /^\d+$/.test(l.trim())))];
}

interface RunJson {
  dagmanJobId: number;
  attempts?: {
    dagmanJobId: number;
    submittedAt: string;
    rescue?: string;
    skipped?: string[];
    changed?: { node: string }[];
    ended?: { state: string };
  }[];
}

/** The scenario; `vm` is a `vm:` section (empty: native). Returns the two attempts' statuses. */
async function failFixRestart(name: string, vm: string): Promise<{ first: Status; second: Status }> {
  if (!ctx) throw new Error('the lab is not running');
  const dir = folder({ 'bin/step.sh': SCRIPT, 'workflow.yaml': workflow(name, { a: 'good', c: 'bad' }, vm) });
  const t0 = Date.now();
  const { runDir, id } = submit(dir);
  const first = watched(runDir);
  expect(first.state, JSON.stringify(first)).toBe('failed');
  expect(first.nodes.find((n) => n.name === 'c')?.state).toBe('failed');
  await nothingLeft(ctx, id, vmClusters(first), 120_000, vm ? t0 : undefined);
  expect(readFileSync(path.join(runDir, `${name}.dag.rescue001`), 'utf8')).toMatch(/^DONE a$/m);

  // A change to a step that succeeded: refused, naming it and what changed; nothing submitted.
  writeFileSync(path.join(dir, 'workflow.yaml'), workflow(name, { a: 'good2', c: 'good' }, vm));
  const refused = restart(runDir);
  expect(refused.status, refused.stderr + refused.stdout).toBe(1);
  const why = JSON.parse(refused.stdout) as { ok: boolean; error: string; refused: { node: string }[] };
  expect(why.refused.map((r) => r.node)).toEqual(['a']);
  expect(why.error).toMatch(/step a already succeeded and changed: vmdag_args: .*good2/);
  expect((JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunJson).dagmanJobId).toBe(id);

  // Only the failed step fixed: taken; a and b are not run again. The first try is SIGKILLed as soon as its
  // submit marker is written (condor_submit_dag about to run, or running); run again, exactly one DAG is
  // queued for the attempt (G9).
  writeFileSync(path.join(dir, 'workflow.yaml'), workflow(name, { a: 'good', c: 'good' }, vm));
  const t1 = Date.now();
  await killedAtMarker(runDir);
  const r = restart(runDir);
  expect(r.status, r.stderr + r.stdout).toBe(0);
  expect(await dagsOf(runDir)).toHaveLength(2);
  const restarted = JSON.parse(r.stdout) as {
    dagmanJobId: number;
    attempt: number;
    skipped: string[];
    changed: { node: string }[];
  };
  expect(restarted.attempt).toBe(2);
  expect(restarted.skipped).toEqual(['a', 'b']);
  // The killed try may already have written c's change into the run directory before it died (seen in a CI
  // rehearsal with VMs): then this one finds nothing left to change, and takes c's change from the killed
  // try's restarting.json, written before it changed anything. Never a change to a or b.
  expect(restarted.changed.map((c) => c.node)).toEqual(['c']);
  expect(restarted.dagmanJobId).not.toBe(id);
  // Run again while the restarted DAG runs: refused, no second DAG (G9).
  const again = restart(runDir);
  expect(again.status, again.stderr + again.stdout).toBe(2);

  const second = watched(runDir);
  expect(second.state, JSON.stringify(second)).toBe('succeeded');
  expect(second.dagmanJobId).toBe(restarted.dagmanJobId);
  await nothingLeft(ctx, restarted.dagmanJobId, vmClusters(second), 120_000, vm ? t1 : undefined);
  const perAttempt = submittedPerAttempt(runDir, name);
  expect(perAttempt).toHaveLength(2);
  expect(perAttempt[1]).not.toContain('a');
  expect(perAttempt[1]).not.toContain('b');
  expect(perAttempt[1]).toContain('c');
  const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunJson;
  expect(record.dagmanJobId).toBe(restarted.dagmanJobId);
  expect(record.attempts?.map((a) => a.dagmanJobId)).toEqual([id, restarted.dagmanJobId]);
  expect(record.attempts?.[0]?.ended?.state).toBe('failed');
  expect(record.attempts?.[1]?.changed?.map((c) => c.node)).toEqual(['c']);
  expect(existsSync(path.join(runDir, 'restarting.json'))).toBe(false);
  // With VMs, GATE succeeded in the first attempt: vmdag writes rescue002 without it (it waits for the new VMs).
  expect(record.attempts?.[1]?.rescue).toBe(`${name}.dag.rescue00${vm ? 2 : 1}`);
  const st = JSON.parse(runCli(['status', '--json', runDir], { cwd: runDir, timeoutMs: 90_000 }).stdout) as {
    attempts?: unknown[];
  };
  expect(st.attempts).toHaveLength(2);
  const rep = runCli(['report', '--json', runDir], { cwd: runDir, timeoutMs: 90_000 });
  expect(rep.status, rep.stderr).toBe(0);
  const report = JSON.parse(rep.stdout) as { attempts?: { dagmanJobId: number; outcome: string | null }[] };
  expect(report.attempts?.map((a) => [a.dagmanJobId, a.outcome])).toEqual([
    [id, 'failed'],
    [restarted.dagmanJobId, 'done'],
  ]);
  // A run that succeeded is not restarted.
  const done = restart(runDir);
  expect(done.status).toBe(2);
  expect(done.stdout).toMatch(/succeeded/);
  return { first, second };
}

afterAll(removeStarted);

requireOrSkip(Boolean(ctx), NO_LAB).describe('vmdag restart on the lab pool', () => {
  it('native: a 3-step workflow whose last step fails, fixed and restarted: a and b not run again, the run succeeds, nothing left', {
    timeout: T,
  }, async () => {
    await failFixRestart('restart-native', '');
  });
});

const lab = ctx ? await labStatus() : undefined;
const vms = Boolean(lab?.guestImage) && (await labRunsVms(ctx));

requireOrSkip(vms, NO_VMS).describe('vmdag restart of a run with VMs on the lab pool', () => {
  it('vm: the same with one VM: booted afresh for the restart (a new VM cluster), GATE waits again, no VM left', {
    timeout: T,
  }, async () => {
    const { first, second } = await failFixRestart('restart-vm', vmSection(lab?.guestImage as string));
    const [a, b] = [vmClusters(first), vmClusters(second)];
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(b[0]).not.toBe(a[0]);
    expect(second.nodes.find((n) => n.kind === 'gate')?.state).toBe('done');
  });
});
