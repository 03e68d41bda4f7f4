/** The site catalog of the lab's running pools (current/sites.yaml), rewritten by `lab up` and `lab down --org`. */
import { mkdirSync } from 'node:fs';
import { DEFAULT_IMAGES_DIR } from '../image-staging/images-folder.js';
import type { LabSettings } from './options.js';
import { ORG_A, sitesCatalog } from './orgs.js';
import { type LabState, readLabState, runningPools, writeLabState } from './state.js';
import { type Log, writeLabFile } from './sys.js';

/**
 * Write the site catalog of the running pools (org-a, and org-b when it runs) and record its path. org-a's
 * images folder is the one vmdag stages local images into for the lab (created here when missing).
 */
export function writeSites(s: LabSettings, state: LabState, log: Log): LabState {
  // org-a is the pool of the lab's own condor_master (labs started before the organisations had names
  // called it "lab"); it runs VMs when the lab set up its guest image and site kit.
  const pools = runningPools(state).map((p) =>
    (p.master ?? 'condor_master') === 'condor_master'
      ? { ...p, name: ORG_A, vm: state.guest !== undefined, master: 'condor_master' }
      : p,
  );
  const images: Record<string, string> = {};
  if (state.guest) {
    mkdirSync(DEFAULT_IMAGES_DIR, { recursive: true, mode: 0o755 });
    images[ORG_A] = DEFAULT_IMAGES_DIR;
  }
  writeLabFile(s.sitesFile, sitesCatalog(pools, images));
  const latest = readLabState(s.dir) ?? state;
  latest.pools = latest.pools.map((p) => pools.find((q) => q.collector === p.collector) ?? p);
  latest.sitesFile = s.sitesFile;
  writeLabState(s.dir, latest);
  log(`lab: site catalog ${s.sitesFile}: ${pools.map((p) => `${p.name} (${p.collector})`).join(', ')}`);
  return latest;
}
