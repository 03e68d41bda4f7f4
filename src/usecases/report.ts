/**
 * `report`: the latency breakdown of a submitted run from HTCondor's records (src/report), and the HTML page
 * with its timeline when asked for.
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CondorContext } from '../condor/exec.js';
import { type AttemptReport, attemptReports } from '../report/attempts.js';
import { gatherReport } from '../report/gather-report.js';
import { latencyHtml } from '../report/render-html.js';
import type { LatencyReport } from '../report/types.js';
import { attemptNodesLog, attemptsOf } from '../restart/attempts.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { type Failure, fail, failureOf } from './failure.js';
import { fetchIfEnded } from './fetch-run.js';

/** What `report` may be given (flags); every field optional. */
export interface ReportFlags {
  /** The submitted run directory. Default '' (not a directory). */
  dir?: string;
  /** Also write the self-contained HTML page to this file (`--html`). Default: none. */
  html?: string;
}

/** The options of reportRun, every one resolved. Paths are as given (for messages); `cwd` resolves them. */
export interface ReportOptions {
  dir: string;
  html?: string;
  cwd: string;
}

/** The one place report's options get their defaults. */
export function resolveReportOptions(f: ReportFlags, io: { cwd: string }): ReportOptions {
  return { dir: f.dir ?? '', cwd: io.cwd, ...(f.html !== undefined ? { html: f.html } : {}) };
}

export interface ReportResult {
  ok: true;
  report: LatencyReport;
  /**
   * A run that travelled to its site: what went with it besides the run directory (the VM image, inputs),
   * how long the spooling submit took (vmdag's clock: HTCondor records no event for it), and when its files
   * came back.
   */
  travel?: { site: string; files: number; bytes: number; seconds: number; fetchedAt?: string };
  /** The HTML file written, when asked for. */
  html?: string;
  /** A restarted run: each attempt (oldest first, the last is `report`) with its own report. */
  attempts?: AttemptReport[];
}

/** Write the absolute `path` whole or not at all: a temp file beside it, then rename. */
function writeAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function reportRun(ctx: CondorContext, opts: ReportOptions): Promise<ReportResult | Failure> {
  const { dir } = opts;
  const absDir = resolve(opts.cwd, dir);
  if (!existsSync(absDir) || !statSync(absDir).isDirectory())
    return fail('invalid', `${dir}: not a directory`);
  if (!existsSync(join(absDir, 'plan.json')))
    return fail('invalid', `${dir}: not a vmdag run directory (no plan.json)`);
  const record = readRunRecord(absDir);
  if (!record) return fail('invalid', `${dir}: this run directory was never submitted (no run.json)`);
  try {
    const layout = readLayout(absDir, dir);
    const target = {
      pool: record.pool,
      schedd: record.schedd,
      ...(record.tokens ? { tokens: record.tokens } : {}),
    };
    const place = await fetchIfEnded(ctx, absDir, record, target);
    const attempts = attemptsOf(record);
    const several = attempts.length > 1;
    const latest = await gatherReport(
      ctx,
      layout,
      record.dagmanJobId,
      target,
      place.iwd,
      several ? { latest: true } : undefined,
    );
    const reports: LatencyReport[] = [];
    if (several)
      for (const [i, a] of attempts.entries())
        reports.push(
          a.dagmanJobId === record.dagmanJobId
            ? latest
            : await gatherReport(ctx, layout, a.dagmanJobId, target, place.iwd, {
                latest: false,
                nodesLog: attemptNodesLog(layout.dagFile, i + 1),
              }),
        );
    const each = attemptReports(attempts, reports);
    const report = each.find((a) => a.attempt.dagmanJobId === record.dagmanJobId)?.report ?? latest;
    const travel =
      record.transfer === 'spool' && record.sent
        ? {
            site: record.site,
            ...record.sent,
            ...(record.fetchedAt ? { fetchedAt: record.fetchedAt } : {}),
          }
        : undefined;
    const base = {
      ok: true as const,
      report,
      ...(travel ? { travel } : {}),
      ...(several ? { attempts: each } : {}),
    };
    if (opts.html === undefined) return base;
    writeAtomically(resolve(opts.cwd, opts.html), latencyHtml(report, each));
    return { ...base, html: opts.html };
  } catch (e) {
    return failureOf(e);
  }
}
