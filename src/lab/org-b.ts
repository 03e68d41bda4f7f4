/**
 * Starting the lab's second organisation, org-b, beside a running org-a: its configuration file and
 * folders are written inside the root (none of org-a's files or daemons is touched), its condor_master
 * starts with CONDOR_CONFIG naming that file, and `lab up` waits until org-b's collector lists its schedd
 * and every slot with that schedd's dedicated scheduler. `lab down` stops it like the other lab daemons.
 */
import path from 'node:path';
import { runCondor } from '../condor/exec.js';
import { spawnInLab } from './daemons.js';
import type { LabSettings } from './options.js';
import { type LabPool, orgB, orgBConfig, orgBScheddName } from './orgs.js';
import { writeSites } from './sites-file.js';
import { type LabState, labIsRunning, pidInRoot, readLabState, writeLabState } from './state.js';
import { LabError, type Log, sys, timed, writeLabFile } from './sys.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until the collector at `pool` lists `schedd` and at least `slots` slots naming its dedicated
 * scheduler (through the lab's lab-exec wrapper, like every condor command of vmdag).
 */
export async function waitForPool(
  state: LabState,
  where: { pool?: string; schedd?: string; slots: number; logs: string },
  timeoutMs = 120_000,
): Promise<string> {
  const ctx = { prefix: [state.wrapper, '--'] };
  const p = where.pool ? ['-pool', where.pool] : [];
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const schedd = await runCondor(ctx, 'condor_status', [...p, '-schedd', '-af', 'Name'], {
      allowFailure: true,
      cwd: '/',
    });
    const slots = await runCondor(
      ctx,
      'condor_status',
      [...p, '-const', '!isUndefined(DedicatedScheduler)', '-af', 'Name', 'DedicatedScheduler'],
      { allowFailure: true, cwd: '/' },
    );
    const names = schedd.stdout.trim().split('\n').filter(Boolean);
    const name = where.schedd ? names.find((n) => n === where.schedd) : names[0];
    const nslots = slots.stdout.trim().split('\n').filter(Boolean).length;
    last =
      `schedd '${name ?? names.join(', ')}', ${nslots} dedicated slots; ${schedd.stderr.trim()} ${slots.stderr.trim()}`.trim();
    if (name && nslots >= where.slots && slots.stdout.includes(`DedicatedScheduler@${name}`)) return name;
    await sleep(500);
  }
  throw new LabError(
    `the pool${where.pool ? ` ${where.pool}` : ''} did not come up within ${timeoutMs / 1000} s (${last}); logs: ${where.logs}`,
  );
}

/** org-b's master when it runs (alive inside the lab's root), else undefined. */
function orgBMaster(s: LabSettings, state: LabState): { name: string; pid: number } | undefined {
  const d = state.daemons.find((x) => x.name === orgB(s).master);
  return d && pidInRoot(d.pid, state.root) ? d : undefined;
}

/**
 * Start org-b in the running lab unless it runs already; returns its pool. Writes only org-b's own files
 * (its configuration, folders under its own paths) and the state file.
 */
export async function ensureOrgB(s: LabSettings, state: LabState, log: Log): Promise<LabPool> {
  const b = orgB(s);
  const root = state.root;
  const logs = path.join(root, b.log.slice(1));
  const running = orgBMaster(s, state);
  const known = running && state.pools.find((p) => p.name === b.name);
  if (known) {
    log(`lab: ${b.name} already running (collector ${known.collector}, schedd ${known.schedd})`);
    return known;
  }
  // Its master runs but the pool was never recorded (an interrupted `lab up`): wait for it, do not start another.
  const pid =
    running?.pid ??
    (await timed(log, `${b.name} start`, async () => {
      writeLabFile(path.join(root, b.config.slice(1)), orgBConfig(s, b));
      for (const dir of [`${b.etc}/passwords.d`, `${b.etc}/tokens.d`]) {
        await sys(['chroot', root, 'install', '-d', '-m', '0700', '-o', 'root', '-g', 'root', dir]);
      }
      await sys([
        'chroot',
        root,
        'install',
        '-d',
        '-o',
        'condor',
        '-g',
        'condor',
        b.localDir,
        `${b.localDir}/spool`,
        `${b.localDir}/execute`,
        b.log,
        b.run,
        b.lock,
      ]);
      await sys(['chroot', root, 'install', '-d', '-m', '0700', `${b.localDir}/cred_dir`]);
      return await spawnInLab(
        state,
        path.dirname(path.dirname(state.wrapper)),
        b.master,
        ['/usr/sbin/condor_master', '-f'],
        { CONDOR_CONFIG: b.config },
      );
    }));
  // Record the daemon at once (so `lab down` stops it even if the wait below fails), on the latest state.
  const now = readLabState(s.dir) ?? state;
  now.daemons = [...now.daemons.filter((d) => d.name !== b.master), { name: b.master, pid }];
  writeLabState(s.dir, now);
  const schedd = await timed(log, `${b.name} pool ready`, () =>
    waitForPool(state, {
      pool: `${s.address}:${b.port}`,
      schedd: orgBScheddName(s, b),
      slots: b.slots,
      logs,
    }),
  );
  const pool: LabPool = {
    name: b.name,
    collector: `${s.address}:${b.port}`,
    schedd,
    vm: false,
    master: b.master,
  };
  const after = readLabState(s.dir) ?? now;
  after.pools = [...after.pools.filter((p) => p.name !== b.name), pool];
  writeLabState(s.dir, after);
  Object.assign(state, after);
  log(`lab: ${b.name} up: collector ${pool.collector}, schedd ${schedd}, ${b.slots} slots, no VMs`);
  return pool;
}

/**
 * `lab down --org org-b`: stop org-b only (SIGQUIT to its master, HTCondor's fast shutdown: its daemons and
 * jobs end with it), drop it from the state and the site catalog; org-a keeps running. Returns whether it ran.
 */
export async function stopOrgB(s: LabSettings, log: Log): Promise<boolean> {
  const state = readLabState(s.dir);
  if (!state) return false;
  const b = orgB(s);
  const d = orgBMaster(s, state);
  if (d) {
    process.kill(d.pid, 'SIGQUIT');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && pidInRoot(d.pid, state.root)) await sleep(200);
    if (pidInRoot(d.pid, state.root)) process.kill(d.pid, 'SIGKILL');
    log(`lab: stopped ${b.master} (pid ${d.pid})`);
  } else log(`lab: ${b.name} not running`);
  const after = readLabState(s.dir) ?? state;
  after.daemons = after.daemons.filter((x) => x.name !== b.master);
  after.pools = after.pools.filter((p) => p.name !== b.name);
  writeLabState(s.dir, after);
  if (labIsRunning(after)) writeSites(s, after, log);
  return d !== undefined;
}
