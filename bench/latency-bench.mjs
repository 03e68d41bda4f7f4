#!/usr/bin/env node
// npm run bench:latency: the startup overhead and the teardown of a 1-VM and a 2-VM run on the lab pool in
// three columns, then `vmdag status --json` on a real DAG of 1,000 nodes: its wall time and how many
// HTCondor commands it ran.
//
// The columns (docs/report.md, "Latency"): what a site that does nothing gets, what the lab gives, and what
// a site following docs/report.md's "What a site should set" table gets:
//   (A) the pool at `vmdag lab up --tuning defaults` (HTCondor's intervals) and `vmdag compile --defaults`;
//   (B) the pool at `--tuning lab` (the lab's own, minicondor's intervals) and vmdag's tuned DAG;
//   (C) the pool at `--tuning recommended` (the table's suggested values) and vmdag's tuned DAG.
// The script brings the lab to each tuning itself (`vmdag lab up --tuning X`, as root). Switching restarts
// the pool, so the runs are grouped per tuning (A, then C, then B: the lab ends at `--tuning lab`, where it
// is also brought back if anything fails); within a group 1-VM and 2-VM runs alternate.
//
// Every figure comes from `vmdag report --json`, i.e. from HTCondor's own records. Overhead = the report's
// `scheduling` phase = (vmsRunning − submitted) + (computeStarted − vmsReady): the start-up latency minus
// the VMs' boot. Teardown = computeEnded → vmsStopped (the last VM job gone, so its domain is gone too; the
// script also checks that libvirt lists no domain of the run afterwards).
//
// The workflows: one VM (1 core, 512 MiB) of the lab's guest image with one step, and two such VMs with one
// 2-rank OpenMPI step; the step sleeps BENCH_COMPUTE_SECONDS (20). Why not 0: HTCondor's VM-universe
// starter sleeps 30 s right after creating a domain (vm_proc.cpp, "bring the just created VM into a fully
// compliant state") and handles no removal meanwhile, so a VM removed in its first ~35 s is torn down only
// after that sleep (docs/report.md, "Latency").
//
// It prints each column's median and spread (min–max), the load average, and the targets beside them
// (on (C): overhead ≤ 5 s and ≥ 4× lower than (A), teardown ≤ 5 s; status ≤ 1 s with a constant number of
// queries); it asserts nothing. The lab is shared and the guests run under software emulation on 2 cores:
// the load average is printed beside each run. Every run is removed at its end (vmdag rm), no VM is left.
//
// Environment: BENCH_REPEAT (3: runs of each workflow per column), BENCH_COMPUTE_SECONDS (20),
// BENCH_STATUS_NODES (1000), BENCH_SKIP_VM=1 / BENCH_SKIP_STATUS=1 to run one half only (the status half
// runs on the lab as it is; the VM half needs root), BENCH_KEEP=1 (keep the workflow folders and their run
// directories, deleted at the end otherwise).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, json, load, median, runningLab, spread, vmdagWith } from './lab-bench.mjs';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const COMPUTE_S = Number(process.env.BENCH_COMPUTE_SECONDS ?? 20);
const STATUS_NODES = Number(process.env.BENCH_STATUS_NODES ?? 1000);
const TARGET_OVERHEAD_S = 5;
const TARGET_RATIO = 4;
const TARGET_TEARDOWN_S = 5;
const TARGET_STATUS_S = 1;
const KEEP = process.env.BENCH_KEEP === '1';

/** A workflow folder the bench made: deleted at its end unless BENCH_KEEP=1 (it says which). */
function done(dir) {
  if (KEEP) console.log(`kept ${dir} (BENCH_KEEP=1)`);
  else rmSync(dir, { recursive: true, force: true });
}

/** The columns choose the DAG (--defaults) and the pool's tuning: the caller's environment does not. */
const ENV = { ...process.env, VMDAG_DEFAULTS: undefined, VMDAG_LAB_TUNING: undefined };

const vmdag = vmdagWith(ENV);

function labOrExit() {
  const lab = runningLab(vmdag);
  if (!lab) {
    process.stderr.write('bench:latency needs the lab pool: run `vmdag lab up` first (root, Debian)\n');
    process.exit(3);
  }
  return lab;
}

// ---- VM runs ---------------------------------------------------------------------------------------

/** The three columns: the pool's tuning (`vmdag lab up --tuning`) and the DAG (`--defaults` or tuned). */
const COLUMNS = [
  { key: 'A', tuning: 'defaults', dag: 'defaults', label: 'A defaults/--defaults' },
  { key: 'B', tuning: 'lab', dag: 'tuned', label: 'B lab/tuned' },
  { key: 'C', tuning: 'recommended', dag: 'tuned', label: 'C recommended/tuned' },
];
/** B last: the lab ends at `--tuning lab` without one more restart. */
const GROUPS = ['A', 'C', 'B'];
const WORKFLOWS = [1, 2];

function vmWorkflowDir(image, vms) {
  const dir = mkdtempSync(join(tmpdir(), `vmdag-bench-latency-${vms}vm-`));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'step.sh'), '#!/bin/sh\nsleep "$1"\necho "step done on $(hostname)"\n');
  chmodSync(join(dir, 'bin', 'step.sh'), 0o755);
  writeFileSync(
    join(dir, 'workflow.yaml'),
    [
      'version: 1',
      `name: lat-bench-${vms}vm`,
      `description: ${vms} VM(s), one step (bench/latency-bench.mjs)`,
      'vm:',
      '  hypervisor: kvm',
      `  image: {path: ${image}, location: cluster, format: raw, differential: false}`,
      `  count: ${vms}`,
      '  cpus: 1',
      '  memory: 512MiB',
      '  lease: 30m',
      'compute:',
      `  cpus: ${vms}`,
      '  memory: 128MiB',
      `  mpi: ${vms > 1 ? 'openmpi' : 'none'}`,
      '  executable: bin/step.sh',
      `  arguments: ["${COMPUTE_S}"]`,
      '',
    ].join('\n'),
  );
  return dir;
}

/** Bring the lab to `tuning` (a restart when it runs another); its `lab status --json`. */
function labAt(tuning) {
  const r = vmdag(['lab', 'up', '--tuning', tuning, '--json']);
  const st = r.code === 0 ? json(r, `lab up --tuning ${tuning}`) : undefined;
  if (st?.tuning !== tuning) throw new Error(`vmdag lab up --tuning ${tuning}: exit ${r.code}: ${r.stderr}`);
  console.log(`\n## lab at --tuning ${tuning} (vmdag lab up: ${r.seconds.toFixed(1)} s; load ${load()})`);
  return st;
}

function vmRun(dir, col, vms, i) {
  const out = join(dir, `run-${col.key}-${i}`);
  const c = vmdag(
    ['compile', 'workflow.yaml', '-o', out, '--json', ...(col.dag === 'defaults' ? ['--defaults'] : [])],
    dir,
  );
  json(c, 'compile');
  const loadBefore = load();
  const s = vmdag(['submit', out, '--json'], dir);
  const sub = json(s, 'submit');
  if (!sub.ok) throw new Error(`submit: ${s.stdout}`);
  let w = vmdag(['status', '--watch', '--interval', '2', '--json', out]);
  for (let k = 0; k < 5 && json(w, 'status --watch').ok === false; k++)
    w = vmdag(['status', '--watch', '--interval', '2', '--json', out]);
  const status = json(w, 'status --watch');
  const loadAfter = load();
  const report = json(vmdag(['report', out, '--json']), 'report');
  const rm = json(vmdag(['rm', out, '--json']), 'rm');
  const vmClusters = report.lanes.filter((l) => l.kind === 'vm').map((l) => String(l.jobId).split('.')[0]);
  const domains = json(vmdag(['lab', 'status', '--json']), 'lab status').domains.filter((d) =>
    vmClusters.some((c) => d.includes(`_${c}.`)),
  );
  return {
    col: col.key,
    vms,
    i,
    id: sub.dagmanJobId,
    state: status.state,
    report,
    rm,
    domains,
    loadBefore,
    loadAfter,
  };
}

const overhead = (r) => r.report.phases.scheduling;
const teardown = (r) => r.report.phases.teardown;
const ROWS = [
  ['submitted → vmsRunning', (r) => delta(r, 'submitted', 'vmsRunning')],
  ['vmsReady → computeStarted', (r) => delta(r, 'vmsReady', 'computeStarted')],
  ['overhead (scheduling)', overhead, `C ≤ ${TARGET_OVERHEAD_S}, A/C ≥ ${TARGET_RATIO}×`],
  ['vmBoot', (r) => r.report.phases.vmBoot],
  ['compute', (r) => r.report.phases.compute],
  ['teardown', teardown, `C ≤ ${TARGET_TEARDOWN_S}`],
  ['wrapUp', (r) => r.report.phases.wrapUp],
  ['total', (r) => r.report.phases.total],
];

function summary(runs, vms) {
  const of = (key) => runs.filter((r) => r.col === key && r.vms === vms && r.state === 'succeeded');
  const dropped = runs.filter((r) => r.vms === vms && r.state !== 'succeeded');
  const W = 24;
  console.log(
    `\n# ${vms} VM${vms > 1 ? 's' : ''}: median (min–max) in seconds, from vmdag report --json; runs per column: ` +
      COLUMNS.map((c) => `${c.key} ${of(c.key).length}`).join(', '),
  );
  if (dropped.length)
    console.log(
      `left out (did not succeed): ${dropped.map((r) => `${r.col} #${r.i} (${r.state})`).join(', ')}`,
    );
  console.log(`${'phase'.padEnd(28)}${COLUMNS.map((c) => c.label.padStart(W)).join('')}   target`);
  for (const [name, f, target] of ROWS)
    console.log(
      `${name.padEnd(28)}${COLUMNS.map((c) => spread(of(c.key).map(f)).padStart(W)).join('')}${target ? `   ${target}` : ''}`,
    );
  const loads = (key) => of(key).flatMap((r) => [Number(r.loadBefore), Number(r.loadAfter)]);
  console.log(
    `${'load average (1 min)'.padEnd(28)}${COLUMNS.map((c) => spread(loads(c.key), 1).padStart(W)).join('')}`,
  );
  const oa = median(of('A').map(overhead));
  const oc = median(of('C').map(overhead));
  const tc = median(of('C').map(teardown));
  const ratio = oa && oc ? oa / oc : null;
  const met = (ok) => (ok ? 'MET' : 'MISSED');
  console.log(
    `targets on (C), medians: overhead ≤ ${TARGET_OVERHEAD_S} s: ${met(oc !== null && oc <= TARGET_OVERHEAD_S)} (${fmt(oc)} s); ` +
      `overhead A/C ≥ ${TARGET_RATIO}×: ${met(ratio !== null && ratio >= TARGET_RATIO)} (${fmt(ratio, 1)}×); ` +
      `teardown ≤ ${TARGET_TEARDOWN_S} s: ${met(tc !== null && tc <= TARGET_TEARDOWN_S)} (${fmt(tc)} s)`,
  );
  // The last run of each column, side by side.
  console.log(`timestamps of the last run of each column (seconds after submit)`);
  for (const t of [
    'vmsQueued',
    'vmsRunning',
    'vmsReady',
    'computeStarted',
    'computeEnded',
    'vmsStopped',
    'finished',
  ]) {
    const at = (r) =>
      r?.report.timestamps[t]
        ? (Date.parse(r.report.timestamps[t]) - Date.parse(r.report.timestamps.submitted)) / 1000
        : null;
    console.log(`  ${t.padEnd(26)}${COLUMNS.map((c) => fmt(at(of(c.key).at(-1))).padStart(W)).join('')}`);
  }
}

function vmBench(lab) {
  const image = lab.guestImage;
  if (!image) {
    process.stderr.write('the lab has no guest image (vmdag lab up builds it): VM half skipped\n');
    return;
  }
  const dirs = Object.fromEntries(WORKFLOWS.map((n) => [n, vmWorkflowDir(image, n)]));
  console.log(
    `# VM runs: ${COLUMNS.map((c) => `(${c.key}) pool --tuning ${c.tuning}, ${c.dag === 'defaults' ? 'vmdag compile --defaults' : 'tuned DAG'}`).join('; ')}`,
  );
  console.log(
    `${REPEAT} runs of each workflow per column; step sleeps ${COMPUTE_S} s; workflows: ${Object.values(dirs).join(' ')}`,
  );
  const runs = [];
  try {
    for (const key of GROUPS) {
      const col = COLUMNS.find((c) => c.key === key);
      labAt(col.tuning);
      for (let i = 1; i <= REPEAT; i++) {
        for (const vms of WORKFLOWS) {
          const r = vmRun(dirs[vms], col, vms, i);
          runs.push(r);
          const p = r.report.phases;
          console.log(
            `(${col.key}) ${vms} VM #${i} run ${r.id}: ${r.state}; overhead ${fmt(overhead(r))} s ` +
              `(${fmt(delta(r, 'submitted', 'vmsRunning'))} + ${fmt(delta(r, 'vmsReady', 'computeStarted'))}), boot ${fmt(p.vmBoot)} s, ` +
              `compute ${fmt(p.compute)} s, teardown ${fmt(p.teardown)} s, total ${fmt(p.total)} s; ` +
              `load ${r.loadBefore} → ${r.loadAfter}; domains left ${r.domains.length}; rm ${r.rm.ok ? 'ok' : 'FAILED'}`,
          );
        }
      }
    }
  } finally {
    // The lab as the rest of the project expects it (a no-op when B ran last).
    labAt('lab');
    for (const dir of Object.values(dirs)) done(dir);
  }
  for (const vms of WORKFLOWS) summary(runs, vms);
  console.log(`\nno domain left after any run: ${runs.every((r) => r.domains.length === 0) ? 'yes' : 'NO'}`);
  console.log('(what stands in the way of the targets: docs/report.md, "Latency")');
}

function delta(r, a, b) {
  const ta = r.report.timestamps[a];
  const tb = r.report.timestamps[b];
  return ta && tb ? (Date.parse(tb) - Date.parse(ta)) / 1000 : null;
}

// ---- status at scale ----------------------------------------------------------------------------------

async function statusBench() {
  const dir = mkdtempSync(join(tmpdir(), 'vmdag-bench-status-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'true.sh'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'bin', 'true.sh'), 0o755);
  const lines = ['version: 1', 'name: status-scale', 'description: bench/latency-bench.mjs', 'compute:'];
  for (let i = 0; i < STATUS_NODES; i++) {
    lines.push(
      `  - {name: s${String(i).padStart(4, '0')}, cpus: 1, memory: 16MiB, mpi: none, executable: bin/true.sh}`,
    );
  }
  writeFileSync(join(dir, 'workflow.yaml'), `${lines.join('\n')}\n`);
  const out = join(dir, 'run');
  json(vmdag(['compile', 'workflow.yaml', '-o', out, '--json'], dir), 'compile');
  const sub = json(vmdag(['submit', out, '--json'], dir), 'submit');
  console.log(
    `\n# vmdag status --json on a real native DAG of ${STATUS_NODES} nodes (run ${sub.dagmanJobId}, trivial jobs)`,
  );
  // In-process too, to count the HTCondor commands one status runs (src/condor/exec.ts counts them).
  const { main } = await import('../dist/cli.js');
  const { condorCallCounts } = await import('../dist/condor/exec.js');
  const samples = [];
  try {
    for (let k = 0; k < 6; k++) {
      // Let DAGMan submit (100 nodes a cycle) and the jobs run between samples.
      await new Promise((r) => setTimeout(r, 10_000));
      const r = vmdag(['status', '--json', out]);
      const st = json(r, 'status');
      condorCallCounts.clear();
      let text = '';
      await main(['status', '--json', out], {
        isTTY: false,
        out: (t) => {
          text += t;
        },
        err: () => {},
      });
      const calls = [...condorCallCounts].map(([c, n]) => `${c}×${n}`).join(' ');
      const total = [...condorCallCounts.values()].reduce((a, b) => a + b, 0);
      const byState = {};
      for (const n of st.nodes ?? []) byState[n.state] = (byState[n.state] ?? 0) + 1;
      const queued = Object.entries(byState)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ');
      samples.push({ seconds: r.seconds, total, left: condorCallCounts.has('condor_history') });
      console.log(
        `status: ${r.seconds.toFixed(2)} s wall (process), ${total} HTCondor commands (${calls}); ` +
          `${(st.nodes ?? []).length} nodes: ${queued}; load ${load()}${JSON.parse(text).state ? '' : ' (no state!)'}`,
      );
    }
  } finally {
    const rm = json(vmdag(['rm', out, '--json']), 'rm');
    console.log(`removed run ${sub.dagmanJobId}: ${rm.ok ? 'ok' : `FAILED ${JSON.stringify(rm)}`}`);
  }
  try {
    return await statusAfterRemoval(out, samples);
  } finally {
    done(dir);
  }
}

/** The removed run's status, then the verdicts over the samples. */
async function statusAfterRemoval(out, samples) {
  const { main } = await import('../dist/cli.js');
  const { condorCallCounts } = await import('../dist/condor/exec.js');
  // Once DAGMan has left the queue the nodes' ads come from the history: one more query, still constant.
  const r = vmdag(['status', '--json', out]);
  condorCallCounts.clear();
  await main(['status', '--json', out], { isTTY: false, out: () => {}, err: () => {} });
  const total = [...condorCallCounts.values()].reduce((a, b) => a + b, 0);
  console.log(
    `status of the removed run: ${r.seconds.toFixed(2)} s wall, ${total} HTCondor commands ` +
      `(${[...condorCallCounts].map(([c, n]) => `${c}×${n}`).join(' ')}); state ${json(r, 'status').state}`,
  );
  const worst = Math.max(...samples.map((s) => s.seconds));
  console.log(
    `target ≤ ${TARGET_STATUS_S} s: ${worst <= TARGET_STATUS_S ? 'MET' : 'MISSED'} (slowest ${worst.toFixed(2)} s)`,
  );
  // The count depends on the run's phase, not on its nodes: condor_q alone while DAGMan is queued, one
  // condor_history more once it has left (src/status/gather-status.ts). Constant = one count per phase.
  const phase = (left) => [...new Set(samples.filter((s) => s.left === left).map((s) => s.total))];
  const queued = phase(false);
  const left = [...new Set([...phase(true), total])];
  const constant = queued.length <= 1 && left.length <= 1;
  console.log(
    `constant number of HTCondor commands per phase of the run, whatever its ${STATUS_NODES} nodes: ` +
      `${constant ? 'yes' : 'NO'} (DAGMan queued: ${queued.join(', ') || '—'}; DAGMan left: ${left.join(', ')})`,
  );
}

const lab = labOrExit();
console.log(
  `lab: HTCondor ${lab.htcondorVersion}, tuning ${lab.tuning}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
if (process.env.BENCH_SKIP_VM !== '1') {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'bench:latency brings the lab to each tuning (vmdag lab up --tuning X): run it as root\n',
    );
    process.exit(3);
  }
  vmBench(lab);
}
if (process.env.BENCH_SKIP_STATUS !== '1') await statusBench();
