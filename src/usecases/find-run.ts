/** The run a user names to status/rm: a run directory (with run.json) or a DAGMan job id (its Iwd names the directory). */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { adString } from '../condor/classads.js';
import { queryHistory, queryQueue, type Target } from '../condor/dag-run.js';
import type { CondorContext } from '../condor/exec.js';
import type { RunLayout, RunRecord } from '../model/run.js';
import { readScheddAddress } from '../site-catalog/schedd-files.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { type Failure, fail, failureOf } from './failure.js';

export interface FoundRun {
  ok: true;
  layout: RunLayout;
  record: RunRecord;
  /** The schedd that holds the run: its pool and name (and address) when it is not the local one. */
  target: Target;
}

/**
 * DIR (with run.json; relative to `cwd`) or a DAGMan job id; `usage` when it is neither, or never submitted,
 * or not found. Messages name the run as given.
 */
export async function findRun(ctx: CondorContext, arg: string, cwd: string): Promise<FoundRun | Failure> {
  try {
    const dir = resolve(cwd, arg);
    if (existsSync(dir) && statSync(dir).isDirectory()) {
      const layout = readLayout(dir, arg);
      const record = readRunRecord(dir);
      if (!record) return fail('usage', `${arg}: this run directory was never submitted (no run.json)`);
      const address = record.pool ? readScheddAddress(dir) : undefined;
      return {
        ok: true,
        layout,
        record,
        target: {
          pool: record.pool,
          schedd: record.schedd,
          ...(address ? { address } : {}),
          ...(record.tokens ? { tokens: record.tokens } : {}),
        },
      };
    }
    if (!/^\d+(\.0)?$/.test(arg)) return fail('usage', `${arg}: neither a run directory nor a DAGMan job id`);
    const id = Number.parseInt(arg, 10);
    const ads = [...(await queryQueue(ctx, id)), ...(await queryHistory(ctx, id))];
    const iwd = ads.map((ad) => adString(ad, 'Iwd')).find((x) => x !== undefined);
    if (!iwd) return fail('usage', `job ${id}: not found in the queue or the history`);
    const layout = readLayout(iwd);
    const record = readRunRecord(iwd) ?? { dagmanJobId: id, site: 'local', submittedAt: '' };
    return { ok: true, layout, record, target: {} };
  } catch (e) {
    return failureOf(e);
  }
}
