/**
 * validate for the site catalog (design.md §1 "Site catalog"): schemas/sites.schema.json, unique names,
 * no unsafe characters; returns the SiteCatalog when there is no error. Pure.
 */
import { type Diagnostic, hasErrors } from '../model/diagnostic.js';
import type { Site, SiteCatalog } from '../model/workflow.js';
import type { ParsedDocument } from '../parse/parse-yaml.js';
import { Reporter, sortDiagnostics } from './reporter.js';
import { isObj } from './rule-context.js';
import { reportSchemaErrors } from './schema-errors.js';
import { validateSitesSchema } from './schema-validators.js';
import { findUnsafeStrings } from './unsafe-values.js';

export interface SitesEnv {
  /** Absolute folder of the catalog file. */
  dir: string;
}

export function validateSites(
  doc: ParsedDocument,
  env: SitesEnv,
): { catalog?: SiteCatalog; diagnostics: Diagnostic[] } {
  const diagnostics = [...doc.diagnostics];
  if (doc.value === undefined) return { diagnostics: sortDiagnostics(diagnostics) };
  const report = new Reporter(doc);
  const unsafe = findUnsafeStrings(doc.value);
  for (const u of unsafe) report.error(u.pointer, u.code, u.message);
  if (!validateSitesSchema(doc.value))
    reportSchemaErrors(validateSitesSchema.errors ?? [], report, new Set(unsafe.map((u) => u.pointer)));

  const sites = isObj(doc.value) && Array.isArray(doc.value.sites) ? (doc.value.sites as unknown[]) : [];
  const first = new Map<string, number>();
  sites.forEach((s, i) => {
    if (!isObj(s) || typeof s.name !== 'string') return;
    const j = first.get(s.name);
    if (j === undefined) first.set(s.name, i);
    else
      report.error(
        `/sites/${i}/name`,
        'rule.duplicate-site',
        `site name "${s.name}" is already used by sites[${j}]`,
      );
  });

  diagnostics.push(...report.diagnostics);
  sortDiagnostics(diagnostics);
  if (hasErrors(diagnostics)) return { diagnostics };
  const catalog: SiteCatalog = {
    version: 1,
    sites: (sites as Record<string, string>[]).map((s) => {
      // Every catalog site is another organisation's: nothing is shared but the network unless it says so.
      const site: Site = {
        name: s.name as string,
        pool: s.pool as string,
        transfer: s.transfer === 'shared' ? 'shared' : 'spool',
      };
      if (s.schedd !== undefined) site.schedd = s.schedd;
      if (s.images !== undefined) site.images = s.images;
      if (s.tokens !== undefined) site.tokens = s.tokens;
      return site;
    }),
    source: { file: doc.file, dir: env.dir },
  };
  return { catalog, diagnostics };
}
