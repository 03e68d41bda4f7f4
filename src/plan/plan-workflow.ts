/**
 * plan: Workflow → Plan. Pure: no file system, no clock. Decides how ranks are packed into VMs, what each job
 * transfers, and the DAG's nodes and edges (see docs/architecture.md for the shape and why).
 */
import { basename, isAbsolute, resolve } from 'node:path';
import type { ComputeStep, VmRequest, Workflow } from '../model/workflow.js';
import type {
  DagEdge,
  DagNode,
  Plan,
  PlannedFile,
  PlannedSite,
  PlannedStep,
  PlannedVms,
} from './plan-types.js';

export interface PlanOptions {
  /** Where the DAG runs; default: the local pool (`{name: 'local'}`). */
  site?: PlannedSite;
  /** Size of a transferred image in bytes (the compile edge stats it); default 0. */
  imageBytes?: number;
  /** Gate timeout; default 600 s + 30 s per VM. */
  gateTimeoutSeconds?: number;
  /** How long a held job may stay held before it is removed; default 300 s. */
  holdRemoveSeconds?: number;
  /** How long the FINAL node waits for the VM jobs to leave the queue; default 300 s. */
  stopTimeoutSeconds?: number;
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
  const holdRemoveSeconds = opts.holdRemoveSeconds ?? 300;
  const vm = workflow.vm ? planVms(workflow.vm, opts) : undefined;
  const resolved = new Map<string, string>();
  const steps = workflow.compute.map((step, i) => planStep(workflow, step, i, workflow.vm, issues, resolved));
  if (issues.length > 0) throw new PlanError(issues);
  const plan: Plan = {
    version: 1,
    name: workflow.name,
    source: { file: workflow.source.file, dir: workflow.source.dir },
    site: opts.site ?? { name: 'local' },
    mode: vm ? 'vm' : 'native',
    steps,
    holdRemoveSeconds,
    dag: planDag(workflow.name, steps, vm !== undefined),
  };
  if (workflow.description !== undefined) plan.description = workflow.description;
  if (vm) plan.vm = vm;
  return plan;
}

function planVms(req: VmRequest, opts: PlanOptions): PlannedVms {
  const transferred = req.image.location === 'local';
  const imageKiB = transferred ? Math.ceil((opts.imageBytes ?? 0) / 1024) : 0;
  const vms: PlannedVms = {
    hypervisor: req.hypervisor,
    count: req.count,
    cpus: req.cpus,
    memoryMiB: req.memoryMiB,
    image: {
      path: req.image.path,
      absPath: req.image.absPath,
      location: req.image.location,
      format: req.image.format,
      differential: req.image.differential,
      transferred,
      diskFile: transferred ? basename(req.image.absPath) : req.image.absPath,
      device: req.hypervisor === 'xen' ? 'xvda' : 'vda',
      access: req.image.differential ? 'r' : 'w',
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
  if (req.image.sha256 !== undefined) vms.image.sha256 = req.image.sha256;
  if (req.leaseSeconds !== undefined) vms.leaseSeconds = req.leaseSeconds;
  return vms;
}

function planStep(
  workflow: Workflow,
  step: ComputeStep,
  i: number,
  vm: VmRequest | undefined,
  issues: PlanIssue[],
  resolved: Map<string, string>,
): PlannedStep {
  const dir = workflow.source.dir;
  const abs = (p: string): string => {
    let r = resolved.get(p);
    if (r === undefined) {
      r = isAbsolute(p) ? p : resolve(dir, p);
      resolved.set(p, r);
    }
    return r;
  };
  // Always the list form; compile maps it onto a single-mapping `compute` when the file has one.
  const at = `/compute/${i}`;
  // Ranks packed into as few VMs as possible; without VMs every rank gets its own slot.
  const ranksPerNode = vm ? Math.min(vm.cpus, step.cpus) : 1;
  const machineCount = Math.ceil(step.cpus / ranksPerNode);
  const exeTransferred = !isAbsolute(step.executable);
  const exeAbs = exeTransferred ? abs(step.executable) : undefined;
  const exeName = basename(step.executable);
  const inputs: PlannedFile[] = step.inputs.map((p) => {
    const absPath = abs(p);
    return { path: p, absPath, name: basename(absPath) };
  });
  // Everything lands flat in the sandbox: names must not collide (the launcher is vmdag-mpi.sh).
  const seen = new Map<string, string>([['vmdag-mpi.sh', 'vmdag’s launcher']]);
  if (exeTransferred) seen.set(exeName, `/executable`);
  inputs.forEach((f, k) => {
    const other = seen.get(f.name);
    if (other !== undefined) {
      issues.push({
        code: 'plan.sandbox-name-clash',
        message: `input '${f.path}' would land in the job's sandbox as '${f.name}', like ${other}`,
        pointer: `${at}/inputs/${k}`,
      });
    }
    seen.set(f.name, `input '${f.path}'`);
  });
  const outSeen = new Set<string>();
  step.outputs.forEach((o, k) => {
    if (o.includes('/') || o === '.' || o === '..') {
      issues.push({
        code: 'plan.output-not-a-name',
        message: `output '${o}' must be a file name in the job's working directory (no '/')`,
        pointer: `${at}/outputs/${k}`,
      });
    } else if (outSeen.has(o)) {
      issues.push({
        code: 'plan.output-duplicate',
        message: `output '${o}' is listed twice`,
        pointer: `${at}/outputs/${k}`,
      });
    }
    outSeen.add(o);
  });
  const planned: PlannedStep = {
    name: step.name,
    after: [...step.after],
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
    arguments: [...step.arguments],
    inputs,
    outputs: [...step.outputs],
    retries: step.retries,
  };
  if (exeAbs !== undefined) planned.executable.absPath = exeAbs;
  if (step.walltimeSeconds !== undefined) planned.walltimeSeconds = step.walltimeSeconds;
  return planned;
}

/** Node names of the special nodes: upper case, so they never collide with step names (`[a-z]…`). */
export const VMS_NODE = 'VMS';
export const GATE_NODE = 'GATE';
export const STOP_NODE = 'STOP';

function planDag(name: string, steps: PlannedStep[], withVms: boolean) {
  const nodes: DagNode[] = [];
  const edges: DagEdge[] = [];
  if (withVms) {
    nodes.push({ name: VMS_NODE, kind: 'service', submitFile: 'vms.sub' });
    nodes.push({ name: GATE_NODE, kind: 'gate', submitFile: 'gate.sub' });
  }
  for (const s of steps) {
    nodes.push({ name: s.name, kind: 'compute', submitFile: 'compute.sub' });
    if (s.after.length === 0) {
      if (withVms) edges.push({ parent: GATE_NODE, child: s.name });
    } else {
      for (const a of s.after) edges.push({ parent: a, child: s.name });
    }
  }
  if (withVms) nodes.push({ name: STOP_NODE, kind: 'final', submitFile: 'stop.sub' });
  return {
    file: `${name}.dag`,
    configFile: `${name}.config`,
    statusFile: `${name}.status`,
    jobstateLog: `${name}.jobstate.log`,
    nodes,
    edges,
  };
}
