/**
 * `vmdag submit FILE|DIR`: compile when given a workflow, then condor_submit_dag in the run directory and
 * record run.json. `--json` → {ok, dagmanJobId, outDir, site}.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile } from '../compile.js';
import { findSubmittedDag, locateSchedd, submitDag } from '../condor/dag-run.js';
import { readSubmitMarker, removeSubmitMarker, writeSubmitMarker } from '../emit/submit-marker.js';
import { writeRunRecord } from '../emit/write-run-record.js';
import type { RunRecord } from '../model/run.js';
import { decideSite, type SiteDecision } from '../sites/plan-site.js';
import { writeScheddFiles } from '../sites/schedd-files.js';
import { stageImage } from '../stage/stage-image.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { diagnosticsJson, formatDiagnosticsText } from './format-diagnostics.js';
import { planJson } from './plan.js';
import { reportError, UsageError } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

interface PlanSite {
  site?: { name?: string; pool?: string; schedd?: string };
}

/** Stage the image when the decision says so; say on stderr what happens to it. */
async function stageForRun(
  d: SiteDecision,
  out: Output,
): Promise<{ path: string; sha256: string; reused: boolean } | undefined> {
  const st = d.staging;
  const img = d.image;
  if (!st || !img || st.delivery === 'in-place') return undefined;
  if (st.delivery === 'per-vm' || st.stagedPath === undefined || img.sha256 === undefined) {
    out.err(`image: ${img.path} ${st.reason}\n`);
    return undefined;
  }
  const r = await stageImage({
    source: img.path,
    target: st.stagedPath,
    sha256: img.sha256,
    bytes: img.bytes ?? 0,
    ...(st.createFolder ? { createFolder: true } : {}),
  });
  out.err(
    r.reused
      ? `image: ${r.path} already staged (sha256 ${img.sha256}, ${r.bytes} bytes): reused, nothing copied\n`
      : `image: ${img.path} staged once for this run as ${r.path} (${r.bytes} bytes, sha256 ${img.sha256}, ${(r.ms / 1000).toFixed(1)} s)\n`,
  );
  return { path: r.path, sha256: img.sha256, reused: r.reused };
}

export const submitCommand: CommandSpec = {
  name: 'submit',
  summary: 'compile if needed and submit the DAG (condor_submit_dag); records run.json in the run directory',
  configure(cmd) {
    cmd
      .argument('<target>', 'workflow file, or a compiled run directory')
      .option('-o, --output <dir>', 'run directory when compiling (default: ./<name>.run)')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)');
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    const target = args[0] ?? '';
    try {
      let dir: string;
      const output = typeof opts.output === 'string' ? opts.output : undefined;
      if (existsSync(target) && statSync(target).isDirectory()) {
        dir = resolve(target);
      } else if (output && (readRunRecord(output) || readSubmitMarker(output))) {
        // Run again after an interrupted (or finished) submit: take up that run directory, do not recompile.
        dir = resolve(output);
      } else {
        // Choose the site from the live resources (src/sites), verify the image's sha256, then compile for it.
        const decided = await decideSite({
          file: target,
          cwd: io.cwd,
          env: io.env,
          ctx: await io.condor(),
          ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
        });
        if (decided.choice && (!decided.choice.ok || decided.sha256Error)) {
          const error = decided.sha256Error ?? (decided.choice.ok ? '' : decided.choice.error);
          if (json) out.out(`${JSON.stringify(planJson(decided))}\n`);
          else out.err(`vmdag: ${error}\n`);
          return ExitCode.invalid;
        }
        // A local image travels once per run: staged into the site's images folder when it has one this host
        // can write (src/stage), else sent with each VM job by HTCondor.
        const stagedImage = await stageForRun(decided, out);
        const r = await compile(target, {
          ...(typeof opts.output === 'string' ? { outDir: opts.output } : {}),
          ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
          ...(decided.site ? { site: decided.site } : {}),
          ...(stagedImage ? { stagedImage } : {}),
        });
        if (!r.ok || r.outDir === undefined) {
          if (json) out.out(`${JSON.stringify(diagnosticsJson(r.diagnostics))}\n`);
          else out.err(formatDiagnosticsText(r.diagnostics));
          return ExitCode.invalid;
        }
        dir = r.outDir;
      }
      const previous = readRunRecord(dir);
      if (previous) {
        removeSubmitMarker(dir);
        throw new UsageError(
          `${dir} was already submitted as DAGMan job ${previous.dagmanJobId}; compile to a new directory to run again`,
        );
      }
      const layout = readLayout(dir);
      const planSite = (JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as PlanSite).site ?? {};
      const ctx = await io.condor();
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
      // An interrupted submit left its marker: if its DAG reached the schedd, adopt it instead of submitting
      // a second one (its condor_submit_dag may still be on its way: give it a moment).
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
      };
      writeRunRecord(dir, record);
      removeSubmitMarker(dir);
      if (adopted)
        out.err(`an interrupted submit of ${dir} had reached the schedd: DAGMan job ${dagmanJobId}\n`);
      if (json) out.out(`${JSON.stringify({ ok: true, dagmanJobId, outDir: dir, site: record.site })}\n`);
      else {
        out.err(
          `submitted ${layout.name} as DAGMan job ${dagmanJobId} (site ${record.site}); follow it with: vmdag status --watch ${dir}\n`,
        );
        out.out(`${dagmanJobId}\n`);
      }
      return ExitCode.ok;
    } catch (e) {
      return reportError(e, out, json);
    }
  },
};
