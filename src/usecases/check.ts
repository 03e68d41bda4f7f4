/**
 * `check`: before submitting, does the pool (or the chosen site) accept what vmdag generated? From a workflow
 * file: the site decision of `plan`/`submit` (src/site-catalog/plan-site.ts) and compile into a scratch folder;
 * from a run directory: the run as compiled, copied to a scratch folder. There, every DAG node's submit file
 * goes through the real `condor_submit -dry-run` with the macros DAGMan would pass it, the DAG through
 * `condor_dag_checker` and `condor_submit_dag -no_submit` (and the DAGMan job it writes through -dry-run too);
 * then the site's answers: its machines against what the job ads ask (src/check/judge-run.ts), the user's right
 * to submit (condor_ping), the image where the plan expects it. Nothing is queued, staged or written outside
 * the scratch folder, which is removed at the end.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import {
  type CheckFinding,
  judgeCapacity,
  judgeStepsInVms,
  type NodeAnswer,
  refusalFinding,
  runNeeds,
} from '../check/judge-run.js';
import { compile } from '../compile.js';
import type { CompileSettings } from '../compile-options.js';
import { checkDagFile, dryRunNode, noSubmitDag, parseDagNodes, submitError } from '../condor/dry-run.js';
import { type CondorContext, runCondor } from '../condor/exec.js';
import { SUBMIT_MARKER } from '../emit/submit-marker.js';
import type { LocalImages } from '../image-staging/images-folder.js';
import { loadSites, readText } from '../load-workflow.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { type ParsedDocument, parseYaml } from '../parse/parse-yaml.js';
import type { Plan } from '../plan/plan-types.js';
import { plannedSite } from '../plan/planned-site.js';
import { clusterImageAt, probeImage } from '../site-catalog/image-facts.js';
import { decideSite, siteQueriesOf } from '../site-catalog/plan-site.js';
import { LOCAL_SITE, querySite, type SiteQuery } from '../site-catalog/query-site.js';
import type { SiteResources } from '../site-catalog/site-resources.js';
import { submitAccess } from '../site-catalog/submit-access.js';
import { judgeImage } from '../validate/image-rules.js';
import { type Failure, fail, failureOf } from './failure.js';
import { resolveSubmitOptions } from './submit.js';

/** What `check` may be given (flags); every field optional. */
export interface CheckFlags {
  /** A workflow file, or a compiled run directory. */
  target?: string;
  /** Site catalog (`--sites`). Default `$VMDAG_SITES`, else `<cwd>/sites.yaml` when present, else none. */
  sites?: string;
  /** Check against this site of the catalog (`--site`). Default: the site `plan` chooses (a file), the run's (a run). */
  site?: string;
}

export interface CheckOptions {
  target: string;
  cwd: string;
  sites?: string;
  site?: string;
  localImages: LocalImages;
  /** compile's settings, as `submit` resolves them (VMDAG_HOLD_TIMEOUT, VMDAG_GATE_TIMEOUT, VMDAG_DEFAULTS). */
  compile: CompileSettings;
  /** Where the scratch folder is made; default os.tmpdir(). */
  scratchRoot: string;
}

/** The one place check's options get their values (flag > `VMDAG_*` env > default): submit's, for the run submit would make. */
export function resolveCheckOptions(
  f: CheckFlags,
  io: { cwd: string; env: Record<string, string | undefined> },
): CheckOptions {
  const { target, cwd, localImages, compile, sites } = resolveSubmitOptions(
    { target: f.target ?? '', ...(f.sites !== undefined ? { sites: f.sites } : {}) },
    io,
  );
  return {
    target,
    cwd,
    localImages,
    compile,
    scratchRoot: tmpdir(),
    ...(sites !== undefined ? { sites } : {}),
    ...(f.site !== undefined ? { site: f.site } : {}),
  };
}

/** A problem found, located: a Diagnostic, with the DAG node and submit file it is about when there is one. */
export type CheckProblem = Diagnostic & { node?: string; submitFile?: string };

export interface CheckResult {
  ok: boolean;
  kind: 'file' | 'run';
  target: string;
  site: { name: string; pool?: string; schedd?: string; reachable: boolean };
  /** What was asked of HTCondor, in words (for the text output). */
  checked: string[];
  problems: CheckProblem[];
  /** The site did not answer: its capacity and access could not be judged. */
  unreachable: boolean;
}

/** The workflow is invalid (or its run directory unreadable): its diagnostics, nothing asked of HTCondor. */
export type CheckInvalid = { ok: false; kind: 'diagnostics'; diagnostics: Diagnostic[] };

const NO_DISCOVERY: Record<string, string | undefined> = {};

type PlanShape = Pick<Plan, 'name' | 'site' | 'mode' | 'vm' | 'steps' | 'dag' | 'send'> & {
  source: Plan['source'];
};

export async function checkRun(
  ctx: CondorContext,
  opts: CheckOptions,
): Promise<CheckResult | CheckInvalid | Failure> {
  const scratch = mkdtempSync(join(opts.scratchRoot, 'vmdag-check-'));
  try {
    return await checkIn(ctx, opts, scratch);
  } catch (e) {
    return failureOf(e);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function checkIn(
  ctx: CondorContext,
  opts: CheckOptions,
  scratch: string,
): Promise<CheckResult | CheckInvalid | Failure> {
  const target = resolve(opts.cwd, opts.target);
  const isRun = existsSync(target) && statSync(target).isDirectory();
  const runDir = join(scratch, 'run');
  const catalog = loadSites(opts.sites, { cwd: opts.cwd, env: NO_DISCOVERY });
  let site: SiteResources;
  let query: SiteQuery;
  let doc: ParsedDocument | undefined;
  const findings: CheckFinding[] = [];
  if (isRun) {
    if (!existsSync(join(target, 'plan.json')))
      return fail('usage', `${opts.target}: not a vmdag run directory (no plan.json)`);
    const plan = JSON.parse(readFileSync(join(target, 'plan.json'), 'utf8')) as PlanShape;
    if (opts.site !== undefined && opts.site !== plan.site.name)
      return fail(
        'usage',
        `${opts.target} was compiled for site ${plan.site.name}, not ${opts.site}: check the workflow file with --site ${opts.site}, or leave --site out`,
      );
    copyRun(target, runDir);
    query =
      plan.site.pool === undefined
        ? LOCAL_SITE
        : (catalog.catalog?.sites.find((s) => s.name === plan.site.name) ?? { ...plan.site });
    site = await querySite(ctx, query);
    doc = readSource(plan);
  } else {
    const d = await decideSite({
      file: opts.target,
      cwd: opts.cwd,
      env: NO_DISCOVERY,
      localImages: opts.localImages,
      ctx,
      ...(opts.sites !== undefined ? { sites: opts.sites } : {}),
      ...(opts.site !== undefined ? { only: opts.site } : {}),
    });
    if (!d.choice || !d.workflow) return { ok: false, kind: 'diagnostics', diagnostics: d.diagnostics };
    // No site fits: judged against the pinned site, else the first, so that each refusal names its value.
    const name = d.choice.ok
      ? d.choice.site
      : (opts.site ?? d.workflow.site ?? d.resources?.[0]?.name ?? 'local');
    const found = (d.resources ?? []).find((r) => r.name === name);
    if (!found) return fail('usage', d.choice.ok ? `site ${name} not found` : d.choice.error);
    site = found;
    query = siteQueriesOf(d.catalog).find((q) => q.name === name) ?? { name };
    const planned =
      d.site ??
      plannedSite({
        name,
        pool: found.pool,
        schedd: found.reachable && found.pool !== undefined ? found.schedd : undefined,
        transfer: query.transfer,
        tokens: query.tokens,
      });
    const r = await compile(opts.target, {
      ...opts.compile,
      cwd: opts.cwd,
      env: NO_DISCOVERY,
      outDir: runDir,
      ...(opts.sites !== undefined ? { sites: opts.sites } : {}),
      site: planned,
    });
    if (!r.ok) return { ok: false, kind: 'diagnostics', diagnostics: [...d.diagnostics, ...r.diagnostics] };
    // The sha256 mismatch plan reports, located at vm.image.sha256.
    if (d.sha256Error) return { ok: false, kind: 'diagnostics', diagnostics: d.diagnostics };
    doc = readSource({ source: { file: resolve(opts.cwd, opts.target), dir: '' } }, opts.target);
  }
  const plan = JSON.parse(readFileSync(join(runDir, 'plan.json'), 'utf8')) as PlanShape;
  const checked: string[] = [];
  // Files a run that travels names by base name sit beside its DAG at the site: the same here (links).
  for (const f of plan.send ?? []) {
    const abs = isAbsolute(f) ? f : resolve(plan.source.dir, f);
    if (!existsSync(join(runDir, basename(f)))) symlinkSync(abs, join(runDir, basename(f)));
  }
  const answers = await dryRunNodes(ctx, runDir, plan);
  checked.push(`condor_submit -dry-run: ${answers.length} node(s) of ${plan.dag.file}`);
  for (const a of answers.filter((x) => !x.ok))
    findings.push(refusalFinding(a, readIfThere(join(runDir, a.submitFile))));
  findings.push(...(await checkDag(ctx, runDir, plan, checked)));
  const needs = runNeeds(answers, plan.vm?.image.location ?? 'local');
  findings.push(...judgeStepsInVms(needs));
  if (site.reachable) {
    findings.push(...judgeCapacity(needs, site));
    checked.push(`the machines of site ${site.name} (${site.machines.length} machine(s), condor_status)`);
    findings.push(...(await judgeAccess(ctx, site, query, checked)));
    if (!site.schedd)
      findings.push({
        severity: 'error',
        code: 'check.no-schedd',
        message:
          site.schedds.length === 0
            ? `site ${site.name}: no schedd to submit to (the collector lists none)`
            : `site ${site.name} has several schedds (${site.schedds.join(', ')}): name one with \`schedd:\` in the site catalog`,
        pointer: '/site',
      });
  } else
    findings.push({
      severity: 'error',
      code: 'check.site-unreachable',
      message: `site ${site.name} did not answer: ${site.error}; its machines and your right to submit were not checked`,
      pointer: '/site',
    });
  findings.push(...judgeImageAt(plan, query, isRun, checked));
  const problems = findings.map((f) => locate(f, doc, isRun ? opts.target : undefined));
  return {
    ok: !problems.some((p) => p.severity === 'error'),
    kind: isRun ? 'run' : 'file',
    target: opts.target,
    site: {
      name: site.name,
      reachable: site.reachable,
      ...(site.pool !== undefined ? { pool: site.pool } : {}),
      ...(site.reachable && site.schedd !== undefined ? { schedd: site.schedd } : {}),
    },
    checked,
    problems,
    unreachable: !site.reachable,
  };
}

/** The run directory's own files (not its logs, outputs or submit records) into the scratch folder. */
function copyRun(from: string, to: string): void {
  mkdirSync(to);
  const skip = new Set(['logs', 'outputs', 'run.json', SUBMIT_MARKER]);
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (skip.has(e.name) || e.name.endsWith('.condor.sub') || !(e.isFile() || e.isSymbolicLink())) continue;
    cpSync(join(from, e.name), join(to, e.name));
  }
  mkdirSync(join(to, 'logs'));
  mkdirSync(join(to, 'outputs'));
}

function readIfThere(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** The workflow the run was compiled from, parsed for positions (absent when it is gone or unreadable). */
function readSource(plan: Pick<PlanShape, 'source'>, shownAs?: string): ParsedDocument | undefined {
  const abs = plan.source.file;
  if (!abs || !existsSync(abs)) return undefined;
  const read = readText(shownAs ?? abs, abs);
  return read.text === undefined ? undefined : parseYaml(read.text, shownAs ?? abs);
}

/** Every node's submit file through condor_submit -dry-run, two at a time (the pool is shared). */
async function dryRunNodes(ctx: CondorContext, dir: string, plan: PlanShape): Promise<NodeAnswer[]> {
  const nodes = parseDagNodes(readFileSync(join(dir, plan.dag.file), 'utf8'));
  const kinds = new Map(plan.dag.nodes.map((n) => [n.name, n.kind]));
  const stepIndex = new Map(plan.steps.map((s, i) => [s.name, i]));
  const out: NodeAnswer[] = new Array(nodes.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < nodes.length; i = next++) {
      const node = nodes[i] as (typeof nodes)[number];
      const r = await dryRunNode(ctx, dir, node);
      const idx = stepIndex.get(node.name);
      out[i] = {
        node: node.name,
        submitFile: node.submitFile,
        kind: kinds.get(node.name) ?? 'compute',
        ...(idx !== undefined ? { stepIndex: idx } : {}),
        ok: r.ok,
        ads: r.ads,
        ...(r.error !== undefined ? { error: r.error } : {}),
      };
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

/** The DAG through DAGMan's parser and condor_submit_dag -no_submit, its DAGMan job through -dry-run. */
async function checkDag(
  ctx: CondorContext,
  dir: string,
  plan: PlanShape,
  checked: string[],
): Promise<CheckFinding[]> {
  const out: CheckFinding[] = [];
  const dagFile = plan.dag.file;
  const parsed = await checkDagFile(ctx, dir, dagFile);
  if (parsed) {
    checked.push(`condor_dag_checker: ${dagFile}`);
    for (const i of parsed.issues)
      out.push({
        severity: 'error',
        code: 'check.dag-refused',
        message: `DAGMan refuses ${i.file}${i.command ? ` (${i.command})` : ''}: ${i.message}`,
        at: { file: i.file || dagFile, line: i.line ?? 1 },
      });
  } else
    checked.push('condor_dag_checker: not in this HTCondor (needs 23.4 or later); DAG syntax not checked');
  const gen = await noSubmitDag(ctx, dir, dagFile, { batchName: plan.name });
  checked.push(`condor_submit_dag -no_submit: ${dagFile}`);
  if (gen.exitCode !== 0) {
    out.push({
      severity: 'error',
      code: 'check.dag-refused',
      message: `condor_submit_dag refuses ${dagFile}: ${submitError(gen)}`,
      at: { file: dagFile, line: 1 },
    });
    return out;
  }
  const sub = `${dagFile}.condor.sub`;
  const r = await runCondor(ctx, 'condor_submit', ['-dry-run', '-', sub], { cwd: dir, allowFailure: true });
  checked.push(`condor_submit -dry-run: the DAGMan job (${sub})`);
  if (r.exitCode !== 0)
    out.push({
      severity: 'error',
      code: 'check.dag-refused',
      message: `condor_submit refuses the DAGMan job condor_submit_dag writes for ${dagFile}: ${submitError(r)}`,
      at: { file: dagFile, line: 1 },
    });
  return out;
}

/** May this user submit to the site's schedd (condor_ping WRITE)? Asked by querySite for catalog sites. */
async function judgeAccess(
  ctx: CondorContext,
  site: Extract<SiteResources, { reachable: true }>,
  query: SiteQuery,
  checked: string[],
): Promise<CheckFinding[]> {
  const access = site.access ?? (query.pool === undefined ? await submitAccess(ctx, {}) : undefined);
  if (!access) return [];
  checked.push(
    `condor_ping WRITE: schedd ${site.schedd ?? '(local)'}${access.identity ? ` as ${access.identity}` : ''}`,
  );
  if (access.allowed) return [];
  return [
    {
      severity: 'error',
      code: 'check.submit-refused-user',
      message: `site ${site.name} does not let this user submit: ${access.error ?? 'refused'}${access.fix ? ` — ${access.fix}` : ''}`,
      pointer: '/site',
    },
  ];
}

/** The image where the plan expects it: at the site (location: cluster), or here to be sent (location: local). */
function judgeImageAt(plan: PlanShape, query: SiteQuery, isRun: boolean, checked: string[]): CheckFinding[] {
  const img = plan.vm?.image;
  if (!img) return [];
  const abs = isAbsolute(img.absPath) ? img.absPath : resolve(plan.source.dir, img.absPath);
  if (img.location === 'cluster') {
    const at = clusterImageAt(query, abs);
    checked.push(`image at ${query.name}: ${at.detail}`);
    return at.state === 'missing'
      ? [
          {
            severity: 'error',
            code: 'check.image-missing',
            message: `image missing: ${at.detail}`,
            pointer: '/vm/image/path',
          },
        ]
      : [];
  }
  if (!isRun) {
    checked.push(`image ${abs}: checked by validate (here, to be sent)`);
    return [];
  }
  const { issues, check } = judgeImage(
    { path: img.path, absPath: abs, location: img.location, format: img.format, formatWritten: true },
    probeImage(abs),
  );
  checked.push(`image ${abs}: ${check.checked ? check.summary : check.reason}`);
  return issues.map((i) => ({
    severity: 'error' as const,
    code: i.code,
    message: i.message,
    pointer: i.pointer,
  }));
}

/** A finding as a Diagnostic: at the workflow's line:column when it comes from a value, else its file's line. */
function locate(
  f: CheckFinding,
  doc: ParsedDocument | undefined,
  runShown: string | undefined,
): CheckProblem {
  const extra = {
    ...(f.node !== undefined ? { node: f.node } : {}),
    ...(f.submitFile !== undefined ? { submitFile: f.submitFile } : {}),
  };
  const base = { severity: f.severity, code: f.code, message: f.message };
  if (f.pointer !== undefined && doc) {
    let pointer = f.pointer;
    const root = doc.value as { compute?: unknown } | null;
    if (root && typeof root === 'object' && !Array.isArray(root.compute) && pointer.startsWith('/compute/0'))
      pointer = `/compute${pointer.slice('/compute/0'.length)}`;
    return { ...base, file: doc.file, ...doc.locate(pointer), pointer, ...extra };
  }
  const file = f.at?.file ?? f.submitFile;
  if (file !== undefined)
    return {
      ...base,
      file: runShown ? join(runShown, file) : file,
      line: f.at?.line ?? 1,
      column: 1,
      pointer: f.pointer ?? '',
      ...extra,
    };
  return {
    ...base,
    file: doc?.file ?? runShown ?? '',
    line: 1,
    column: 1,
    pointer: f.pointer ?? '',
    ...extra,
  };
}
