/**
 * The invariants of issue 14 for one workflow file, checked through the commands in-process (runValidate,
 * runCompile: the CLI's own code, without a node start-up per case): exit status 0/1 and the same for
 * validate and compile; no crash; every diagnostic inside the file; nothing written on failure; the same
 * bytes twice; the DAG and submit files hold exactly plan.json's values; every number given is in the
 * output (or the file was refused).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import jsYaml from 'js-yaml';
import { runCompile } from '../../src/commands/compile.js';
import { runValidate } from '../../src/commands/validate.js';
import { capture } from '../capture-output.js';
import { crashLines } from '../faults/cli-process.js';
import { writeQcow2 } from '../image-files.js';
import type { Value } from './workflow-arbitrary.js';

/** A failed invariant, with what shows it. */
export class Broken extends Error {}

function must(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Broken(what);
}

/** A workflow folder with the files the generated workflows name. */
export function makeFolder(dir: string): void {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  writeFileSync(path.join(dir, 'bin/app'), '#!/bin/sh\n');
  for (const f of ['in.txt', 'a=b', 'sp ace']) writeFileSync(path.join(dir, 'data', f), 'x\n');
  // A sound qcow2: a stand-in the image checks refuse would make every local-image workflow an error.
  writeQcow2(path.join(dir, 'images/guest.qcow2'));
}

interface Diag {
  code: string;
  file: string;
  line: number;
  column: number;
  message: string;
}

interface PlanJson {
  source: { dir: string };
  site?: { transfer?: string };
  vm?: { count: number; cpus: number; memoryMiB: number; leaseSeconds?: number };
  steps: Array<{
    name: string;
    after: string[];
    ranks: number;
    machineCount: number;
    requestCpus: number;
    ranksPerNode: number;
    requestMemoryMiB: number;
    mpi: string;
    executable: { command: string; transferred: boolean; absPath?: string; dagPath?: string };
    arguments: string[];
    inputs: Array<{ absPath: string; dagPath: string }>;
    outputs: string[];
    retries: number;
    walltimeSeconds?: number;
  }>;
  dag: {
    file: string;
    nodes: Array<{ name: string; kind: string }>;
    edges: Array<{ parent: string; child: string }>;
  };
}

export interface Outcome {
  status: number;
  /** The run directory, when compiled. */
  outDir?: string;
  plan?: PlanJson;
}

/** Validate and compile (twice) `file` in `dir`, with the run directories under `outParent`; check everything. */
export async function checkRun(dir: string, file: string, outParent: string, doc?: Value): Promise<Outcome> {
  const text = readFileSync(path.join(dir, file), 'utf8');
  const io = { cwd: dir, env: {} };
  mkdirSync(outParent, { recursive: true });
  const out1 = path.join(outParent, 'run1');
  const out2 = path.join(outParent, 'run2');
  const v = capture();
  const vs = await runValidate([file], { json: true }, v, io);
  const c1 = capture();
  const cs1 = await runCompile([file], { json: true, output: out1 }, c1, io);
  const c2 = capture();
  const cs2 = await runCompile([file], { json: true, output: out2 }, c2, io);
  for (const [what, status, o] of [
    ['validate', vs, v],
    ['compile', cs1, c1],
    ['compile again', cs2, c2],
  ] as const) {
    must(status === 0 || status === 1, `${what}: exit status ${status}`);
    must(crashLines(o.stderr + o.stdout).length === 0, `${what}: crash output ${o.stderr}`);
  }
  must(
    vs === cs1,
    `validate exit ${vs} but compile exit ${cs1}\nvalidate: ${v.stdout}\ncompile: ${c1.stdout}`,
  );
  must(cs1 === cs2, `compile gave ${cs1} then ${cs2}`);
  const lines = text.replace(/\r(?!\n)/g, '\n').split('\n');
  for (const o of [v, c1]) {
    const j = JSON.parse(o.stdout) as { ok: boolean; diagnostics?: Diag[] };
    must(j.ok === (vs === 0), `ok ${j.ok} with exit ${vs}`);
    for (const d of j.diagnostics ?? []) {
      if (d.code.startsWith('emit.')) continue;
      const lineText = lines[d.line - 1];
      must(d.file === file, `diagnostic of another file: ${JSON.stringify(d)}`);
      must(
        Number.isInteger(d.line) && d.line >= 1 && lineText !== undefined,
        `line outside the file: ${JSON.stringify(d)}`,
      );
      must(
        Number.isInteger(d.column) && d.column >= 1 && d.column <= lineText.length + 1,
        `column outside line ${d.line}: ${JSON.stringify(d)}`,
      );
    }
    if (vs === 1) must((j.diagnostics ?? []).length > 0, 'refused without a diagnostic');
  }
  if (vs !== 0) {
    must(readdirSync(outParent).length === 0, `written on failure: ${readdirSync(outParent).join(', ')}`);
    return { status: vs };
  }
  // The same input gives the same bytes.
  const files1 = listFiles(out1);
  must(JSON.stringify(files1) === JSON.stringify(listFiles(out2)), 'two compiles wrote different file lists');
  for (const f of files1.filter((x) => !x.endsWith('/')))
    must(
      readFileSync(path.join(out1, f)).equals(readFileSync(path.join(out2, f))),
      `${f} differs between two compiles`,
    );
  const plan = JSON.parse(readFileSync(path.join(out1, 'plan.json'), 'utf8')) as PlanJson;
  checkDag(readFileSync(path.join(out1, plan.dag.file), 'utf8'), plan);
  for (const f of files1.filter((x) => x.endsWith('.sub')))
    checkSubmit(f, readFileSync(path.join(out1, f), 'utf8'), plan);
  if (doc !== undefined)
    checkNumbers(doc, plan, plan.vm ? readFileSync(path.join(out1, 'vms.sub'), 'utf8') : '');
  return { status: 0, outDir: out1, plan };
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(`${p}/`, ...listFiles(dir, p));
    else out.push(p);
  }
  return out;
}

/** A DAG VARS value as DAGMan reads it: `\"` and `\\` unescaped. */
function unVars(v: string): string {
  return v.replace(/\\(["\\])/g, '$1');
}

/** A submit macro's value as condor_submit and the schedd leave it: `$(DOLLAR)` → `$`, `$$(DOLLARDOLLAR)` → `$$`. */
function unDollar(v: string): string {
  return v.replace(/\$\$\(DOLLARDOLLAR\)|\$\(DOLLAR\)/g, (m) => (m === '$(DOLLAR)' ? '$' : '$$'));
}

/** HTCondor's new-syntax arguments (the inside of `"…"`): blanks split; `'…'` groups, `''` and `""` escape. */
export function parseNewArgs(s: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < s.length; ) {
    const ch = s[i] as string;
    if (ch === ' ') {
      if (cur !== null) out.push(cur);
      cur = null;
      i++;
      continue;
    }
    cur ??= '';
    if (ch === "'") {
      i++;
      for (;;) {
        must(i < s.length, `unterminated quote in arguments ${JSON.stringify(s)}`);
        if (s[i] === "'" && s[i + 1] === "'") {
          cur += "'";
          i += 2;
        } else if (s[i] === "'") {
          i++;
          break;
        } else if (s[i] === '"' && s[i + 1] === '"') {
          cur += '"';
          i += 2;
        } else cur += s[i++];
      }
      continue;
    }
    must(ch !== '"' || s[i + 1] === '"', `a lone '"' in arguments ${JSON.stringify(s)}`);
    if (ch === '"') {
      cur += '"';
      i += 2;
    } else {
      cur += ch;
      i++;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

const VARS_KEYS = [
  'vmdag_args',
  'vmdag_machines',
  'vmdag_cpus',
  'vmdag_memory',
  'vmdag_inputs',
  'vmdag_outputs',
  'vmdag_remaps',
  'vmdag_walltime',
];

/** The lines of vmdag's own nodes. */
const SPECIAL_LINES =
  /^(SERVICE VMS vms\.sub|JOB GATE gate\.sub|ABORT-DAG-ON GATE 1 RETURN 1|SERVICE REAP reap\.sub|FINAL STOP stop\.sub)$/;

/** A VARS line's values, in vmdag's order and nothing else. */
function varsOf(node: string, text: string): Map<string, string> {
  const kv = new Map<string, string>();
  let rest = text;
  for (const key of VARS_KEYS) {
    const v = new RegExp(`^${key}="((?:[^"\\\\]|\\\\.)*)"( |$)`).exec(rest);
    must(v !== null, `VARS of ${node}: ${key} not where expected in ${JSON.stringify(rest)}`);
    kv.set(key, unVars(v[1] as string));
    rest = rest.slice(v[0].length);
  }
  must(rest === '', `VARS of ${node}: extra text ${JSON.stringify(rest)}`);
  return kv;
}

/** Every DAG line is one vmdag writes, and together they say exactly what plan.json says. */
function checkDag(dag: string, plan: PlanJson): void {
  const jobs: string[] = [];
  const vars = new Map<string, Map<string, string>>();
  const retries = new Map<string, number>();
  const edges: Array<{ parent: string; child: string }> = [];
  for (const line of dag.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (/^(CONFIG|JOBSTATE_LOG) \S+$|^NODE_STATUS_FILE \S+ 2 ALWAYS-UPDATE$/.test(line)) continue;
    if (SPECIAL_LINES.test(line) || /^SCRIPT POST \S+ vmdag-collect\.sh \$RETURN( \S+)+$/.test(line))
      continue;
    const job = /^JOB (\S+) compute\.sub$/.exec(line);
    const nodeVars = /^VARS (\S+) (.*)$/.exec(line);
    const retry = /^RETRY (\S+) (\d+)$/.exec(line);
    const parent = /^PARENT ((?:\S+ )+)CHILD (\S+)$/.exec(line);
    if (job) jobs.push(job[1] as string);
    else if (nodeVars) vars.set(nodeVars[1] as string, varsOf(nodeVars[1] as string, nodeVars[2] as string));
    else if (retry) retries.set(retry[1] as string, Number(retry[2]));
    else if (parent)
      for (const p of (parent[1] as string).trim().split(' '))
        edges.push({ parent: p, child: parent[2] as string });
    else throw new Broken(`a DAG line vmdag does not write: ${JSON.stringify(line)}`);
  }
  const compute = plan.dag.nodes.filter((n) => n.kind === 'compute').map((n) => n.name);
  must(JSON.stringify(jobs) === JSON.stringify(compute), `JOB lines ${jobs} but plan nodes ${compute}`);
  must(
    JSON.stringify(edges) === JSON.stringify(plan.dag.edges),
    `PARENT lines ${JSON.stringify(edges)} but plan edges ${JSON.stringify(plan.dag.edges)}`,
  );
  plan.steps.forEach((s, i) => {
    const node = compute[i] as string;
    const kv = vars.get(node);
    must(kv !== undefined, `no VARS for ${node}`);
    const launcher = [s.mpi, String(s.ranks), String(s.ranksPerNode), s.executable.command, ...s.arguments];
    const args = parseNewArgs(unDollar(kv.get('vmdag_args') as string));
    must(
      JSON.stringify(args) === JSON.stringify(launcher),
      `${node}: arguments ${JSON.stringify(args)} but plan ${JSON.stringify(launcher)}`,
    );
    must(kv.get('vmdag_machines') === String(s.machineCount), `${node}: machines`);
    must(kv.get('vmdag_cpus') === String(s.requestCpus), `${node}: cpus`);
    must(
      kv.get('vmdag_memory') === String(s.requestMemoryMiB),
      `${node}: memory ${kv.get('vmdag_memory')} but plan ${s.requestMemoryMiB}`,
    );
    must(kv.get('vmdag_walltime') === String(s.walltimeSeconds ?? 0), `${node}: walltime`);
    // dagPath is written as the DAG's jobs use it: absolute (shared), or the base name (spool).
    const inputs = [
      ...(s.executable.dagPath ? [s.executable.dagPath] : []),
      ...s.inputs.map((f) => f.dagPath),
    ];
    must(
      unDollar(kv.get('vmdag_inputs') as string) === inputs.join(','),
      `${node}: inputs ${kv.get('vmdag_inputs')}`,
    );
    // A spooled run names each node's outputs .STEP.$(Node).FILE (renamed on the node, kept by the POST script).
    const outputs =
      plan.site?.transfer === 'spool' ? s.outputs.map((o) => `.${s.name}.$(Node).${o}`) : s.outputs;
    must(
      unDollar(kv.get('vmdag_outputs') as string) === outputs.join(','),
      `${node}: outputs ${kv.get('vmdag_outputs')}`,
    );
    must((retries.get(node) ?? 0) === s.retries, `${node}: RETRY ${retries.get(node)} but plan ${s.retries}`);
  });
  must(
    vars.size === compute.length && retries.size <= compute.length,
    'VARS or RETRY of a node that is no step',
  );
}

/** A submit file: comments, `key = value` lines with no key twice, one queue line; vms.sub's values are plan's. */
function checkSubmit(name: string, text: string, plan: PlanJson): void {
  const keys = new Map<string, string>();
  let queue: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([+A-Za-z_][A-Za-z0-9_.]*) = (.*)$/.exec(line);
    if (m) {
      must(!keys.has((m[1] as string).toLowerCase()), `${name}: ${m[1]} set twice`);
      keys.set((m[1] as string).toLowerCase(), m[2] as string);
      continue;
    }
    must(
      /^queue( \d+)?$/.test(line) && queue === undefined,
      `${name}: a line vmdag does not write: ${JSON.stringify(line)}`,
    );
    queue = line;
  }
  must(queue !== undefined, `${name}: no queue line`);
  if (name === 'vms.sub' && plan.vm) {
    must(keys.get('vm_memory') === String(plan.vm.memoryMiB), 'vms.sub: vm_memory');
    must(keys.get('request_memory') === String(plan.vm.memoryMiB), 'vms.sub: request_memory');
    must(keys.get('vm_vcpus') === String(plan.vm.cpus), 'vms.sub: vm_vcpus');
    must(queue === `queue ${plan.vm.count}`, 'vms.sub: queue');
    must(
      keys.get('+vmleaseseconds') ===
        (plan.vm.leaseSeconds === undefined ? undefined : String(plan.vm.leaseSeconds)),
      'vms.sub: lease',
    );
  }
}

/** A generated number as the workflow means it: MiB or seconds, or undefined when absent. */
function numberOf(v: Value | undefined, unit: 'MiB' | 's'): number | undefined {
  if (v === undefined) return undefined;
  const raw = typeof v === 'object' && !Array.isArray(v) ? (v as { raw?: string }).raw : undefined;
  const n = raw !== undefined ? (jsYaml.load(raw, { schema: jsYaml.CORE_SCHEMA }) as number) : v;
  if (typeof n === 'number') return n;
  const m = /^(\d+)(MiB|GiB|MB|GB|s|m|h|d)$/.exec(String(n));
  if (!m) throw new Broken(`compiled with the value ${JSON.stringify(n)}`);
  const k = Number(m[1]);
  const factor: Record<string, number> = {
    MiB: 1,
    GiB: 1024,
    MB: 1e6 / 2 ** 20,
    GB: 1e9 / 2 ** 20,
    s: 1,
    m: 60,
    h: 3600,
    d: 86400,
  };
  return unit === 'MiB'
    ? Math.ceil(Number((k * (factor[m[2] as string] as number)).toFixed(6)))
    : k * (factor[m[2] as string] as number);
}

/** Every number of a generated workflow that compiled is in plan.json, and from there in the files (checked above). */
function checkNumbers(doc: Value, plan: PlanJson, vmsSub: string): void {
  const d = doc as { vm?: { [k: string]: Value }; compute: Value };
  if (d.vm) {
    must(
      plan.vm?.memoryMiB === numberOf(d.vm.memory, 'MiB'),
      `vm.memory ${JSON.stringify(d.vm.memory)} → ${plan.vm?.memoryMiB}`,
    );
    must(plan.vm?.count === numberOf(d.vm.count, 's'), `vm.count → ${plan.vm?.count}`);
    must(
      plan.vm?.leaseSeconds === numberOf(d.vm.lease, 's'),
      `vm.lease ${JSON.stringify(d.vm.lease)} → ${plan.vm?.leaseSeconds}`,
    );
    must(vmsSub.includes(`vm_memory = ${plan.vm?.memoryMiB}\n`), 'vms.sub lost vm.memory');
  }
  const steps = (Array.isArray(d.compute) ? d.compute : [d.compute]) as Array<{ [k: string]: Value }>;
  steps.forEach((s, i) => {
    const p = plan.steps[i];
    must(p !== undefined, `step ${i} missing from the plan`);
    const memory = numberOf(s.memory, 'MiB') ?? (d.vm ? numberOf(d.vm.memory, 'MiB') : 512);
    must(
      p.requestMemoryMiB === memory,
      `step ${i} memory ${JSON.stringify(s.memory)} → ${p.requestMemoryMiB}`,
    );
    must(p.ranks === numberOf(s.cpus, 's'), `step ${i} cpus → ${p.ranks}`);
    must(p.retries === (numberOf(s.retries, 's') ?? 0), `step ${i} retries → ${p.retries}`);
    must(
      p.walltimeSeconds === numberOf(s.walltime, 's'),
      `step ${i} walltime ${JSON.stringify(s.walltime)} → ${p.walltimeSeconds}`,
    );
  });
}
