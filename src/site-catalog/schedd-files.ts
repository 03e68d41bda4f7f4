/**
 * Submitting to another pool's schedd: condor_submit_dag has no `-name`, and `-remote` spools and resolves
 * the schedd's Name as a host name. Instead the run directory gets the schedd's address and ad (from its
 * collector); `-schedd-address-file`/`-schedd-daemon-ad-file` point condor_submit at them, and
 * condor_submit_dag puts them in DAGMan's environment so its node jobs go to the same schedd. Needs the run
 * directory visible to that schedd (a shared file system, as in the lab).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../condor/dag-run.js';

export const SCHEDD_ADDRESS_FILE = '.vmdag-schedd-address';
export const SCHEDD_AD_FILE = '.vmdag-schedd-ad';

/** Write both files into the run directory; returns the submit target naming them. */
export function writeScheddFiles(
  dir: string,
  target: { pool: string; schedd: string },
  located: { address: string; ad: string },
): Target {
  const addressFile = join(dir, SCHEDD_ADDRESS_FILE);
  const adFile = join(dir, SCHEDD_AD_FILE);
  writeFileSync(addressFile, `${located.address}\n`);
  writeFileSync(adFile, located.ad.endsWith('\n') ? located.ad : `${located.ad}\n`);
  return { ...target, address: located.address, addressFile, adFile };
}

/** The schedd address recorded at submit time, for condor_q/condor_rm `-addr`. */
export function readScheddAddress(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, SCHEDD_ADDRESS_FILE), 'utf8').split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}
