/**
 * The site decision for one workflow file, shared by `vmdag plan` and `vmdag submit`: read the catalog and
 * the workflow (its image checked by header on the way, src/validate/image-rules.ts), ask every site's
 * collector (in parallel), gather the image facts (sha256 of an image this host can read, presence of a
 * cluster image), verify the workflow's `sha256`, and choose.
 */
import type { CondorContext } from '../condor/exec.js';
import type { LocalImages } from '../image-staging/images-folder.js';
import { stagingAt } from '../image-staging/staging-at.js';
import type { ImageDelivery, StagingDecision } from '../image-staging/staging-decision.js';
import { loadSites, loadWorkflow } from '../load-workflow.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { SiteCatalog, Workflow } from '../model/workflow.js';
import type { ParsedDocument } from '../parse/parse-yaml.js';
import type { PlannedSite } from '../plan/plan-types.js';
import { plannedSite } from '../plan/planned-site.js';
import type { ImageCheck } from '../validate/image-rules.js';
import { chooseSite, type ImageAtSite, type SiteChoice, type SiteRequest } from './choose-site.js';
import { clusterImageAt, type ImageFacts, imageFacts } from './image-facts.js';
import { LOCAL_SITE, type QueryOptions, querySites, type SiteQuery } from './query-site.js';
import type { SiteResources } from './site-resources.js';

/** What the site decision is given, resolved by the command or use case (`vmdag plan`, submit). */
export interface SiteDecisionInput {
  file: string;
  /** Site catalog file (`--sites`); default per design.md §1 discovery. */
  sites?: string;
  cwd: string;
  /** Environment of the site catalog's discovery (`VMDAG_SITES`, design.md §1). */
  env: Record<string, string | undefined>;
  /** The local pool's images folder (resolveLocalImages: `$VMDAG_IMAGES`, else /var/lib/vmdag/images). */
  localImages: LocalImages;
  ctx: CondorContext;
  query?: QueryOptions;
  /** Sites that refused this run at submit time (name → why): they do not fit, with that reason. */
  refused?: Record<string, string>;
  /**
   * This site alone (`vmdag check --site`): only it is asked, and it is chosen as a `site:` pin would choose it
   * (refused, with its reasons, when it does not fit). Default: every site, the workflow's pin if any.
   */
  only?: string;
}

export interface ImageReport {
  path: string;
  location: 'local' | 'cluster';
  transferred: boolean;
  bytes?: number;
  sha256?: string;
  /** The workflow's `sha256` checked against the file: true/false, or undefined when not checked. */
  sha256Verified?: boolean;
  /** The image checks: what the file is ("qcow2 v3, 2.0 GiB virtual"), or why it was not checked. */
  check?: ImageCheck;
  note?: string;
  /** At the chosen site: staged once per run, sent with each VM job, or used in place (src/image-staging). */
  delivery?: ImageDelivery;
  /** The staged copy's absolute path at the site (delivery `staged`). */
  stagedPath?: string;
  /** The staged copy is already there (an earlier run staged the same sha256): nothing is copied. */
  reuse?: boolean;
  /** How many times the image crosses to the cluster for this run. */
  copies?: number;
  /** Why this delivery. */
  deliveryReason?: string;
}

export interface SiteDecision {
  workflow?: Workflow;
  diagnostics: Diagnostic[];
  catalog?: SiteCatalog;
  resources?: SiteResources[];
  choice?: SiteChoice;
  image?: ImageReport;
  /** Set when the image does not match the workflow's `sha256` (also a diagnostic at `vm.image.sha256`). */
  sha256Error?: string;
  /** The chosen site for compile. */
  site?: PlannedSite;
  /** How the image reaches the chosen site's VMs (src/image-staging); `submit` acts on it. */
  staging?: StagingDecision;
}

/** The catalog's sites, or the local pool as the one site. */
export function siteQueriesOf(catalog: SiteCatalog | undefined): SiteQuery[] {
  return catalog ? catalog.sites : [LOCAL_SITE];
}

/** What the workflow asks of a site, with the plan's packing rule (ranks packed into as few VMs as possible). */
export function siteRequestOf(w: Workflow): SiteRequest {
  const vm = w.vm;
  const req: SiteRequest = {
    mode: vm ? 'vm' : 'native',
    steps: w.compute.map((s) => {
      const ranksPerNode = vm ? Math.min(vm.cpus, s.cpus) : 1;
      return {
        name: s.name,
        machineCount: Math.ceil(s.cpus / ranksPerNode),
        ranksPerNode,
        memoryMiB: s.memoryMiB,
      };
    }),
  };
  if (vm)
    req.vm = {
      hypervisor: vm.hypervisor,
      count: vm.count,
      cpus: vm.cpus,
      memoryMiB: vm.memoryMiB,
      location: vm.image.location,
    };
  if (w.site !== undefined) req.pin = w.site;
  return req;
}

async function imageReport(
  w: Workflow,
  check: ImageCheck | undefined,
): Promise<{ report?: ImageReport; error?: string }> {
  const img = w.vm?.image;
  if (!img) return {};
  const report: ImageReport = {
    path: img.absPath,
    location: img.location,
    transferred: img.location === 'local',
  };
  if (check) report.check = check;
  let facts: ImageFacts | undefined;
  // Checked: a file this host reads (always so for a valid workflow's local image).
  if (check?.checked) facts = await imageFacts(img.absPath);
  else report.note = 'size and sha256 unknown: the image is not checked here';
  if (facts) {
    report.bytes = facts.bytes;
    report.sha256 = facts.sha256;
  }
  if (img.sha256 !== undefined && facts) {
    report.sha256Verified = img.sha256.toLowerCase() === facts.sha256;
    if (!report.sha256Verified)
      return {
        report,
        error: `${img.path}: sha256 mismatch: the workflow says ${img.sha256}, the file is ${facts.sha256}`,
      };
  }
  return { report };
}

/** The sha256 mismatch, located at the workflow's `vm.image.sha256`. */
function sha256Diagnostic(doc: ParsedDocument, message: string): Diagnostic {
  const pointer = '/vm/image/sha256';
  return {
    severity: 'error',
    code: 'image.sha256-mismatch',
    message,
    file: doc.file,
    ...doc.locate(pointer),
    pointer,
  };
}

export async function decideSite(input: SiteDecisionInput): Promise<SiteDecision> {
  const io = { cwd: input.cwd, env: input.env };
  const sites = loadSites(input.sites, io);
  const loaded = loadWorkflow(input.file, sites, io);
  const diagnostics = [...sites.diagnostics, ...loaded.diagnostics];
  const workflow = loaded.workflow;
  if (!workflow || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const queries = siteQueriesOf(sites.catalog).filter(
    (q) => input.only === undefined || q.name === input.only,
  );
  const [resources, image] = await Promise.all([
    querySites(input.ctx, queries, input.query),
    imageReport(workflow, loaded.image),
  ]);
  if (image.error && loaded.doc) diagnostics.push(sha256Diagnostic(loaded.doc, image.error));
  const images: Record<string, ImageAtSite> = {};
  if (workflow.vm?.image.location === 'cluster') {
    for (const q of queries) images[q.name] = clusterImageAt(q, workflow.vm.image.absPath);
  }
  for (const r of resources) {
    const why = input.refused?.[r.name];
    if (why !== undefined && r.reachable)
      r.access = { allowed: false, error: `refused this run at submit: ${why}` };
  }
  const request = siteRequestOf(workflow);
  if (input.only !== undefined) request.pin = input.only;
  const choice = chooseSite(request, resources, images);
  const d: SiteDecision = { workflow, diagnostics, resources, choice };
  if (sites.catalog) d.catalog = sites.catalog;
  if (image.report) d.image = image.report;
  if (image.error) d.sha256Error = image.error;
  if (choice.ok) {
    const r = resources.find((x) => x.name === choice.site);
    const q = queries.find((x) => x.name === choice.site) ?? { name: choice.site };
    d.site = plannedSite({
      name: choice.site,
      pool: r?.pool,
      schedd: r?.reachable && r.pool !== undefined ? r.schedd : undefined,
      transfer: q.transfer,
      tokens: q.tokens,
    });
    if (workflow.vm && d.image && !d.sha256Error) {
      d.staging = stagingAt(q, workflow.vm, d.image, input.localImages);
      Object.assign(d.image, {
        delivery: d.staging.delivery,
        copies: d.staging.copies,
        deliveryReason: d.staging.reason,
        ...(d.staging.stagedPath !== undefined
          ? { stagedPath: d.staging.stagedPath, reuse: d.staging.reuse }
          : {}),
      });
    }
  }
  return d;
}
