/** The run a user names to status/rm: a run directory (with run.json) or a DAGMan job id (its Iwd names the directory). */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { adString } from '../condor/classads.js';
import { queryHistory, queryQueue, type Target } from '../condor/dag-run.js';
import type { CondorContext } from '../condor/exec.js';
import type { LoadedSites } from '../load-workflow.js';
import type { RunLayout, RunRecord } from '../model/run.js';
import { readScheddAddress } from '../site-catalog/schedd-files.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { type Failure, fail, failureOf } from './failure.js';
import { dagmanAd } from './fetch-run.js';

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
export async function findRun(
  ctx: CondorContext,
  arg: string,
  cwd: string,
  /** Reads the site catalog (`SITE:ID` names a run by its site); default: none. */
  sites?: () => LoadedSites,
): Promise<FoundRun | Failure> {
  try {
    const named = /^([a-z][a-z0-9-]*):(\d+)(\.0)?$/.exec(arg);
    if (named) return await findAtSite(ctx, arg, named[1] as string, Number(named[2]), sites);
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

/**
 * `SITE:ID`: DAGMan job ID at the catalog's site SITE (cluster ids repeat from pool to pool). The run
 * directory is where the job was submitted from (SUBMIT_Iwd for a run that travelled, else its Iwd).
 */
async function findAtSite(
  ctx: CondorContext,
  arg: string,
  name: string,
  id: number,
  sites: (() => LoadedSites) | undefined,
): Promise<FoundRun | Failure> {
  const loaded = sites?.();
  if (!loaded?.found)
    return fail(
      'usage',
      `${arg}: no site catalog to find site ${name} in (--sites, VMDAG_SITES, ./sites.yaml)`,
    );
  if (!loaded.catalog) return fail('invalid', `${arg}: the site catalog is invalid (vmdag sites says why)`);
  const site = loaded.catalog.sites.find((s) => s.name === name);
  if (!site)
    return fail(
      'usage',
      `${arg}: no site ${name} in the catalog (${loaded.catalog.sites.map((s) => s.name).join(', ')})`,
    );
  if (!site.pool || !site.schedd)
    return fail('usage', `${arg}: the catalog names no pool and schedd for ${name}`);
  const target: Target = {
    pool: site.pool,
    schedd: site.schedd,
    ...(site.tokens ? { tokens: site.tokens } : {}),
  };
  const ads = [...(await queryQueue(ctx, id, target)), ...(await queryHistory(ctx, id, target))];
  const dagman = dagmanAd(ads, id);
  const dir = dagman ? (adString(dagman, 'SUBMIT_Iwd') ?? adString(dagman, 'Iwd')) : undefined;
  if (!dir) return fail('usage', `${arg}: no DAGMan job ${id} at ${name}, in its queue or its history`);
  const record = existsSync(dir) ? readRunRecord(dir) : undefined;
  if (!record || record.dagmanJobId !== id || record.site !== name) {
    return fail(
      'usage',
      `${arg}: job ${id} at ${name} was submitted from ${dir}, which holds no record of it here`,
    );
  }
  return { ok: true, layout: readLayout(dir, dir), record, target };
}
