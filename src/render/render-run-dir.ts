/**
 * render: Plan → the run directory's files, in memory. Pure apart from reading the templates once. A value the
 * quoting helpers refuse becomes a `RenderIssue` located at the workflow value it came from.
 */
import type { DagEdge, Plan, PlannedDag, PlannedFile, PlannedStep, PlannedVms } from '../plan/plan-types.js';
import { planJsonChunks } from './plan-json.js';
import {
  dagFileName,
  dagNodeName,
  dagVarsValue,
  submitArgumentsInner,
  submitFileList,
  submitOutputRemaps,
  submitVmDisk,
  UnsafeValueError,
} from './quote.js';
import { loadTemplates, type ScriptName, type Templates } from './templates.js';

export interface RunDirFile {
  /** Relative to the run directory, `/`-separated. */
  path: string;
  /** The text (of a file rendered in chunks: their concatenation, made when read). */
  content: string;
  /**
   * The text in pieces, for a large file (the DAG, plan.json), made while they are iterated: emit writes
   * them in turn, so the whole text is never held, let alone as one flat string.
   */
  chunks?: Iterable<string>;
  /** 0o755 for scripts, 0o644 otherwise. */
  mode: number;
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
  const files: RunDirFile[] = [];
  const issues: RenderIssue[] = [];
  const attempt = (pointer: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof UnsafeValueError)) throw e;
      issues.push({ code: 'render.unsafe-value', message: e.message, pointer });
    }
  };
  const add = (path: string, content: string, mode = 0o644): void => {
    files.push({ path, content, mode });
  };
  const steps: StepView[] = [];
  // The same as attempt() per step, without two closures and two pointers per step (built only on error).
  const refused = (e: unknown, pointer: string): void => {
    if (!(e instanceof UnsafeValueError)) throw e;
    issues.push({ code: 'render.unsafe-value', message: e.message, pointer });
  };
  plan.steps.forEach((step, i) => {
    // A name that cannot be a DAG node (a DAG keyword, say) is reported at the name itself.
    try {
      dagNodeName(step.name);
    } catch (e) {
      refused(e, `/compute/${i}/name`);
      return;
    }
    try {
      steps.push(stepView(step));
    } catch (e) {
      refused(e, `/compute/${i}`);
    }
  });
  for (const f of headFiles(plan, templates)) attempt(f.pointer, () => add(f.path, f.render()));
  // gate.sub and the REAP node's list of last steps follow the DAG file, as in the streaming compile (which
  // knows the steps' memory and the last steps only then).
  const tail: RunDirFile[] = [];
  if (plan.vm && issues.length === 0) {
    const post = new Set<string>();
    for (const s of steps) if (s.collect !== null) post.add(s.node);
    for (const f of tailFiles(plan, plan.vm, templates, maxStepMemoryMiB(plan.steps), plan.dag, post))
      attempt(f.pointer, () => tail.push({ path: f.path, content: f.render(), mode: 0o644 }));
  }
  if (issues.length > 0) return { ok: false, issues };
  attempt('/name', () => {
    // The nodes and edges in batches while emit writes them (their values are quoted already, so only the
    // header, rendered now, can be refused).
    const view = dagView(plan, steps);
    files.push(chunked(plan.dag.file, templates.pieces('dag', view, [view.steps, view.edges])));
    files.push(...tail);
    add(plan.dag.configFile, templates.render('dagman.config', { dag: plan.dag, tuned: isTuned(plan) }));
  });
  if (issues.length > 0) return { ok: false, issues };
  const collect = steps.some((s) => s.collect !== null);
  for (const s of scriptsFor(plan, collect)) add(s, templates.script(s), 0o755);
  files.push(chunked('plan.json', planJsonChunks(plan)));
  return { ok: true, run: { files, dirs: ['outputs', 'logs'] } };
}

/** The most memory a step asks per VM: the gate fails at once when the joined guests offer less. */
export function maxStepMemoryMiB(steps: readonly PlannedStep[], least = 0): number {
  let most = least;
  for (const s of steps) if (s.requestMemoryMiB > most) most = s.requestMemoryMiB;
  return most;
}

/**
 * The submit files of the plan's head, in the run directory's order: each one's path, the workflow value a
 * refusal is reported at, and its text (rendering may throw UnsafeValueError). gate.sub is not one of them:
 * it needs the most memory a step asks (gateFile), known once every step is.
 */
export function headFiles(
  plan: Plan,
  templates: Templates,
): Array<{ path: string; pointer: string; render(): string }> {
  const vm = plan.vm;
  const holdRemoveSeconds = plan.holdRemoveSeconds;
  const tuned = isTuned(plan);
  const list = [
    {
      path: 'compute.sub',
      pointer: '/compute',
      render: () =>
        templates.render('compute.sub', { name: plan.name, vm: vm !== undefined, holdRemoveSeconds }),
    },
  ];
  if (vm) {
    list.push({
      path: 'vms.sub',
      pointer: '/vm',
      render: () => templates.render('vms.sub', { ...vmsView(plan, vm, holdRemoveSeconds), tuned }),
    });
    if (hasReap(plan))
      list.push({
        path: 'reap.sub',
        pointer: '/vm',
        render: () =>
          templates.render('reap.sub', {
            name: plan.name,
            dag: plan.dag,
            nodesLog: `${plan.dag.file}.nodes.log`,
            stepsFile: REAP_STEPS_FILE,
            holdRemoveSeconds,
          }),
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
  }
  return list;
}

/** Tuned for latency (the default), not HTCondor's defaults (`--defaults`). */
export function isTuned(plan: Plan): boolean {
  return plan.tuning === 'latency';
}

/** A tuned run with VMs has the SERVICE node REAP, which removes the VMs once the last steps ended. */
function hasReap(plan: Plan): boolean {
  return plan.vm !== undefined && isTuned(plan);
}

/**
 * The files that need every step (written after the DAG file): gate.sub, which fails the run when the guests
 * offer less memory than the most a step asks (`stepMemoryMiB`), and with REAP the list of the last steps
 * (`post`: the DAG nodes whose outputs a POST script collects).
 */
export function tailFiles(
  plan: Plan,
  vm: PlannedVms,
  templates: Templates,
  stepMemoryMiB: number,
  dag: PlannedDag,
  post: ReadonlySet<string>,
): Array<{ path: string; pointer: string; render(): string }> {
  const tuned = isTuned(plan);
  // The gate polls the collector every second when tuned (HTCondor's tools have no event to wait on).
  const gateInterval = tuned ? 1 : 5;
  const holdRemoveSeconds = plan.holdRemoveSeconds;
  const list = [
    {
      path: 'gate.sub',
      pointer: '/vm',
      render: () =>
        templates.render('gate.sub', {
          name: plan.name,
          vm,
          tuned,
          gateInterval,
          holdRemoveSeconds,
          stepMemoryMiB,
        }),
    },
  ];
  if (hasReap(plan))
    list.push({ path: REAP_STEPS_FILE, pointer: '/compute', render: () => lastStepsText(dag, post) });
  return list;
}

/** The file naming the last steps for vmdag-reap.sh. */
export const REAP_STEPS_FILE = 'vmdag-reap.steps';

/**
 * The workflow's last steps (no step runs after them), one a line; `NAME:post` when the step has a POST
 * script (its outputs are collected after the job): REAP then waits for the script's success.
 */
function lastStepsText(dag: PlannedDag, post: ReadonlySet<string>): string {
  const parents = new Set<string>();
  for (const e of dag.edges) parents.add(e.parent);
  let text =
    '# generated by vmdag — do not edit\n' +
    '# The last steps of the workflow: REAP removes the VMs once each has ended (NAME:post: its POST script too).\n';
  for (const n of dag.nodes) {
    if (n.kind !== 'compute' || parents.has(n.name)) continue;
    const node = dagNodeName(n.name);
    text += `${node}${post.has(node) ? ':post' : ''}\n`;
  }
  return text;
}

/** The helper scripts a run directory needs; `collect`: a step gathers its outputs from several nodes. */
export function scriptsFor(plan: Plan, collect: boolean): ScriptName[] {
  const scripts: ScriptName[] = ['vmdag-mpi.sh'];
  if (plan.vm) scripts.push('vmdag-gate.sh', 'vmdag-stop.sh');
  if (hasReap(plan)) scripts.push('vmdag-reap.sh');
  if (collect) scripts.push('vmdag-collect.sh');
  return scripts;
}

/** A file written in pieces; its content, when read (tests), is their concatenation. */
function chunked(path: string, chunks: Iterable<string>): RunDirFile {
  return {
    path,
    chunks,
    mode: 0o644,
    get content() {
      return [...chunks].join('');
    },
  };
}

/** One DAG node's values, every one already quoted for its place (VARS value holding submit text). */
export interface StepView {
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

export function stepView(step: PlannedStep): StepView {
  // Lists made at their exact length (no growth by push, no spread): this runs once per step.
  const exe = step.executable.absPath;
  const files = step.inputs;
  const transferInput = new Array<string>(files.length + (exe === undefined ? 0 : 1));
  let t = 0;
  if (exe !== undefined) transferInput[t++] = exe;
  for (let i = 0; i < files.length; i++) transferInput[t++] = (files[i] as PlannedFile).absPath;
  // One node: outputs go straight to outputs/. Several: every node sends them (placeholders on nodes ≠ 0)
  // to outputs/.STEP.NODE.FILE and the POST script keeps node 0's.
  const several = step.machineCount > 1;
  const outputs = step.outputs;
  const remaps = submitOutputRemaps(
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
  const node = dagNodeName(step.name);
  const argsValue = dagVarsValue(submitArgumentsInner(launcher));
  const inputsValue = dagVarsValue(submitFileList(transferInput));
  const outputsValue = dagVarsValue(submitFileList(outputs));
  const remapsValue = dagVarsValue(remaps);
  let collect: string | null = null;
  if (several && outputs.length > 0) {
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

/** The DAG template's view: the node views of `steps`, and a PARENT line per child from the plan's edges. */
function dagView(plan: Plan, steps: StepView[]) {
  return dagViewOf(plan, steps, [...parentLines(plan.dag.edges, Number.POSITIVE_INFINITY)].flat());
}

/**
 * The PARENT lines of planDag's edges, `size` at a time: `PARENT a b CHILD c`, one line per child, its
 * parents in the order the workflow gives them (planDag gives each child's edges together, in step order).
 */
export function* parentLines(
  edges: readonly DagEdge[],
  size: number,
): Generator<Array<{ parents: string; child: string }>> {
  let batch: Array<{ parents: string; child: string }> = [];
  for (let i = 0; i < edges.length; ) {
    const child = (edges[i] as DagEdge).child;
    let parents = dagNodeName((edges[i] as DagEdge).parent);
    for (i++; i < edges.length && (edges[i] as DagEdge).child === child; i++)
      parents += ` ${dagNodeName((edges[i] as DagEdge).parent)}`;
    batch.push({ parents, child: dagNodeName(child) });
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The DAG template's view with these lists of nodes and PARENT lines (or stand-ins for them). */
export function dagViewOf(plan: Plan, steps: unknown[], edges: unknown[]) {
  return {
    name: plan.name,
    description: plan.description ?? null,
    vm: plan.vm !== undefined,
    dag: plan.dag,
    tuned: isTuned(plan),
    steps,
    edges,
  };
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
    transferInput: [vm.image.absPath],
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
