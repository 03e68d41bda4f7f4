/**
 * Ask each site's collector what it has: three `condor_status -json` queries per site (slots with their VM
 * attributes, schedds, the collector itself), every site and query in parallel, each with a timeout. A site
 * whose collector does not answer is reported unreachable with the command's own error, never as empty.
 * The local pool (no catalog) is the site `local`, queried without `-pool`.
 */
import { parseAdsJson } from '../condor/classads.js';
import { targetContext } from '../condor/dag-run.js';
import { CondorCommandError, type CondorContext, CondorUnavailableError, runCondor } from '../condor/exec.js';
import type { Site } from '../model/workflow.js';
import { type SiteResources, summarizeSite } from './site-resources.js';
import { submitAccess } from './submit-access.js';

/** The slot attributes read (htcondor-reference.md §10). */
export const SLOT_ATTRS = [
  'Name',
  'Machine',
  'SlotType',
  'PartitionableSlot',
  'Cpus',
  'Memory',
  'TotalCpus',
  'TotalMemory',
  'TotalSlotCpus',
  'TotalSlotMemory',
  'State',
  'Activity',
  'HasVM',
  'VM_Type',
  'VM_Memory',
  'VM_AvailNum',
  'VM_Networking',
  'VM_Networking_Types',
  'DedicatedScheduler',
  'CondorVersion',
];
export const SCHEDD_ATTRS = ['Name', 'Machine', 'ScheddIpAddr', 'CondorVersion'];
export const COLLECTOR_ATTRS = ['Name', 'CondorVersion'];

/** A catalog entry, or the local pool. */
export type SiteQuery = Pick<Site, 'name'> & Partial<Omit<Site, 'name'>>;

export const LOCAL_SITE: SiteQuery = { name: 'local' };

/** The argv of the three queries for one site (exported for the docs and tests). */
export function siteQueries(pool: string | undefined): {
  slots: string[];
  schedds: string[];
  collector: string[];
} {
  const p = pool ? ['-pool', pool] : [];
  return {
    slots: [...p, '-json', '-attributes', SLOT_ATTRS.join(',')],
    schedds: [...p, '-schedd', '-json', '-attributes', SCHEDD_ATTRS.join(',')],
    collector: [...p, '-collector', '-json', '-attributes', COLLECTOR_ATTRS.join(',')],
  };
}

/** The last meaningful line of a failed command, e.g. `CEDAR:6001:Failed to connect to <127.0.0.1:1>`. */
function errorText(e: unknown): string {
  if (e instanceof CondorCommandError) {
    const lines = (e.result.stderr || e.result.stdout)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const useful = lines.filter((l) => /^(Error|CEDAR|SECMAN)|Failed|Couldn't|refused|timed out/i.test(l));
    const shown = (useful.length > 0 ? useful.slice(0, 3) : lines.slice(-2)).join(' | ');
    return `condor_status exited with ${e.result.exitCode}${shown ? `: ${shown}` : ''}`;
  }
  return (e as Error).message ?? String(e);
}

export interface QueryOptions {
  /** Milliseconds per query; default 15 s. */
  timeout?: number;
}

/** One site's resources. Throws only when HTCondor cannot be run at all (CondorUnavailableError, not timeouts). */
export async function querySite(
  ctx: CondorContext,
  site: SiteQuery,
  opts: QueryOptions = {},
): Promise<SiteResources> {
  const q = siteQueries(site.pool);
  const timeout = opts.timeout ?? 15_000;
  // A collector that is briefly unreachable (restarting) is retried within the query's own time budget.
  // With the site's own tokens when the catalog names them (an organisation may ask for them even to read).
  const sctx = targetContext(ctx, site.tokens ? { tokens: site.tokens } : {});
  const run = (args: string[]) =>
    runCondor(sctx, 'condor_status', args, { timeout, retryTransientMs: Math.min(timeout, 5_000) });
  try {
    const [slots, schedds, collector] = await Promise.all([run(q.slots), run(q.schedds), run(q.collector)]);
    const r = summarizeSite(site, {
      slots: parseAdsJson(slots.stdout),
      schedds: parseAdsJson(schedds.stdout),
      collector: parseAdsJson(collector.stdout),
    });
    // A catalog site: may this user submit there (its tokens, or HTCondor's own lookup)?
    if (r.reachable && site.pool !== undefined && r.schedd !== undefined) {
      r.access = await submitAccess(
        ctx,
        {
          pool: site.pool,
          schedd: r.schedd,
          ...(r.scheddAddress ? { address: r.scheddAddress } : {}),
          ...(site.tokens ? { tokens: site.tokens } : {}),
        },
        site.name,
      );
    }
    return r;
  } catch (e) {
    // HTCondor missing altogether is not a property of this site: let the caller say so (exit 3).
    if (e instanceof CondorUnavailableError && !/timed out/.test(e.message)) throw e;
    const r: SiteResources = { name: site.name, reachable: false, error: errorText(e) };
    if (site.pool !== undefined) r.pool = site.pool;
    if (site.images !== undefined) r.images = site.images;
    return r;
  }
}

/** Every site, in parallel, in catalog order. */
export async function querySites(
  ctx: CondorContext,
  sites: readonly SiteQuery[],
  opts: QueryOptions = {},
): Promise<SiteResources[]> {
  return Promise.all(sites.map((s) => querySite(ctx, s, opts)));
}
