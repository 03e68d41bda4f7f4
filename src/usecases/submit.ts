/**
 * `submit`: from a workflow file, choose the site from the live resources (src/site-catalog), stage a local image
 * once for the run (src/image-staging), compile for that site; then submit the run directory's DAG, guarded against
 * resubmits: a directory with run.json is refused, and an interrupted submit (its marker left) adopts the DAG
 * that reached the schedd instead of submitting a second one. Records run.json.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile } from '../compile.js';
import { type CompileSettings, resolveCompileSettings } from '../compile-options.js';
import { findSubmittedDag, locateSchedd, submitDag, targetContext } from '../condor/dag-run.js';
import { CondorCommandError, type CondorContext } from '../condor/exec.js';
import { SPOOL_SCRIPT, SPOOL_SUMS, spoolDag } from '../condor/spool-dag.js';
import { readSubmitMarker, removeSubmitMarker, writeSubmitMarker } from '../emit/submit-marker.js';
import { writeRunRecord } from '../emit/write-run-record.js';
import { type LocalImages, resolveLocalImages } from '../image-staging/images-folder.js';
import { stageImage } from '../image-staging/stage-image.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { RunLayout, RunRecord } from '../model/run.js';
import { decideSite, type SiteDecision } from '../site-catalog/plan-site.js';
import { writeScheddFiles } from '../site-catalog/schedd-files.js';
import { accessFix, submitAccess } from '../site-catalog/submit-access.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { findSitesFile } from '../validate/find-sites.js';
import { type Failure, fail, failureOf } from './failure.js';

/** What `submit` may be given (flags); every field optional. */
export interface SubmitFlags {
  /** A workflow file, or a compiled run directory. Default '' (no such file). */
  target?: string;
  /** Run directory when compiling (`-o`). Default `<cwd>/<name>.run` (compile's). */
  output?: string;
  /**
   * Site catalog file (`--sites`). Default `$VMDAG_SITES`, else `<cwd>/sites.yaml` when it exists, else none:
   * the local pool is the one site (design.md §1).
   */
  sites?: string;
}

/** The options of submitRun, every one resolved. Paths are as given (for messages); `cwd` resolves them. */
export interface SubmitOptions {
  target: string;
  output?: string;
  /** The site catalog found (flag > VMDAG_SITES > ./sites.yaml), if any. */
  sites?: string;
  cwd: string;
  /** The local pool's images folder: `$VMDAG_IMAGES`, else /var/lib/vmdag/images (docs/sites.md). */
  localImages: LocalImages;
  /**
   * compile's settings: `$VMDAG_HOLD_TIMEOUT` (else 300), `$VMDAG_GATE_TIMEOUT` (else 600 + 30 per VM),
   * `$VMDAG_DEFAULTS` (else the latency tuning); docs/reliability.md.
   */
  compile: CompileSettings;
}

/**
 * The one place submit's options get their values (flag > `VMDAG_*` env > default); the site catalog is
 * looked for here, once.
 */
export function resolveSubmitOptions(
  f: SubmitFlags,
  io: { cwd: string; env: Record<string, string | undefined> },
): SubmitOptions {
  const sites = findSitesFile({
    ...(f.sites !== undefined ? { flag: f.sites } : {}),
    env: io.env,
    cwd: io.cwd,
    fileExists: existsSync,
  });
  return {
    target: f.target ?? '',
    cwd: io.cwd,
    localImages: resolveLocalImages(io.env, io.cwd),
    compile: resolveCompileSettings({}, io.env),
    ...(f.output !== undefined ? { output: f.output } : {}),
    ...(sites ? { sites: sites.file } : {}),
  };
}

/** What a submit reports as it goes (image staging can take a while). */
export type SubmitEvent =
  /** The chosen site refused the run at submit time; the next fitting site is tried. */
  | { kind: 'site-refused'; site: string; message: string }
  /** The local image is not staged: it travels with each VM job, or is not sent at all (`reason`). */
  | { kind: 'image-not-staged'; path: string; reason: string }
  /** The local image was staged once for this run at the site (or an earlier copy of it reused). */
  | {
      kind: 'image-staged';
      source: string;
      path: string;
      bytes: number;
      sha256: string;
      reused: boolean;
      ms: number;
    };

export interface SubmitResult {
  ok: true;
  dagmanJobId: number;
  /** The run directory (absolute). */
  outDir: string;
  /** The run's name (its DAG's). */
  name: string;
  site: string;
  /** An interrupted submit's DAG had reached the schedd and was taken up rather than submitted again. */
  adopted: boolean;
}

export type SubmitFailure =
  | Failure
  /** No site fits: the decision says why. */
  | { ok: false; kind: 'site'; message: string; decision: SiteDecision }
  /** The workflow (or catalog) is invalid, its image among them, or the image is not the workflow's sha256. */
  | { ok: false; kind: 'diagnostics'; diagnostics: Diagnostic[] };

interface PlanSite {
  site?: { name?: string; pool?: string; schedd?: string; transfer?: string; tokens?: string };
  /** Files the run sends from elsewhere (absolute paths), for a site with `transfer: spool`. */
  send?: string[];
}

/**
 * The environment handed to the site decision and compile: none. resolveSubmitOptions already looked for the
 * catalog (flag > VMDAG_SITES > ./sites.yaml); `sites` is what it found, and without it no catalog is.
 */
const NO_DISCOVERY: Record<string, string | undefined> = {};

/** Stage the image when the decision says so. */
async function stageForRun(
  d: SiteDecision,
  onEvent: (e: SubmitEvent) => void,
): Promise<{ path: string; sha256: string; reused: boolean } | undefined> {
  const st = d.staging;
  const img = d.image;
  if (!st || !img || st.delivery === 'in-place') return undefined;
  if (st.delivery === 'per-vm' || st.stagedPath === undefined || img.sha256 === undefined) {
    onEvent({ kind: 'image-not-staged', path: img.path, reason: st.reason });
    return undefined;
  }
  const r = await stageImage({
    source: img.path,
    target: st.stagedPath,
    sha256: img.sha256,
    bytes: img.bytes ?? 0,
    ...(st.createFolder ? { createFolder: true } : {}),
  });
  onEvent({
    kind: 'image-staged',
    source: img.path,
    path: r.path,
    bytes: r.bytes,
    sha256: img.sha256,
    reused: r.reused,
    ms: r.ms,
  });
  return { path: r.path, sha256: img.sha256, reused: r.reused };
}

/** The run directory to submit: the target itself, one an earlier submit left, or a fresh compile. */
async function runDirectory(
  ctx: CondorContext,
  opts: SubmitOptions,
  onEvent: (e: SubmitEvent) => void,
  refused: Record<string, string> = {},
): Promise<{ ok: true; dir: string; compiled?: boolean } | SubmitFailure> {
  const target = resolve(opts.cwd, opts.target);
  if (existsSync(target) && statSync(target).isDirectory()) return { ok: true, dir: target };
  const output = opts.output === undefined ? undefined : resolve(opts.cwd, opts.output);
  // Run again after an interrupted (or finished) submit: take up that run directory, do not recompile.
  if (output && (readRunRecord(output) || readSubmitMarker(output))) return { ok: true, dir: output };
  // Check the workflow and its image, choose the site from the live resources, verify the image's sha256,
  // then compile for it.
  const decided = await decideSite({
    file: opts.target,
    cwd: opts.cwd,
    env: NO_DISCOVERY,
    localImages: opts.localImages,
    ctx,
    refused,
    ...(opts.sites !== undefined ? { sites: opts.sites } : {}),
  });
  // An invalid workflow (a bad image among its problems) or an image that is not the workflow's sha256:
  // its diagnostics, before anything is staged, written or submitted.
  if (!decided.choice || decided.sha256Error)
    return { ok: false, kind: 'diagnostics', diagnostics: decided.diagnostics };
  if (!decided.choice.ok)
    return { ok: false, kind: 'site', message: decided.choice.error, decision: decided };
  // A local image travels once per run: staged into the site's images folder when it has one this host can
  // write, else sent with each VM job by HTCondor.
  const stagedImage = await stageForRun(decided, onEvent);
  const r = await compile(opts.target, {
    ...opts.compile,
    cwd: opts.cwd,
    env: NO_DISCOVERY,
    ...(opts.output !== undefined ? { outDir: opts.output } : {}),
    ...(opts.sites !== undefined ? { sites: opts.sites } : {}),
    ...(decided.site ? { site: decided.site } : {}),
    ...(stagedImage ? { stagedImage } : {}),
  });
  if (!r.ok || r.outDir === undefined) return { ok: false, kind: 'diagnostics', diagnostics: r.diagnostics };
  return { ok: true, dir: r.outDir, compiled: true };
}

/**
 * A run that travels to its site (`transfer: spool`): check that the site's schedd lets this user submit
 * (before anything is sent), then spool the run directory and the files it sends with the DAGMan job.
 */
async function submitSpooled(
  ctx: CondorContext,
  dir: string,
  layout: RunLayout,
  site: {
    site: string;
    pool: string;
    schedd: string;
    tokens?: string;
    send: string[];
    refusedBy: { site: string; error: string }[];
  },
): Promise<SubmitResult | (SubmitFailure & { refusedBy?: string })> {
  const target = { pool: site.pool, schedd: site.schedd, ...(site.tokens ? { tokens: site.tokens } : {}) };
  const interrupted = readSubmitMarker(dir);
  let dagmanJobId = interrupted
    ? await findSubmittedDag(ctx, interrupted.token, { target, waitMs: 20_000 })
    : undefined;
  const adopted = dagmanJobId !== undefined;
  let sent: RunRecord['sent'];
  if (dagmanJobId === undefined) {
    const access = await submitAccess(ctx, target);
    if (!access.allowed) {
      removeSubmitMarker(dir);
      return refusal(
        site.site,
        'invalid',
        `site ${site.site} (schedd ${site.schedd}, pool ${site.pool}) does not let this user submit: ${access.error}; nothing was sent — ${accessFix(site.site, site.tokens)}`,
      );
    }
    const token = randomUUID();
    writeSubmitMarker(dir, { token, startedAt: new Date().toISOString(), pid: process.pid });
    let r: Awaited<ReturnType<typeof spoolDag>>;
    try {
      r = await spoolDag(targetContext(ctx, target), dir, layout.dagFile, {
        name: layout.name,
        target,
        send: site.send,
        batchName: layout.name,
        appends: [
          `My.VmdagSubmitId = "${token}"`,
          // As for a local run (submitDag): a schedd restart does not hold DAGMan back for its cool-down.
          'My.DisableCoolDown = NumJobStarts < 10',
        ],
      });
    } catch (e) {
      // The site's schedd refused the job (a submit requirement, a quota, gone): nothing of it is queued.
      if (!(e instanceof CondorCommandError) || e.result.command !== 'condor_submit') throw e;
      // condor_submit -spool queues the job before it sends the files: a failure while sending can leave it
      // there (held, "Spooling input data files"). Then it is not a refusal: say so, and try no other site.
      const left = await findSubmittedDag(ctx, token, { target, waitMs: 0 }).catch(() => -1);
      if (left !== undefined) {
        throw new Error(
          `${e.message} — and a DAGMan job of this attempt may be queued at ${site.site} (${left === -1 ? 'its queue did not answer' : `job ${left}`}); nothing was sent elsewhere: look with condor_q -pool ${site.pool} -name ${site.schedd}`,
        );
      }
      // Nothing is queued: the folder is as compile left it (so another site's compile may replace it).
      for (const f of [`${layout.dagFile}.condor.sub`, SPOOL_SCRIPT, SPOOL_SUMS])
        rmSync(join(dir, f), { force: true });
      removeSubmitMarker(dir);
      return refusal(
        site.site,
        'condor',
        `site ${site.site} (schedd ${site.schedd}) refused the run: ${e.message}`,
      );
    }
    dagmanJobId = r.dagmanJobId;
    sent = r.sent;
  }
  const record: RunRecord = {
    dagmanJobId,
    site: site.site,
    submittedAt: new Date().toISOString(),
    pool: site.pool,
    schedd: site.schedd,
    transfer: 'spool',
    ...(site.tokens ? { tokens: site.tokens } : {}),
    ...(sent ? { sent } : {}),
    ...(site.refusedBy.length > 0 ? { refusedBy: site.refusedBy } : {}),
  };
  writeRunRecord(dir, record);
  removeSubmitMarker(dir);
  return { ok: true, dagmanJobId, outDir: dir, name: layout.name, site: record.site, adopted };
}

/** A site's refusal to take the run at submit time: another fitting site may be tried. */
function refusal(site: string, kind: 'invalid' | 'condor', message: string): Failure & { refusedBy: string } {
  return { ...fail(kind, message), refusedBy: site };
}

/**
 * Submit; when the chosen site refuses the run at submit time (authentication, a submit requirement or quota,
 * the schedd gone) and this submit compiled the run, choose again without it and submit to the next fitting
 * site. run.json records who refused (`refusedBy`).
 */
export async function submitRun(
  ctx: CondorContext,
  opts: SubmitOptions,
  onEvent: (e: SubmitEvent) => void = () => {},
): Promise<SubmitResult | SubmitFailure> {
  const refused: Record<string, string> = {};
  const refusedBy: { site: string; error: string }[] = [];
  for (;;) {
    const r = await submitOnce(ctx, opts, onEvent, refused, refusedBy);
    if (r.ok || r.refusedBy === undefined || !r.compiled || !('message' in r)) return r;
    if (refused[r.refusedBy] !== undefined) return r;
    refused[r.refusedBy] = r.message;
    refusedBy.push({ site: r.refusedBy, error: r.message });
    onEvent({ kind: 'site-refused', site: r.refusedBy, message: r.message });
  }
}

async function submitOnce(
  ctx: CondorContext,
  opts: SubmitOptions,
  onEvent: (e: SubmitEvent) => void,
  refused: Record<string, string>,
  refusedBy: { site: string; error: string }[],
): Promise<SubmitResult | (SubmitFailure & { refusedBy?: string; compiled?: boolean })> {
  try {
    const found = await runDirectory(ctx, opts, onEvent, refused);
    if (!found.ok) return found;
    const { dir } = found;
    const compiled = found.compiled === true;
    const previous = readRunRecord(dir);
    if (previous) {
      // A restart's marker stays: the restart run again needs it to find the DAG it may have submitted.
      if (readSubmitMarker(dir)?.restart === undefined) removeSubmitMarker(dir);
      return fail(
        'usage',
        `${dir} was already submitted as DAGMan job ${previous.dagmanJobId}; compile to a new directory to run again`,
      );
    }
    const layout = readLayout(dir);
    const planned = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as PlanSite;
    const planSite = planned.site ?? {};
    if (planSite.transfer === 'spool' && planSite.pool && planSite.schedd) {
      const r = await submitSpooled(ctx, dir, layout, {
        site: planSite.name ?? planSite.pool,
        pool: planSite.pool,
        schedd: planSite.schedd,
        ...(planSite.tokens ? { tokens: planSite.tokens } : {}),
        send: planned.send ?? [],
        refusedBy,
      });
      return r.ok ? r : { ...r, compiled };
    }
    const t = {
      ...(planSite.pool ? { pool: planSite.pool } : {}),
      ...(planSite.schedd ? { schedd: planSite.schedd } : {}),
    };
    // Another pool's schedd: name it to condor_submit_dag and DAGMan by address and ad files.
    const submitTarget =
      t.pool && t.schedd
        ? writeScheddFiles(
            dir,
            { pool: t.pool, schedd: t.schedd },
            await locateSchedd(ctx, { pool: t.pool, schedd: t.schedd }),
          )
        : t;
    // An interrupted submit left its marker: if its DAG reached the schedd, adopt it instead of submitting a
    // second one (its condor_submit_dag may still be on its way: give it a moment).
    const interrupted = readSubmitMarker(dir);
    let dagmanJobId = interrupted
      ? await findSubmittedDag(ctx, interrupted.token, { target: submitTarget, waitMs: 20_000 })
      : undefined;
    const adopted = dagmanJobId !== undefined;
    if (dagmanJobId === undefined) {
      const token = randomUUID();
      writeSubmitMarker(dir, { token, startedAt: new Date().toISOString(), pid: process.pid });
      ({ dagmanJobId } = await submitDag(ctx, dir, layout.dagFile, {
        batchName: layout.name,
        target: submitTarget,
        submitId: token,
        // condor_submit_dag refuses to overwrite the files an interrupted attempt left.
        force: interrupted !== undefined || existsSync(join(dir, `${layout.dagFile}.condor.sub`)),
      }));
    }
    const record: RunRecord = {
      dagmanJobId,
      site: planSite.name ?? 'local',
      submittedAt: new Date().toISOString(),
      ...t,
      ...(refusedBy.length > 0 ? { refusedBy } : {}),
    };
    writeRunRecord(dir, record);
    removeSubmitMarker(dir);
    return { ok: true, dagmanJobId, outDir: dir, name: layout.name, site: record.site, adopted };
  } catch (e) {
    return failureOf(e);
  }
}
