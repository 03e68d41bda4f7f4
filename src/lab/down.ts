/**
 * `lab down`: stop the daemons the lab started (by pid), then whatever still lives in the lab's namespace
 * (their children: shadows, starters, jobs, lab-exec commands), release every mount, remove the namespace.
 * Safe to run again, and after a crash (it also sweeps mounts left under any cached build).
 */
import { existsSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { releaseMounts } from './mounts.js';
import { deleteNetwork, netnsPids } from './netns.js';
import { type LabOptions, resolveLabSettings } from './options.js';
import { stopOrg } from './org-up.js';
import { ORG_NAMES, type OrgName, organisation } from './organisation.js';
import { writeSites } from './sites-file.js';
import { daemonAlive, labIsRunning, readLabState, removeLabState } from './state.js';
import { LabError, type Log } from './sys.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rootOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/root`);
  } catch {
    return '';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export async function labDown(opts: LabOptions & { org?: string }, log: Log): Promise<boolean> {
  const s = resolveLabSettings(opts);
  if (opts.org !== undefined) {
    // One organisation only (org-a is the lab itself; `lab down` without --org stops everything).
    if (!ORG_NAMES.includes(opts.org as OrgName)) {
      throw new LabError(`--org ${opts.org}: only ${ORG_NAMES.join(' or ')} can be stopped alone`, 1);
    }
    const acted = await stopOrg(s, organisation(s, opts.org as OrgName), log);
    const after = readLabState(s.dir);
    if (labIsRunning(after)) writeSites(s, after, log);
    if (!acted) log(`lab: ${opts.org} not running`);
    return acted;
  }
  let acted = false;
  // The organisations first: their daemons, namespaces and mounts.
  for (const name of ORG_NAMES) acted = (await stopOrg(s, organisation(s, name), log)) || acted;
  const state = readLabState(s.dir);
  if (state) {
    const alive = state.daemons.filter((d) => daemonAlive(state, d));
    // condor_master (org-a's, and org-b's `condor_master@org-b`): SIGQUIT is HTCondor's fast shutdown (jobs
    // are killed, not vacated gracefully).
    for (const d of [...alive].reverse()) {
      signal(d.pid, d.name.startsWith('condor_master') ? 'SIGQUIT' : 'SIGTERM');
    }
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && alive.some((d) => daemonAlive(state, d))) await sleep(200);
    for (const d of alive) {
      if (daemonAlive(state, d)) signal(d.pid, 'SIGKILL');
      log(`lab: stopped ${d.name} (pid ${d.pid})`);
    }
    acted ||= alive.length > 0;
  }
  // What is left in the namespace and chrooted into one of this lab's builds: children of our daemons
  // (shadows, starters, jobs) and lab-exec commands. A lab of another VMDAG_LAB_DIR is never touched.
  for (let i = 0; i < 10; i++) {
    const left = (await netnsPids(s)).filter((pid) => rootOf(pid).startsWith(`${s.buildsDir}/`));
    if (left.length === 0) break;
    for (const pid of left) signal(pid, 'SIGKILL');
    acted = true;
    await sleep(200);
  }
  const foreign = await netnsPids(s);
  if (foreign.length > 0) {
    throw new LabError(
      `network namespace ${s.netns} is in use by processes of another lab (pids ${foreign.join(' ')}); left alone`,
    );
  }
  const roots = new Set<string>();
  if (state) roots.add(state.root);
  if (existsSync(s.buildsDir)) {
    for (const n of readdirSync(s.buildsDir)) roots.add(path.join(s.buildsDir, n, 'root'));
  }
  for (const r of roots) {
    const n = await releaseMounts(r);
    if (n > 0) {
      log(`lab: released ${n} mounts under ${r}`);
      acted = true;
    }
  }
  if (await deleteNetwork(s)) {
    log(`lab: removed network namespace ${s.netns}`);
    acted = true;
  }
  removeLabState(s.dir);
  rmSync(path.join(s.currentDir, 'condor_master.pid'), { force: true });
  rmSync(s.sitesFile, { force: true });
  if (!acted) log('lab: not running');
  return acted;
}
