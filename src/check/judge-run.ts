/**
 * `vmdag check`'s judgement, pure: from what HTCondor made of each DAG node's submit file (the dry-run job ads,
 * src/condor/dry-run.ts) and what the site's collector says it has (src/site-catalog), the problems the run
 * would meet — each tied to the workflow value it comes from (a JSON pointer) where there is one, else to its
 * node and submit file. The site's capacity is judged by the same rules `vmdag plan` chooses a site by
 * (chooseSite), asked one question at a time so that each refusal names the value to change.
 */
import type { DryRunAd } from '../condor/dry-run.js';
import type { Hypervisor, ImageLocation } from '../model/workflow.js';
import { chooseSite, type SiteRequest, type StepNeed } from '../site-catalog/choose-site.js';
import type { ReachableSite, SiteResources } from '../site-catalog/site-resources.js';

export interface CheckFinding {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** The workflow value it comes from, e.g. `/compute/0/memory`, when there is one. */
  pointer?: string;
  /** The DAG node and its submit file, when it is about one. */
  node?: string;
  submitFile?: string;
  /** A line of a run directory file (the submit command, the DAG's line). */
  at?: { file: string; line: number };
}

/** A node as the check saw it: its plan kind, its step's index in the workflow, HTCondor's answer. */
export interface NodeAnswer {
  node: string;
  submitFile: string;
  kind: 'service' | 'gate' | 'compute' | 'final' | 'reaper';
  /** Index of the step in the workflow's `compute` (compute nodes). */
  stepIndex?: number;
  ok: boolean;
  ads: DryRunAd[];
  error?: string;
}

/** Workflow value and submit command behind a job attribute (for locating HTCondor's complaints). */
const STEP_ATTRS: Record<string, { key: string; command: string }> = {
  RequestMemory: { key: 'memory', command: 'request_memory' },
  RequestCpus: { key: 'cpus', command: 'request_cpus' },
  MaxHosts: { key: 'cpus', command: 'machine_count' },
  MinHosts: { key: 'cpus', command: 'machine_count' },
  Args: { key: 'arguments', command: 'arguments' },
  Arguments: { key: 'arguments', command: 'arguments' },
  TransferInput: { key: 'inputs', command: 'transfer_input_files' },
  TransferOutputRemaps: { key: 'outputs', command: 'transfer_output_remaps' },
  PeriodicRemove: { key: 'walltime', command: 'periodic_remove' },
};
const VM_ATTRS: Record<string, { key: string; command: string }> = {
  JobVMMemory: { key: 'memory', command: 'vm_memory' },
  RequestMemory: { key: 'memory', command: 'request_memory' },
  JobVM_VCPUS: { key: 'cpus', command: 'vm_vcpus' },
  JobVMType: { key: 'hypervisor', command: 'vm_type' },
  VMPARAM_vm_Disk: { key: 'image/path', command: 'vm_disk' },
  TransferInput: { key: 'image/path', command: 'transfer_input_files' },
};

/** The attribute a condor_submit error names (`RequestMemory = 12QB`), if any. */
export function attributeOf(error: string): string | undefined {
  return /\b([A-Z][A-Za-z0-9_]*)\s*=/.exec(error)?.[1];
}

export function stepPointer(index: number, key?: string): string {
  return `/compute/${index}${key ? `/${key}` : ''}`;
}

/** The 1-based line of a submit file that sets `command` (`request_memory = …`), if any. */
export function commandLine(submitText: string, command: string): number | undefined {
  const lines = submitText.split('\n');
  const re = new RegExp(`^\\s*${command}\\s*=`, 'i');
  const i = lines.findIndex((l) => re.test(l));
  return i < 0 ? undefined : i + 1;
}

/** A submit file HTCondor refused: where it comes from (the attribute's workflow value, its submit line). */
export function refusalFinding(a: NodeAnswer, submitText: string | undefined): CheckFinding {
  const attr = attributeOf(a.error ?? '');
  const table = a.kind === 'service' ? VM_ATTRS : a.kind === 'compute' ? STEP_ATTRS : {};
  const what = attr ? table[attr] : undefined;
  const f: CheckFinding = {
    severity: 'error',
    code: 'check.submit-refused',
    message: `condor_submit refuses ${a.submitFile} for node ${a.node}: ${a.error ?? 'refused'}`,
    node: a.node,
    submitFile: a.submitFile,
  };
  if (what && a.kind === 'service') f.pointer = `/vm/${what.key}`;
  if (what && a.kind === 'compute' && a.stepIndex !== undefined)
    f.pointer = stepPointer(a.stepIndex, what.key);
  const line = what && submitText ? commandLine(submitText, what.command) : undefined;
  if (line) f.at = { file: a.submitFile, line };
  return f;
}

function num(ad: DryRunAd | undefined, attr: string): number | undefined {
  const v = ad?.[attr];
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

function str(ad: DryRunAd | undefined, attr: string): string | undefined {
  const v = ad?.[attr];
  return v === undefined ? undefined : v.replace(/^"(.*)"$/, '$1');
}

export interface RunNeeds {
  vm?: NonNullable<SiteRequest['vm']> & { node: string; submitFile: string };
  steps: (StepNeed & { node: string; submitFile: string; stepIndex: number })[];
}

/**
 * What the run asks of the site, as HTCondor will see it: the VMs from the VM node's ads (`JobVMType`,
 * `JobVM_VCPUS`, `JobVMMemory`, one ad per VM), each compute node from its ad (`MaxHosts` nodes of
 * `RequestCpus` cores and `RequestMemory` MiB). Nodes HTCondor refused are left out (already a problem).
 */
export function runNeeds(answers: readonly NodeAnswer[], imageLocation: ImageLocation = 'local'): RunNeeds {
  const needs: RunNeeds = { steps: [] };
  for (const a of answers) {
    const ad = a.ads[0];
    if (!a.ok || !ad) continue;
    if (a.kind === 'service' && str(ad, 'JobVMType') !== undefined) {
      needs.vm = {
        node: a.node,
        submitFile: a.submitFile,
        hypervisor: (str(ad, 'JobVMType') ?? 'kvm').toLowerCase() as Hypervisor,
        count: a.ads.length,
        cpus: num(ad, 'JobVM_VCPUS') ?? num(ad, 'RequestCpus') ?? 1,
        memoryMiB: num(ad, 'JobVMMemory') ?? num(ad, 'RequestMemory') ?? 0,
        location: imageLocation,
      };
    } else if (a.kind === 'compute' && a.stepIndex !== undefined) {
      needs.steps.push({
        node: a.node,
        submitFile: a.submitFile,
        stepIndex: a.stepIndex,
        name: a.node,
        machineCount: num(ad, 'MaxHosts') ?? 1,
        ranksPerNode: num(ad, 'RequestCpus') ?? 1,
        memoryMiB: num(ad, 'RequestMemory') ?? 0,
      });
    }
  }
  return needs;
}

/** The site's capacity alone: its access, schedd and images are judged apart. */
function capacityOnly(site: ReachableSite): ReachableSite {
  return { ...site, access: undefined, schedd: site.schedd ?? 'any' };
}

function fits(req: SiteRequest, site: SiteResources): { fits: boolean; reasons: string[] } {
  const v = chooseSite(req, [site]).verdicts[0];
  return { fits: v?.fits ?? false, reasons: v?.reasons ?? [] };
}

/**
 * Whether the site's machines can hold what the run asks (the rules of `vmdag plan`): the VMs on VM-capable
 * machines of their hypervisor, or each native step on dedicated slots. A refusal names the value to change:
 * the hypervisor, one VM's memory or cores, or their count; a step's memory or cores.
 */
export function judgeCapacity(needs: RunNeeds, siteIn: SiteResources): CheckFinding[] {
  if (!siteIn.reachable) return [];
  const site = capacityOnly(siteIn);
  const out: CheckFinding[] = [];
  const vm = needs.vm;
  if (vm) {
    const whole = fits({ mode: 'vm', vm: { ...vm, location: 'local' }, steps: [] }, site);
    if (!whole.fits) {
      const one = fits({ mode: 'vm', vm: { ...vm, count: 1, location: 'local' }, steps: [] }, site);
      const oneCore = fits(
        { mode: 'vm', vm: { ...vm, count: 1, cpus: 1, location: 'local' }, steps: [] },
        site,
      );
      const typed = site.machines.some((m) => m.hasVm && m.vmType === vm.hypervisor);
      const key = !typed ? 'hypervisor' : one.fits ? 'count' : oneCore.fits ? 'cpus' : 'memory';
      out.push({
        severity: 'error',
        code: 'check.site-capacity',
        message: `site ${site.name} cannot run the VMs: ${whole.reasons.join('; ')}`,
        pointer: `/vm/${key}`,
        node: vm.node,
        submitFile: vm.submitFile,
      });
    }
    return out;
  }
  for (const step of needs.steps) {
    const whole = fits({ mode: 'native', steps: [step] }, site);
    if (whole.fits) continue;
    const lean = fits({ mode: 'native', steps: [{ ...step, memoryMiB: 1 }] }, site);
    out.push({
      severity: 'error',
      code: 'check.site-capacity',
      message: `site ${site.name} cannot run step ${step.node}: ${whole.reasons.join('; ')}`,
      pointer: stepPointer(step.stepIndex, lean.fits ? 'memory' : 'cpus'),
      node: step.node,
      submitFile: step.submitFile,
    });
  }
  return out;
}

/**
 * In VM mode a step runs on the run's own guests, each offering its VM's cores and memory: a step asking more
 * per node (or more nodes than there are VMs) never starts (validate refuses such a workflow; a run directory
 * may have been changed since).
 */
export function judgeStepsInVms(needs: RunNeeds): CheckFinding[] {
  const vm = needs.vm;
  if (!vm) return [];
  const out: CheckFinding[] = [];
  for (const s of needs.steps) {
    const over: [string, string][] = [];
    if (s.memoryMiB > vm.memoryMiB)
      over.push(['memory', `${s.memoryMiB} MiB per node, a VM has ${vm.memoryMiB}`]);
    if (s.ranksPerNode > vm.cpus)
      over.push(['cpus', `${s.ranksPerNode} cores per node, a VM has ${vm.cpus}`]);
    if (s.machineCount > vm.count) over.push(['cpus', `${s.machineCount} nodes, there are ${vm.count} VMs`]);
    for (const [key, why] of over)
      out.push({
        severity: 'error',
        code: 'check.step-exceeds-vms',
        message: `step ${s.node} can never start on this run's VMs: it asks ${why}`,
        pointer: stepPointer(s.stepIndex, key),
        node: s.node,
        submitFile: s.submitFile,
      });
  }
  return out;
}
