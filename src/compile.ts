/**
 * compile: FILE → run directory. The one orchestrator of the pipeline read → decode → parse → validate (the
 * front end, src/load-workflow.ts) → plan → render → emit; the file system is reached only at the edges (the
 * front end, the image's size, emit), so the stages stay pure. Nothing is written when any stage reports an
 * error.
 */
import { statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { CompileSettings } from './compile-options.js';
import { EmitError, emitRunDir } from './emit/emit-run-dir.js';
import {
  type FrontEndIo,
  fileDiagnostic,
  type LoadedSites,
  loadSites,
  loadWorkflow,
} from './load-workflow.js';
import { type Diagnostic, hasErrors } from './model/diagnostic.js';
import type { SiteCatalog, Workflow } from './model/workflow.js';
import type { ParsedDocument } from './parse/parse-yaml.js';
import type { Plan, PlannedSite } from './plan/plan-types.js';
import { PlanError, type PlanOptions, planWorkflow } from './plan/plan-workflow.js';
import { LOCAL_PLANNED_SITE, plannedSite } from './plan/planned-site.js';
import { type RenderedRunDir, renderRunDir } from './render/render-run-dir.js';

/**
 * What compile() is given, resolved by its caller (the settings: resolveCompileSettings, src/compile-options.ts);
 * compile reads no environment and no process working directory of its own.
 */
export interface CompileOptions extends Partial<CompileSettings> {
  /** Run directory; default `<cwd>/<name>.run`. */
  outDir?: string;
  /** Site catalog file (`--sites`); default per design.md §1 discovery. */
  sites?: string;
  /** Folder relative paths are taken from. */
  cwd: string;
  /** Environment of the site catalog's discovery (`VMDAG_SITES`, design.md §1). */
  env: Record<string, string | undefined>;
  /** The site chosen by `vmdag plan`/`submit` (src/site-catalog); default the pinned site, else the local pool. */
  site?: PlannedSite;
  /**
   * The local image's copy staged at the site by `vmdag submit` (src/image-staging); the VM jobs then use it
   * in place instead of transferring the image with each VM. Default: not staged.
   */
  stagedImage?: { path: string; sha256: string; reused: boolean };
}

export interface CompileResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  /** The plan, when the workflow was planned. */
  plan?: Plan;
  /** Absolute run directory, when written. */
  outDir?: string;
  /** The DAG file's path inside outDir. */
  dag?: string;
  /** Files written, relative to outDir. */
  files?: string[];
}

function fail(file: string, code: string, message: string): CompileResult {
  return { ok: false, diagnostics: [fileDiagnostic(file, code, message)] };
}

type Issue = { code: string; message: string; pointer: string };

/** Plan and render speak of `/compute/N`; a file with one `compute` mapping has it at `/compute`. */
function issueLocator(doc: ParsedDocument): (issue: Issue) => Diagnostic {
  const root = doc.value as { compute?: unknown } | null;
  const single = root !== null && typeof root === 'object' && !Array.isArray(root.compute);
  const { file, locate } = doc;
  return (issue) => {
    let pointer = issue.pointer;
    if (single && pointer.startsWith('/compute/0')) pointer = `/compute${pointer.slice('/compute/0'.length)}`;
    const at = locate(pointer);
    return { severity: 'error', code: issue.code, message: issue.message, file, ...at, pointer };
  };
}

function siteOf(workflow: Workflow, catalog: SiteCatalog | undefined): PlannedSite {
  const s = workflow.site ? catalog?.sites.find((x) => x.name === workflow.site) : undefined;
  return s ? plannedSite(s) : LOCAL_PLANNED_SITE;
}

/**
 * What plan needs besides the workflow: the site, the local image's size (stat'ed here, at the edge), the
 * staged image, and the resolved settings (an invalid one: the failed result).
 */
function planOptions(
  workflow: Workflow,
  catalog: SiteCatalog | undefined,
  file: string,
  opts: Omit<CompileOptions, 'cwd' | 'env'>,
): PlanOptions | CompileResult {
  let imageBytes = 0;
  if (workflow.vm?.image.location === 'local') {
    try {
      imageBytes = statSync(workflow.vm.image.absPath).size;
    } catch {
      // validate already checked it exists; a race leaves the size unknown (0)
    }
  }
  if (opts.invalid) return fail(file, opts.invalid.code, opts.invalid.message);
  const { holdRemoveSeconds, gateTimeoutSeconds } = opts;
  return {
    tuning: opts.tuning ?? 'latency',
    site: opts.site ?? siteOf(workflow, catalog),
    imageBytes,
    ...(opts.stagedImage ? { stagedImage: opts.stagedImage } : {}),
    ...(holdRemoveSeconds !== undefined ? { holdRemoveSeconds } : {}),
    ...(gateTimeoutSeconds !== undefined ? { gateTimeoutSeconds } : {}),
  };
}

type Planned = { plan: Plan; diagnostics: Diagnostic[]; locate: (i: Issue) => Diagnostic };
type Failed = { ok: false; diagnostics: Diagnostic[] };

/**
 * The front end and plan: the plan, or the result of a failure. Its own function so that the parsed value
 * and the validated workflow are garbage once planned: only the plan is alive while the run directory is
 * rendered and written.
 */
function planFile(
  file: string,
  sites: LoadedSites,
  opts: Omit<CompileOptions, 'cwd' | 'env'>,
  io: FrontEndIo,
): Planned | Failed {
  const loaded = loadWorkflow(file, sites, io);
  // An unreadable file is the only problem worth saying.
  if (!loaded.doc) return { ok: false, diagnostics: loaded.diagnostics };
  const diagnostics = [...sites.diagnostics, ...loaded.diagnostics];
  const workflow = loaded.workflow;
  if (!workflow || hasErrors(diagnostics)) return { ok: false, diagnostics };
  const locate = issueLocator(loaded.doc);
  const options = planOptions(workflow, sites.catalog, file, opts);
  if ('ok' in options) return { ok: false, diagnostics: options.diagnostics };
  try {
    return { plan: planWorkflow(workflow, options), diagnostics, locate };
  } catch (e) {
    if (!(e instanceof PlanError)) throw e;
    return { ok: false, diagnostics: [...diagnostics, ...e.issues.map(locate)] };
  }
}

/** A workflow rendered in memory: every check of compile passed, nothing written yet. */
export type Rendered = { ok: true; diagnostics: Diagnostic[]; plan: Plan; run: RenderedRunDir } | Failed;

/**
 * Every stage of compile but emit: read, decode, parse, validate, plan, render. `vmdag validate` runs this,
 * so that a file it calls valid is one compile writes. The diagnostics include the catalog's (`sites`).
 */
export function renderWorkflow(
  file: string,
  sites: LoadedSites,
  opts: Omit<CompileOptions, 'cwd' | 'env'>,
  io: FrontEndIo,
): Rendered {
  const planned = planFile(file, sites, opts, io);
  if (!('locate' in planned)) return planned;
  const { plan, diagnostics, locate } = planned;
  const rendered = renderRunDir(plan);
  if (!rendered.ok) return { ok: false, diagnostics: [...diagnostics, ...rendered.issues.map(locate)] };
  return { ok: true, diagnostics, plan, run: rendered.run };
}

export async function compile(file: string, opts: CompileOptions): Promise<CompileResult> {
  const { cwd } = opts;
  const io = { cwd, env: opts.env };
  const rendered = renderWorkflow(file, loadSites(opts.sites, io), opts, io);
  if (!rendered.ok) return rendered;
  const { plan, diagnostics } = rendered;
  const outDir = resolve(cwd, opts.outDir ?? `${plan.name}.run`);
  // The run directory replaces DIR as a whole: never the folder vmdag runs in or one holding it.
  const rel = relative(outDir, cwd);
  if (opts.outDir === '' || rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    const shown = opts.outDir === '' ? "''" : opts.outDir;
    const why = `the run directory ${shown} is the current folder or holds it; give a folder of its own with -o`;
    return {
      ok: false,
      diagnostics: [...diagnostics, ...fail(opts.outDir ?? outDir, 'emit.refused', why).diagnostics],
    };
  }
  try {
    const written = emitRunDir(outDir, rendered.run);
    return {
      ok: true,
      diagnostics,
      plan,
      outDir: written.outDir,
      dag: join(written.outDir, plan.dag.file),
      files: written.files,
    };
  } catch (e) {
    if (!(e instanceof EmitError)) throw e;
    const failed = fail(opts.outDir ?? outDir, 'emit.failed', e.message);
    return { ok: false, diagnostics: [...diagnostics, ...failed.diagnostics] };
  }
}
