/**
 * render: Plan → the run directory's files, in memory. Pure apart from reading the templates once. A value the
 * quoting helpers refuse becomes a `RenderIssue` located at the workflow value it came from.
 */
import type { DagEdge, Plan, PlannedFile, PlannedStep, PlannedVms } from '../plan/plan-types.js';
import { stepNodeName } from '../plan/plan-workflow.js';
import { planJson } from './plan-json.js';
import {
  dagFileName,
  dagNodeName,
  dagVarsValue,
  submitArgumentsInner,
  submitFileList,
  submitNodeFileList,
  submitOutputRemaps,
  submitVmDisk,
  UnsafeValueError,
} from './quote.js';
import { loadTemplates, type ScriptName, type Templates } from './templates.js';

export interface RunDirFile {
  /** Relative to the run directory, `/`-separated. */
  path: string;
  /**
   * The text, in the parts emit writes one after another (each iteration afresh). The DAG's nodes and
   * plan.json's steps are made a batch at a time while they are written, so that neither file is ever one
   * string in memory; every other file is one part.
   */
  parts: Iterable<string>;
  /** 0o755 for scripts, 0o644 otherwise. */
  mode: number;
}

/** A file's whole text. */
export function fileText(file: RunDirFile): string {
  let text = '';
  for (const part of file.parts) text += part;
  return text;
}

export interface RenderedRunDir {
  files: RunDirFile[];
  /** Folders created empty (relative): where outputs and job logs arrive. */
  dirs: string[];
}

export interface RenderIssue {
  code: string;
  message: string;
  pointer: string;
}

export type RenderResult = { ok: true; run: RenderedRunDir } | { ok: false; issues: RenderIssue[] };

export function renderRunDir(plan: Plan, templates: Templates = loadTemplates()): RenderResult {
  const spool = plan.site.transfer === 'spool';
  const files: RunDirFile[] = [];
  const issues: RenderIssue[] = [];
  const refused = (e: unknown, pointer: string): void => {
    if (!(e instanceof UnsafeValueError)) throw e;
    issues.push({ code: 'render.unsafe-value', message: e.message, pointer });
  };
  const attempt = (pointer: string, path: string, render: () => Iterable<string>): void => {
    try {
      files.push({ path, parts: render(), mode: 0o644 });
    } catch (e) {
      refused(e, pointer);
    }
  };
  const steps: DagNodeVars[] = [];
  plan.steps.forEach((step, i) => {
    // A name that cannot be a DAG node is reported at the name itself.
    try {
      dagNodeName(stepNodeName(step.name));
    } catch (e) {
      refused(e, `/compute/${i}/name`);
      return;
    }
    try {
      steps.push(dagNodeVars(step, spool));
    } catch (e) {
      refused(e, `/compute/${i}`);
    }
  });
  for (const f of submitFiles(plan, templates)) attempt(f.pointer, f.path, () => [f.render()]);
  if (issues.length > 0) return { ok: false, issues };
  // Every node name is quoted by now: only the DAG's header can still be refused.
  if (hasReap(plan)) files.push({ path: REAP_STEPS_FILE, parts: [lastStepsText(plan, steps)], mode: 0o644 });
  attempt('/name', plan.dag.file, () => dagParts(plan, steps, templates));
  attempt('/name', plan.dag.configFile, () => [
    templates.render('dagman.config', { dag: plan.dag, tuned: isTuned(plan) }),
  ]);
  if (issues.length > 0) return { ok: false, issues };
  const collect = steps.some((s) => s.collect !== null);
  for (const s of scriptsFor(plan, collect))
    files.push({ path: s, parts: [templates.script(s)], mode: 0o755 });
  files.push({ path: 'plan.json', parts: planJson(plan), mode: 0o644 });
  return { ok: true, run: { files, dirs: ['outputs', 'logs'] } };
}

/** The most memory a step asks per VM: the gate fails at once when the joined guests offer less. */
function maxStepMemoryMiB(steps: readonly PlannedStep[]): number {
  let most = 0;
  for (const s of steps) if (s.requestMemoryMiB > most) most = s.requestMemoryMiB;
  return most;
}

/**
 * The submit files, in the run directory's order: each one's path, the
 * workflow value a refusal is reported at, and its text (rendering may throw UnsafeValueError).
 */
function submitFiles(
  plan: Plan,
  templates: Templates,
): Array<{ path: string; pointer: string; render(): string }> {
  const vm = plan.vm;
  const holdRemoveSeconds = plan.holdRemoveSeconds;
  const tuned = isTuned(plan);
  const spool = plan.site.transfer === 'spool';
  const list = [
    {
      path: 'compute.sub',
      pointer: '/compute',
      render: () =>
        templates.render('compute.sub', { name: plan.name, vm: vm !== undefined, holdRemoveSeconds, spool }),
    },
  ];
  if (hasReap(plan))
    list.push({
      path: 'reap.sub',
      pointer: '/name',
      render: () =>
        templates.render('reap.sub', {
          name: plan.name,
          dag: plan.dag,
          nodesLog: `${plan.dag.file}.nodes.log`,
          stepsFile: REAP_STEPS_FILE,
          holdRemoveSeconds,
          vm: vm !== undefined,
        }),
    });
  if (!vm) return list;
  list.push({
    path: 'vms.sub',
    pointer: '/vm',
    render: () => templates.render('vms.sub', { ...vmsView(plan, vm, holdRemoveSeconds), tuned }),
  });
  list.push({
    path: 'stop.sub',
    pointer: '/vm',
    render: () =>
      templates.render('stop.sub', {
        name: plan.name,
        stopTimeoutSeconds: vm.stopTimeoutSeconds,
        holdRemoveSeconds,
      }),
  });
  // The gate fails the run when the guests offer less memory than the most a step asks; it polls the
  // collector every second when tuned (HTCondor's tools have no event to wait on).
  list.push({
    path: 'gate.sub',
    pointer: '/vm',
    render: () =>
      templates.render('gate.sub', {
        name: plan.name,
        vm,
        tuned,
        gateInterval: tuned ? 1 : 5,
        holdRemoveSeconds,
        stepMemoryMiB: maxStepMemoryMiB(plan.steps),
      }),
  });
  return list;
}

/** Tuned for latency (the default), not HTCondor's defaults (`--defaults`). */
function isTuned(plan: Plan): boolean {
  return plan.tuning === 'latency';
}

/**
 * The plan has the SERVICE node REAP (planDag gives it to every tuned run): it removes the VMs once the last
 * steps ended (a run with VMs) and removes a step left "running" on a slot that is gone or no longer claimed.
 */
function hasReap(plan: Plan): boolean {
  return plan.dag.nodes.some((n) => n.kind === 'reaper');
}

/** The file naming the last steps for vmdag-reap.sh. */
export const REAP_STEPS_FILE = 'vmdag-reap.steps';

/**
 * The workflow's last steps (no step runs after them), one a line; `NAME:post` when the step has a POST
 * script (its outputs are collected after the job): REAP then waits for the script's success. `steps`: the
 * views of every step, in order.
 */
function lastStepsText(plan: Plan, steps: readonly DagNodeVars[]): string {
  const parents = new Set<string>();
  for (const e of plan.dag.edges) parents.add(e.parent);
  let text =
    '# generated by vmdag — do not edit\n' +
    '# The last steps of the workflow: REAP ends (removing the VMs, if any) once each has ended (NAME:post: its POST script too).\n';
  for (const view of steps)
    if (!parents.has(view.node)) text += `${view.node}${view.collect !== null ? ':post' : ''}\n`;
  return text;
}

/** The helper scripts a run directory needs; `collect`: a step gathers its outputs from several nodes. */
function scriptsFor(plan: Plan, collect: boolean): ScriptName[] {
  const scripts: ScriptName[] = ['vmdag-mpi.sh'];
  if (plan.vm) scripts.push('vmdag-gate.sh', 'vmdag-stop.sh');
  if (hasReap(plan)) scripts.push('vmdag-reap.sh');
  if (collect) scripts.push('vmdag-collect.sh');
  return scripts;
}

/**
 * The VARS of one step's DAG node (the dag-node template's view), every value already quoted for its place
 * (a VARS value holding submit text).
 */
export interface DagNodeVars {
  node: string;
  args: string;
  machines: number;
  cpus: number;
  memory: number;
  inputs: string;
  outputs: string;
  remaps: string;
  walltime: number;
  retries: number;
  collect: string | null;
}

export function dagNodeVars(step: PlannedStep, spool = false): DagNodeVars {
  // Lists made at their exact length (no growth by push, no spread): this runs once per step. Each file by
  // its dagPath: absolute on a shared file system, its base name when the run travels (spool).
  const exe = step.executable.dagPath;
  const files = step.inputs;
  const transferInput = new Array<string>(files.length + (exe === undefined ? 0 : 1));
  let t = 0;
  if (exe !== undefined) transferInput[t++] = exe;
  for (let i = 0; i < files.length; i++) transferInput[t++] = (files[i] as PlannedFile).dagPath;
  // One node: outputs go straight to outputs/. Several: every node sends them (placeholders on nodes ≠ 0)
  // to outputs/.STEP.NODE.FILE and the POST script keeps node 0's.
  // A run spooled to its site: no remaps (a shadow whose job runs in the schedd's spool skips them); each
  // node renames its outputs .STEP.NODE.FILE itself (vmdag-mpi.sh) and the POST script keeps node 0's.
  const several = step.machineCount > 1;
  const outputs = step.outputs;
  const remaps = spool
    ? ''
    : submitOutputRemaps(
        outputs.map((o) => ({
          from: o,
          to: several ? `outputs/.${step.name}.{node}.${o}` : `outputs/${o}`,
        })),
      );
  const args = step.arguments;
  const launcher = new Array<string>(4 + args.length);
  launcher[0] = step.mpi;
  launcher[1] = String(step.ranks);
  launcher[2] = String(step.ranksPerNode);
  launcher[3] = step.executable.command;
  for (let i = 0; i < args.length; i++) launcher[4 + i] = args[i] as string;
  // In this order, so that the first value refused is the one reported.
  const node = dagNodeName(stepNodeName(step.name));
  const argsValue = dagVarsValue(submitArgumentsInner(launcher));
  const inputsValue = dagVarsValue(submitFileList(transferInput));
  const outputsValue = dagVarsValue(
    spool ? submitNodeFileList(outputs.map((o) => `.${step.name}.{node}.${o}`)) : submitFileList(outputs),
  );
  const remapsValue = dagVarsValue(remaps);
  let collect: string | null = null;
  if ((several || spool) && outputs.length > 0) {
    collect = dagFileName(step.name);
    for (let i = 0; i < outputs.length; i++) collect += ` ${dagFileName(outputs[i] as string)}`;
  }
  return {
    node,
    args: argsValue,
    machines: step.machineCount,
    cpus: step.requestCpus,
    memory: step.requestMemoryMiB,
    inputs: inputsValue,
    outputs: outputsValue,
    remaps: remapsValue,
    walltime: step.walltimeSeconds ?? 0,
    retries: step.retries,
    collect,
  };
}

/** Compute nodes per part of the DAG: ~100 KB of text. */
const NODES_PER_PART = 256;

/**
 * The DAG: its head (dag.hbs) and tail (dag-tail.hbs, the PARENT lines and the FINAL node) rendered now —
 * where a value may still be refused — and between them each step's node (dag-node.hbs, its values quoted
 * already) rendered 256 at a time while the parts are written.
 */
function dagParts(plan: Plan, steps: readonly DagNodeVars[], templates: Templates): Iterable<string> {
  const view = {
    name: plan.name,
    description: plan.description ?? null,
    vm: plan.vm !== undefined,
    dag: plan.dag,
    tuned: isTuned(plan),
    reap: hasReap(plan),
    edges: parentLines(plan.dag.edges),
  };
  const head = templates.render('dag', view);
  const tail = templates.render('dag-tail', view);
  return {
    *[Symbol.iterator]() {
      yield head;
      for (let i = 0; i < steps.length; i += NODES_PER_PART) {
        let text = '';
        const end = Math.min(i + NODES_PER_PART, steps.length);
        for (let k = i; k < end; k++) text += templates.render('dag-node', steps[k] as DagNodeVars);
        yield text;
      }
      yield tail;
    },
  };
}

/**
 * `PARENT a b CHILD c`, one line per child, its parents in the order the workflow gives them (planDag gives
 * each child's edges together, in step order).
 */
function parentLines(edges: readonly DagEdge[]): Array<{ parents: string; child: string }> {
  const lines: Array<{ parents: string; child: string }> = [];
  for (let i = 0; i < edges.length; ) {
    const child = (edges[i] as DagEdge).child;
    let parents = dagNodeName((edges[i] as DagEdge).parent);
    for (i++; i < edges.length && (edges[i] as DagEdge).child === child; i++)
      parents += ` ${dagNodeName((edges[i] as DagEdge).parent)}`;
    lines.push({ parents, child: dagNodeName(child) });
  }
  return lines;
}

function vmsView(plan: Plan, vm: PlannedVms, holdSeconds: number) {
  const hold = `(JobStatus == 5 && time() - EnteredCurrentStatus > ${holdSeconds})`;
  const lease = vm.leaseSeconds ?? null;
  const holdReason = `"vmdag: VM held for more than ${holdSeconds} s"`;
  return {
    name: plan.name,
    vm,
    label: `${plan.name}-vm`,
    disk: submitVmDisk(vm.image.diskFile, vm.image.device, vm.image.access, vm.image.format),
    xen: vm.hypervisor === 'xen',
    transferInput: vm.image.dagPath === undefined ? [] : [vm.image.dagPath],
    sha256: vm.image.sha256 ?? null,
    lease,
    periodicRemove:
      lease === null ? hold : `${hold} || (JobStatus == 2 && time() - EnteredCurrentStatus > ${lease})`,
    periodicRemoveReason:
      lease === null
        ? holdReason
        : `ifThenElse(JobStatus == 5, ${holdReason}, "vmdag: VM lease of ${lease} s expired")`,
  };
}
