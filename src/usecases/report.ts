/**
 * `report`: the latency breakdown of a submitted run from HTCondor's records (src/report), and the HTML page
 * with its timeline when asked for.
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CondorContext } from '../condor/exec.js';
import { gatherReport } from '../report/gather-report.js';
import { latencyHtml } from '../report/render-html.js';
import type { LatencyReport } from '../report/types.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { type Failure, fail, failureOf } from './failure.js';

export interface ReportOptions {
  /** The submitted run directory. */
  dir: string;
  /** Also write the self-contained HTML page to this file (relative to the process's folder). Default: none. */
  html?: string;
}

export interface ReportResult {
  ok: true;
  report: LatencyReport;
  /** The HTML file written, when asked for. */
  html?: string;
}

/** Write FILE whole or not at all: a temp file beside it, then rename. */
function writeAtomically(file: string, text: string): void {
  const path = resolve(file);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function reportRun(ctx: CondorContext, opts: ReportOptions): Promise<ReportResult | Failure> {
  const { dir } = opts;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return fail('invalid', `${dir}: not a directory`);
  if (!existsSync(join(dir, 'plan.json')))
    return fail('invalid', `${dir}: not a vmdag run directory (no plan.json)`);
  const record = readRunRecord(dir);
  if (!record) return fail('invalid', `${dir}: this run directory was never submitted (no run.json)`);
  try {
    const layout = readLayout(dir);
    const report = await gatherReport(ctx, layout, record.dagmanJobId, {
      pool: record.pool,
      schedd: record.schedd,
    });
    if (opts.html === undefined) return { ok: true, report };
    writeAtomically(opts.html, latencyHtml(report));
    return { ok: true, report, html: opts.html };
  } catch (e) {
    return failureOf(e);
  }
}
