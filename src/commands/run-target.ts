/** Shared by submit/status/rm: find a run from a directory or a DAGMan job id, and map errors to exit codes. */
import { existsSync, statSync } from 'node:fs';
import { adString } from '../condor/classads.js';
import { queryHistory, queryQueue, type Target } from '../condor/dag-run.js';
import { CondorCommandError, type CondorContext, CondorUnavailableError } from '../condor/exec.js';
import type { RunLayout, RunRecord } from '../model/run.js';
import { readScheddAddress } from '../sites/schedd-files.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { ExitCode, type Output } from './types.js';

export interface ResolvedRun {
  layout: RunLayout;
  record: RunRecord;
  target: Target;
}

export class UsageError extends Error {}

/** DIR (with run.json) or a DAGMan job id (its Iwd names the directory). */
export async function resolveRun(ctx: CondorContext, arg: string): Promise<ResolvedRun> {
  if (existsSync(arg) && statSync(arg).isDirectory()) {
    const layout = readLayout(arg);
    const record = readRunRecord(arg);
    if (!record) throw new UsageError(`${arg}: this run directory was never submitted (no run.json)`);
    const address = record.pool ? readScheddAddress(arg) : undefined;
    return {
      layout,
      record,
      target: { pool: record.pool, schedd: record.schedd, ...(address ? { address } : {}) },
    };
  }
  if (!/^\d+(\.0)?$/.test(arg)) throw new UsageError(`${arg}: neither a run directory nor a DAGMan job id`);
  const id = Number.parseInt(arg, 10);
  const ads = [...(await queryQueue(ctx, id)), ...(await queryHistory(ctx, id))];
  const iwd = ads.map((ad) => adString(ad, 'Iwd')).find((x) => x !== undefined);
  if (!iwd) throw new UsageError(`job ${id}: not found in the queue or the history`);
  const layout = readLayout(iwd);
  const record = readRunRecord(iwd) ?? { dagmanJobId: id, site: 'local', submittedAt: '' };
  return { layout, record, target: {} };
}

/** Turn an error into a message on stderr (or JSON on stdout) and the exit code of design.md §3. */
export function reportError(e: unknown, out: Output, json: boolean): number {
  let code: number = ExitCode.invalid;
  let message = (e as Error).message ?? String(e);
  if (e instanceof UsageError) code = ExitCode.usage;
  else if (e instanceof CondorUnavailableError) code = ExitCode.condor;
  else if (e instanceof CondorCommandError) {
    code = ExitCode.condor;
    message = `${message}`;
  }
  if (json) out.out(`${JSON.stringify({ ok: false, error: message })}\n`);
  else out.err(`vmdag: ${message}\n`);
  return code;
}
