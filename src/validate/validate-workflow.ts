/**
 * validate: the parsed document → diagnostics (schema, then the rules of design.md §1, then values that
 * cannot be written into a submit/DAG file), all at once, in reading order; and, when there is no error,
 * the normalised Workflow (defaults applied, sizes in MiB, durations in seconds, compute always a list).
 * Pure: the file system is reached only through `env.fileExists` and `env.probeImage`.
 */
import { isAbsolute, resolve } from 'node:path';
import { type Diagnostic, hasErrors } from '../model/diagnostic.js';
import type { ComputeStep, ImageSpec, VmRequest, Workflow } from '../model/workflow.js';
import type { ParsedDocument } from '../parse/parse-yaml.js';
import { imageRules } from './image-rules.js';
import { Reporter, sortDiagnostics } from './reporter.js';
import { buildContext, isObj, type Obj, type ValidateEnv } from './rule-context.js';
import { DEFAULT_MEMORY_MIB, rules } from './rules.js';
import { reportSchemaErrors } from './schema-errors.js';
import { validateWorkflowSchema } from './schema-validators.js';
import { parseDurationSeconds, parseMemoryMiB } from './units.js';
import { findUnsafeStrings } from './unsafe-values.js';

export type { ValidateEnv } from './rule-context.js';

export interface ValidateResult {
  workflow?: Workflow;
  diagnostics: Diagnostic[];
}

export function validateWorkflow(doc: ParsedDocument, env: ValidateEnv): ValidateResult {
  const diagnostics = [...doc.diagnostics];
  if (doc.value === undefined) return { diagnostics: sortDiagnostics(diagnostics) };
  const report = new Reporter(doc);

  const unsafe = findUnsafeStrings(doc.value);
  for (const u of unsafe) report.error(u.pointer, u.code, u.message);
  if (!validateWorkflowSchema(doc.value))
    reportSchemaErrors(validateWorkflowSchema.errors ?? [], report, new Set(unsafe.map((u) => u.pointer)));

  const ctx = buildContext(doc.value, env, report);
  for (const rule of rules) rule.check(ctx);
  for (const rule of imageRules) rule.check(ctx);

  diagnostics.push(...report.diagnostics);
  sortDiagnostics(diagnostics);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { workflow: normalise(doc.value as Obj, doc.file, env), diagnostics };
}

/** The schema-valid, rule-valid document → Workflow. */
function normalise(root: Obj, file: string, env: ValidateEnv): Workflow {
  const wf = normaliseHead(root, file, env);
  const list = Array.isArray(root.compute) ? (root.compute as Obj[]) : [root.compute as Obj];
  wf.compute = list.map(stepNormaliser(wf.vm));
  return wf;
}

/** Everything of the Workflow but its steps (compute: []), from the valid document's other keys. */
function normaliseHead(root: Obj, file: string, env: ValidateEnv): Workflow {
  const vm = isObj(root.vm) ? normaliseVm(root.vm, env) : undefined;
  const wf: Workflow = {
    version: 1,
    name: root.name as string,
    compute: [],
    source: { file, dir: env.dir },
  };
  if (typeof root.description === 'string') wf.description = root.description;
  if (vm) wf.vm = vm;
  if (typeof root.site === 'string') wf.site = root.site;
  return wf;
}

/** A valid step's value → ComputeStep, sizes and durations converted once per distinct value (10,000 steps share a few). */
function stepNormaliser(vm: VmRequest | undefined): (s: Obj) => ComputeStep {
  const mib = new Map<unknown, number>();
  const seconds = new Map<unknown, number>();
  const memoryMiB = (v: unknown): number => {
    let r = mib.get(v);
    if (r === undefined) {
      r = parseMemoryMiB(v) as number;
      mib.set(v, r);
    }
    return r;
  };
  const durationSeconds = (v: unknown): number => {
    let r = seconds.get(v);
    if (r === undefined) {
      r = parseDurationSeconds(v) as number;
      seconds.set(v, r);
    }
    return r;
  };
  return (s) => {
    const step: ComputeStep = {
      name: (s.name as string | undefined) ?? 'compute',
      after: (s.after as string[] | undefined) ?? [],
      cpus: s.cpus as number,
      memoryMiB: s.memory === undefined ? (vm?.memoryMiB ?? DEFAULT_MEMORY_MIB) : memoryMiB(s.memory),
      executable: s.executable as string,
      arguments: (s.arguments as string[] | undefined) ?? [],
      mpi: (s.mpi as ComputeStep['mpi'] | undefined) ?? 'openmpi',
      inputs: (s.inputs as string[] | undefined) ?? [],
      outputs: (s.outputs as string[] | undefined) ?? [],
      retries: (s.retries as number | undefined) ?? 0,
    };
    if (s.walltime !== undefined) step.walltimeSeconds = durationSeconds(s.walltime);
    return step;
  };
}

function normaliseVm(vm: Obj, env: ValidateEnv): VmRequest {
  const img = vm.image as Obj;
  const path = img.path as string;
  const image: ImageSpec = {
    path,
    absPath: isAbsolute(path) ? path : resolve(env.dir, path),
    location: img.location as ImageSpec['location'],
    format: (img.format as ImageSpec['format'] | undefined) ?? 'qcow2',
    differential: (img.differential as boolean | undefined) ?? false,
  };
  if (typeof img.sha256 === 'string') image.sha256 = img.sha256;
  const out: VmRequest = {
    hypervisor: vm.hypervisor as VmRequest['hypervisor'],
    image,
    count: vm.count as number,
    cpus: vm.cpus as number,
    memoryMiB: parseMemoryMiB(vm.memory) as number,
  };
  if (vm.lease !== undefined) out.leaseSeconds = parseDurationSeconds(vm.lease) as number;
  return out;
}
