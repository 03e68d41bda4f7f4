/**
 * render: Plan → the run directory's files, in memory. Pure apart from reading the templates once. A value the
 * quoting helpers refuse becomes a `RenderIssue` located at the workflow value it came from.
 */
import type { Plan, PlannedStep, PlannedVms } from '../plan/plan-types.js';
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
  const vm = plan.vm;
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
  const holdRemoveSeconds = plan.holdRemoveSeconds;
  const tuned = plan.tuning === 'latency';
  const reap = vm !== undefined && plan.dag.nodes.some((n) => n.kind === 'reaper');
  attempt('/compute', () =>
    add(
      'compute.sub',
      templates.render('compute.sub', { name: plan.name, vm: vm !== undefined, holdRemoveSeconds }),
    ),
  );
  if (vm) {
    attempt('/vm', () =>
      add('vms.sub', templates.render('vms.sub', { ...vmsView(plan, vm, holdRemoveSeconds), tuned })),
    );
    // The gate polls the collector every second when tuned (HTCondor's tools have no event to wait on).
    const gateInterval = tuned ? 1 : 5;
    attempt('/vm', () =>
      add(
        'gate.sub',
        templates.render('gate.sub', { name: plan.name, vm, tuned, gateInterval, holdRemoveSeconds }),
      ),
    );
    if (reap) {
      attempt('/vm', () =>
        add(
          'reap.sub',
          templates.render('reap.sub', {
            name: plan.name,
            dag: plan.dag,
            nodesLog: `${plan.dag.file}.nodes.log`,
            stepsFile: REAP_STEPS_FILE,
            holdRemoveSeconds,
          }),
        ),
      );
      add(REAP_STEPS_FILE, lastStepsText(plan, steps));
    }
    attempt('/vm', () =>
      add(
        'stop.sub',
        templates.render('stop.sub', {
          name: plan.name,
          stopTimeoutSeconds: vm.stopTimeoutSeconds,
          holdRemoveSeconds,
        }),
      ),
    );
  }
  if (issues.length > 0) return { ok: false, issues };
  attempt('/name', () => {
    // The nodes and edges in batches while emit writes them (their values are quoted already, so only the
    // header, rendered now, can be refused).
    const view = dagView(plan, steps);
    files.push(chunked(plan.dag.file, templates.pieces('dag', view, [view.steps, view.edges])));
    add(plan.dag.configFile, templates.render('dagman.config', { dag: plan.dag, tuned }));
  });
  if (issues.length > 0) return { ok: false, issues };
  const scripts: ScriptName[] = ['vmdag-mpi.sh'];
  if (vm) scripts.push('vmdag-gate.sh', 'vmdag-stop.sh');
  if (reap) scripts.push('vmdag-reap.sh');
  if (steps.some((s) => s.collect !== null)) scripts.push('vmdag-collect.sh');
  for (const s of scripts) add(s, templates.script(s), 0o755);
  files.push(chunked('plan.json', planJsonChunks(plan)));
  return { ok: true, run: { files, dirs: ['outputs', 'logs'] } };
}

/** The file naming the last steps for vmdag-reap.sh. */
export const REAP_STEPS_FILE = 'vmdag-reap.steps';

/**
 * The workflow's last steps (no step runs after them), one a line; `NAME:post` when the step has a POST
 * script (its outputs are collected after the job): REAP then waits for the script's success.
 */
function lastStepsText(plan: Plan, steps: StepView[]): string {
  const parents = new Set(plan.dag.edges.map((e) => e.parent));
  const head =
    '# generated by vmdag — do not edit\n' +
    '# The last steps of the workflow: REAP removes the VMs once each has ended (NAME:post: its POST script too).\n';
  return (
    head +
    steps
      .filter((s) => !parents.has(s.node))
      .map((s) => `${s.node}${s.collect !== null ? ':post' : ''}\n`)
      .join('')
  );
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
interface StepView {
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

function stepView(step: PlannedStep): StepView {
  const transferInput: string[] = [];
  if (step.executable.absPath !== undefined) transferInput.push(step.executable.absPath);
  for (const f of step.inputs) transferInput.push(f.absPath);
  // One node: outputs go straight to outputs/. Several: every node sends them (placeholders on nodes ≠ 0)
  // to outputs/.STEP.NODE.FILE and the POST script keeps node 0's.
  const several = step.machineCount > 1;
  const remaps = submitOutputRemaps(
    step.outputs.map((o) => ({
      from: o,
      to: several ? `outputs/.${step.name}.{node}.${o}` : `outputs/${o}`,
    })),
  );
  const launcher = [
    step.mpi,
    String(step.ranks),
    String(step.ranksPerNode),
    step.executable.command,
    ...step.arguments,
  ];
  return {
    node: dagNodeName(step.name),
    args: dagVarsValue(submitArgumentsInner(launcher)),
    machines: step.machineCount,
    cpus: step.requestCpus,
    memory: step.requestMemoryMiB,
    inputs: dagVarsValue(submitFileList(transferInput)),
    outputs: dagVarsValue(submitFileList(step.outputs)),
    remaps: dagVarsValue(remaps),
    walltime: step.walltimeSeconds ?? 0,
    retries: step.retries,
    collect:
      several && step.outputs.length > 0
        ? [step.name, ...step.outputs].map((a) => dagFileName(a)).join(' ')
        : null,
  };
}

function dagView(plan: Plan, steps: StepView[]) {
  // PARENT a b CHILD c: one line per child, parents in the order the workflow gives them.
  // Node names were checked when their nodes were rendered; GATE is vmdag's own.
  const known = new Set<string>(steps.map((s) => s.node));
  const name = (n: string): string => (known.has(n) ? n : dagNodeName(n));
  const byChild = new Map<string, string[]>();
  for (const e of plan.dag.edges) {
    const list = byChild.get(e.child);
    if (list) list.push(name(e.parent));
    else byChild.set(e.child, [name(e.parent)]);
  }
  const edges = [...byChild].map(([child, parents]) => ({ parents: parents.join(' '), child: name(child) }));
  return {
    name: plan.name,
    description: plan.description ?? null,
    vm: plan.vm !== undefined,
    dag: plan.dag,
    tuned: plan.tuning === 'latency',
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
