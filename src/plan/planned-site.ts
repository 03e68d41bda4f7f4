/**
 * The site plan and compile receive, from a catalog entry (or the local pool): its name, pool and schedd, and
 * how the run's files reach it (`transfer`, `tokens`) as the catalog reader resolved them.
 */
import type { Transfer } from '../model/workflow.js';
import type { PlannedSite } from './plan-types.js';

/** The local pool without a catalog: its schedd sees this host's files at the same path. */
export const LOCAL_PLANNED_SITE: PlannedSite = { name: 'local', transfer: 'shared' };

/** A site as given; `transfer` absent (the local pool's entry) means `shared`. */
export interface SiteEntry {
  name: string;
  pool?: string | undefined;
  schedd?: string | undefined;
  transfer?: Transfer | undefined;
  tokens?: string | undefined;
}

/** In plan.json's order: name, pool, schedd, transfer, tokens. */
export function plannedSite(entry: SiteEntry): PlannedSite {
  return {
    name: entry.name,
    ...(entry.pool !== undefined ? { pool: entry.pool } : {}),
    ...(entry.schedd !== undefined ? { schedd: entry.schedd } : {}),
    transfer: entry.transfer ?? 'shared',
    ...(entry.tokens !== undefined ? { tokens: entry.tokens } : {}),
  };
}
