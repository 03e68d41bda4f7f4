/**
 * plan: Workflow → Plan. Pure: no file system, no clock. Decides how ranks are packed into VMs, what each job
 * transfers, and the DAG's nodes and edges (see docs/architecture.md for the shape and why).
 */
import { basename, isAbsolute, resolve } from 'node:path';
import type { ComputeStep, VmRequest, Workflow } from '../model/workflow.js';
import { planSend } from './plan-send.js';
import type {
  DagEdge,
  DagNode,
  Plan,
  PlannedDag,
  PlannedFile,
  PlannedSite,
  PlannedStep,
  PlannedVms,
  Tuning,
} from './plan-types.js';
import { LOCAL_PLANNED_SITE } from './planned-site.js';

export interface PlanOptions {
  /** Where the DAG runs; default: the local pool (`{name: 'local', transfer: 'shared'}`). */
  site?: PlannedSite;
  /** Size of a local image in bytes (the compile edge stats it); default 0. */
  imageBytes?: number;
  /**
   * The local image's copy staged in the site's images folder by `vmdag submit` (src/image-staging): the VM jobs name
   * it by absolute path instead of transferring the image with each VM. Only for `differential: true`.
   */
  stagedImage?: { path: string; sha256: string; reused: boolean };
  /** Gate timeout; default 600 s + 30 s per VM. */
  gateTimeoutSeconds?: number;
  /** How long a held job may stay held before it is removed; default 300 s. */
  holdRemoveSeconds?: number;
  /** How long the FINAL node waits for the VM jobs to leave the queue; default 300 s. */
  stopTimeoutSeconds?: number;
  /** `latency` (default) or `defaults` (HTCondor's defaults, for comparison). */
  tuning?: Tuning;
}

/** A problem only the plan can see (e.g. two inputs landing on the same sandbox name). */
export interface PlanIssue {
  code: string;
  message: string;
  /** JSON pointer into the workflow file. */
  pointer: string;
}

export class PlanError extends Error {
  constructor(readonly issues: PlanIssue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.name = 'PlanError';
  }
}

/** Room left on each VM's scratch disk besides a transferred image (overlay, sandbox): 1 GiB. */
const OVERLAY_KIB = 1024 * 1024;

export function planWorkflow(workflow: Workflow, opts: PlanOptions = {}): Plan {
  const issues: PlanIssue[] = [];
  const site = opts.site ?? LOCAL_PLANNED_SITE;
  // The run travels with its files (spool): the DAG's jobs name each by its base name (plan-send.ts).
  const spool = site.transfer === 'spool';
  const vm = workflow.vm ? planVms(workflow.vm, opts, spool, issues) : undefined;
  const files = fileCache(workflow.source.dir, spool);
  const steps = workflow.compute.map((step, i) => planStep(step, i, workflow.vm, issues, files));
  const tuning = opts.tuning ?? 'latency';
  const dag = planDag(workflow.name, steps, vm !== undefined, tuning);
  const send = spool ? planSend(dag, vm, steps, issues) : undefined;
  if (issues.length > 0) throw new PlanError(issues);
  const plan: Plan = {
    version: 1,
    name: workflow.name,
    source: { file: workflow.source.file, dir: workflow.source.dir },
    site,
    mode: vm ? 'vm' : 'native',
    steps,
    holdRemoveSeconds: opts.holdRemoveSeconds ?? 300,
    tuning,
    dag,
  };
  if (workflow.description !== undefined) plan.description = workflow.description;
  if (send) plan.send = send;
  if (vm) plan.vm = vm;
  return plan;
}

function planVms(req: VmRequest, opts: PlanOptions, spool: boolean, issues: PlanIssue[]): PlannedVms {
  const local = req.image.location === 'local';
  const staged = local ? opts.stagedImage : undefined;
  if (staged && !req.image.differential)
    issues.push({
      code: 'plan.staged-not-differential',
      message: 'a staged image is shared by every VM and never written: it needs differential: true',
      pointer: '/vm/image/differential',
    });
  const transferred = local && !staged;
  const imageKiB = transferred ? Math.ceil((opts.imageBytes ?? 0) / 1024) : 0;
  const vms: PlannedVms = {
    hypervisor: req.hypervisor,
    count: req.count,
    cpus: req.cpus,
    memoryMiB: req.memoryMiB,
    image: {
      path: req.image.path,
      absPath: req.image.absPath,
      ...(transferred ? { dagPath: spool ? basename(req.image.absPath) : req.image.absPath } : {}),
      location: req.image.location,
      format: req.image.format,
      differential: req.image.differential,
      transferred,
      delivery: staged ? 'staged' : transferred ? 'per-vm' : 'in-place',
      diskFile: staged ? staged.path : transferred ? basename(req.image.absPath) : req.image.absPath,
      device: req.hypervisor === 'xen' ? 'xvda' : 'vda',
      // A cluster image is used in place by every VM: never written (two VMs writing one file is refused by
      // qemu's image lock — seen: "Failed to get "write" lock" — and would corrupt it anyway).
      access: req.image.differential || !transferred ? 'r' : 'w',
    },
    vms: Array.from({ length: req.count }, (_, index) => ({
      index,
      cpus: req.cpus,
      memoryMiB: req.memoryMiB,
    })),
    requestDiskKiB: imageKiB + OVERLAY_KIB,
    gateTimeoutSeconds: opts.gateTimeoutSeconds ?? 600 + 30 * req.count,
    stopTimeoutSeconds: opts.stopTimeoutSeconds ?? 300,
  };
  if (local) vms.image.bytes = opts.imageBytes ?? 0;
  if (req.image.sha256 !== undefined) vms.image.sha256 = req.image.sha256;
  if (staged) {
    vms.image.staged = { path: staged.path, reused: staged.reused };
    vms.image.sha256 = staged.sha256;
  }
  if (req.leaseSeconds !== undefined) vms.leaseSeconds = req.leaseSeconds;
  return vms;
}

/**
 * Each distinct path resolved once, and one PlannedFile per distinct input shared by every step naming it
 * (plan values are never mutated): 10,000 steps reading the same input hold one object, not 10,000.
 * `spool`: the run travels, so the DAG's jobs name each file by its base name.
 */
function fileCache(dir: string, spool: boolean): { file(p: string): PlannedFile } {
  const cache = new Map<string, PlannedFile>();
  return {
    file(p) {
      let f = cache.get(p);
      if (f === undefined) {
        const absPath = isAbsolute(p) ? p : resolve(dir, p);
        const name = basename(absPath);
        f = { path: p, absPath, name, dagPath: spool ? name : absPath };
        cache.set(p, f);
      }
      return f;
    },
  };
}

/**
 * What already lands in the sandbox as `name` before input k: the latest earlier input, else the
 * transferred executable (`exeName`), else the launcher. Linear scans: a step has a few files, and a Map
 * per step costs 10,000 Maps on a 10,000-step workflow.
 */
function occupant(
  inputs: readonly PlannedFile[],
  name: string,
  k: number,
  exeName: string | undefined,
): string | undefined {
  for (let j = k - 1; j >= 0; j--) {
    const f = inputs[j] as PlannedFile;
    if (f.name === name) return `input '${f.path}'`;
  }
  if (exeName === name) return '/executable';
  if (name === 'vmdag-mpi.sh') return 'vmdag’s launcher';
  return undefined;
}

function planStep(
  step: ComputeStep,
  i: number,
  vm: VmRequest | undefined,
  issues: PlanIssue[],
  files: { file(p: string): PlannedFile },
): PlannedStep {
  // Pointers (made only for an issue) are of the list form; compile maps them onto a single-mapping
  // `compute` when the file has one.
  // Ranks packed into as few VMs as possible; without VMs every rank gets its own slot.
  const ranksPerNode = vm ? Math.min(vm.cpus, step.cpus) : 1;
  const machineCount = Math.ceil(step.cpus / ranksPerNode);
  const exeTransferred = !isAbsolute(step.executable);
  const exeFile = exeTransferred ? files.file(step.executable) : undefined;
  const exeName = basename(step.executable);
  const inputs: PlannedFile[] = step.inputs.map((p) => files.file(p));
  // Everything lands flat in the sandbox: names must not collide (the launcher is vmdag-mpi.sh).
  for (let k = 0; k < inputs.length; k++) {
    const f = inputs[k] as PlannedFile;
    const other = occupant(inputs, f.name, k, exeTransferred ? exeName : undefined);
    if (other !== undefined) {
      issues.push({
        code: 'plan.sandbox-name-clash',
        message: `input '${f.path}' would land in the job's sandbox as '${f.name}', like ${other}`,
        pointer: `/compute/${i}/inputs/${k}`,
      });
    }
  }
  const outputs = step.outputs;
  for (let k = 0; k < outputs.length; k++) {
    const o = outputs[k] as string;
    if (o.includes('/') || o === '.' || o === '..') {
      issues.push({
        code: 'plan.output-not-a-name',
        message: `output '${o}' must be a file name in the job's working directory (no '/')`,
        pointer: `/compute/${i}/outputs/${k}`,
      });
    } else if (outputs.indexOf(o) < k) {
      issues.push({
        code: 'plan.output-duplicate',
        message: `output '${o}' is listed twice`,
        pointer: `/compute/${i}/outputs/${k}`,
      });
    }
  }
  const planned: PlannedStep = {
    name: step.name,
    after: step.after,
    mpi: step.mpi,
    ranks: step.cpus,
    machineCount,
    ranksPerNode,
    requestCpus: ranksPerNode,
    requestMemoryMiB: step.memoryMiB,
    executable: {
      path: step.executable,
      transferred: exeTransferred,
      command: exeTransferred ? `./${exeName}` : step.executable,
    },
    arguments: step.arguments,
    inputs,
    outputs: step.outputs,
    retries: step.retries,
  };
  if (exeFile !== undefined) {
    planned.executable.absPath = exeFile.absPath;
    planned.executable.dagPath = exeFile.dagPath;
  }
  if (step.walltimeSeconds !== undefined) planned.walltimeSeconds = step.walltimeSeconds;
  return planned;
}

/**
 * Node names of the special nodes: upper case, so they never equal a step's node name (step names are
 * `[a-z][a-z0-9-]*`). DAGMan compares node names case-sensitively (dag.cpp FindNodeByName: a std::map of
 * std::string, then strcmp), so steps named vms, gate, reap or stop are nodes of their own.
 */
export const VMS_NODE = 'VMS';
export const GATE_NODE = 'GATE';
export const STOP_NODE = 'STOP';
export const REAP_NODE = 'REAP';

/**
 * A step's DAG node name: the step's name, except for the two words DAGMan refuses as node names (PARENT and
 * CHILD, in any case), which become `parent_step` and `child_step`. Step names hold no `_`, so the mapped
 * name is no other step's node, and none of vmdag's own (upper case).
 */
export function stepNodeName(step: string): string {
  return step === 'parent' || step === 'child' ? `${step}_step` : step;
}

function dagFiles(name: string) {
  return {
    file: `${name}.dag`,
    configFile: `${name}.config`,
    statusFile: `${name}.status`,
    jobstateLog: `${name}.jobstate.log`,
  };
}

/**
 * The DAG's nodes and edges (and files), from each step's name and `after`. Tuned (`latency`): the first
 * steps do not wait for GATE — they are queued with the VMs and start the moment the guests match them (GATE
 * fails the DAG after its timeout through ABORT-DAG-ON), and the SERVICE node REAP removes the VMs as soon
 * as the last steps ended; REAP also watches every run's steps, with VMs or not, for one left "running" on
 * a slot that is gone or no longer claimed (vmdag-reap.sh). `defaults`: GATE is the parent of the first
 * steps, only the FINAL node removes the VMs, and no REAP.
 */
function planDag(name: string, steps: readonly PlannedStep[], withVms: boolean, tuning: Tuning): PlannedDag {
  const nodes: DagNode[] = [];
  const edges: DagEdge[] = [];
  if (withVms) {
    nodes.push({ name: VMS_NODE, kind: 'service', submitFile: 'vms.sub' });
    nodes.push({ name: GATE_NODE, kind: 'gate', submitFile: 'gate.sub' });
  }
  if (tuning === 'latency') nodes.push({ name: REAP_NODE, kind: 'reaper', submitFile: 'reap.sub' });
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as PlannedStep;
    const node = stepNodeName(s.name);
    nodes.push({ name: node, kind: 'compute', submitFile: 'compute.sub' });
    if (s.after.length === 0) {
      if (withVms && tuning === 'defaults') edges.push({ parent: GATE_NODE, child: node });
    } else {
      for (let k = 0; k < s.after.length; k++)
        edges.push({ parent: stepNodeName(s.after[k] as string), child: node });
    }
  }
  if (withVms) nodes.push({ name: STOP_NODE, kind: 'final', submitFile: 'stop.sub' });
  return { ...dagFiles(name), nodes, edges };
}
