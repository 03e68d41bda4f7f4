/**
 * Where the site catalog comes from (design.md §1): `--sites FILE`, else $VMDAG_SITES, else ./sites.yaml
 * when it exists, else none (the local pool is the one site, "local"). The caller passes the flag, the
 * environment and a file-exists probe, so this stays testable; reading the file is the command's job.
 */
import { resolve } from 'node:path';

export interface SitesSource {
  /** The path as given (for diagnostics) and resolved. */
  file: string;
  absPath: string;
  /** Which rule found it. */
  from: 'flag' | 'env' | 'cwd';
}

export function findSitesFile(input: {
  flag?: string;
  env: Record<string, string | undefined>;
  cwd: string;
  fileExists(absPath: string): boolean;
}): SitesSource | undefined {
  if (input.flag) return { file: input.flag, absPath: resolve(input.cwd, input.flag), from: 'flag' };
  const fromEnv = input.env.VMDAG_SITES;
  if (fromEnv) return { file: fromEnv, absPath: resolve(input.cwd, fromEnv), from: 'env' };
  const here = resolve(input.cwd, 'sites.yaml');
  if (input.fileExists(here)) return { file: 'sites.yaml', absPath: here, from: 'cwd' };
  return undefined;
}
