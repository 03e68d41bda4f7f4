/**
 * A run that travelled to its site (`transfer: spool`) keeps its files in the schedd's spool until DAGMan has
 * ended; then they are brought back into the run directory (condor_transfer_data), once. Status, report and
 * run call this before they read the run directory.
 */
import { adNumber, adString, type ClassAd } from '../condor/classads.js';
import { queryHistory, queryQueue, type Target, targetContext } from '../condor/dag-run.js';
import type { CondorContext } from '../condor/exec.js';
import { fetchSpooledRun } from '../condor/spool-dag.js';
import { writeRunRecord } from '../emit/write-run-record.js';
import type { RunPlace, RunRecord } from '../model/run.js';

/** The DAGMan job's ad of `id` among `ads` (its node jobs carry DAGNodeName). */
export function dagmanAd(ads: ClassAd[], id: number): ClassAd | undefined {
  return ads.find((ad) => adNumber(ad, 'ClusterId') === id && adString(ad, 'DAGNodeName') === undefined);
}

/**
 * For a spooled run whose DAGMan job has completed and waits in the queue for its files to be fetched: fetch
 * them and record when (run.json `fetchedAt`, and `record` itself).
 */
export async function fetchIfEnded(
  ctx: CondorContext,
  dir: string,
  record: RunRecord,
  target: Target,
): Promise<RunPlace> {
  if (record.transfer !== 'spool' || !record.pool || !record.schedd) return { atSite: false };
  const id = record.dagmanJobId;
  const queued = dagmanAd(await queryQueue(ctx, id, target), id);
  const ad = queued ?? dagmanAd(await queryHistory(ctx, id, target), id);
  if (queued && adNumber(queued, 'JobStatus') === 4 && record.fetchedAt === undefined) {
    await fetchSpooledRun(targetContext(ctx, target), dir, id, { pool: record.pool, schedd: record.schedd });
    record.fetchedAt = new Date().toISOString();
    writeRunRecord(dir, record);
  }
  const iwd = ad ? adString(ad, 'Iwd') : undefined;
  return { ...(iwd ? { iwd } : {}), atSite: record.fetchedAt === undefined };
}
