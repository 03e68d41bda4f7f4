/**
 * Starting and stopping the lab's separate organisations (organisation.ts says what they are). An
 * organisation's root is a copy of the lab's build, made once per build; its state (queue, logs, keys,
 * tokens) is reset at every start, so each `lab up` brings up a fresh organisation with a new signing key
 * and new tokens for the lab's user.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { installLabSiteKit } from '../site-kit/lab-site-kit.js';
import { spawnInLab } from './daemons.js';
import { mountRun, mountSystem, releaseMounts } from './mounts.js';
import { bridgeMac, netnsExists } from './netns.js';
import type { LabSettings } from './options.js';
import {
  ORG_GUEST_DIR,
  ORG_RESET_PATHS,
  type Organisation,
  orgCollector,
  orgConfig,
  orgHosts,
  orgScheddName,
} from './organisation.js';
import type { LabPool } from './orgs.js';
import { waitForPool } from './pool-ready.js';
import { daemonAlive, type LabState, pidInRoot, readLabState, writeLabState } from './state.js';
import { LabError, type Log, sys, timed, writeLabFile } from './sys.js';
import { startVirt, writeVirtConfig } from './virt.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The token lifetime: the lab's tokens outlive any test run, and die with the organisation's key at `lab down`. */
const TOKEN_LIFETIME_S = 7 * 24 * 3600;

const masterName = (o: Organisation) => `${o.name}/condor_master`;

/** The prefix of a command run as root inside the organisation: its namespace and root. */
const orgPrefix = (o: Organisation) => ['ip', 'netns', 'exec', o.netns, 'chroot', o.root];

/** Run a command inside the organisation (its namespace and root), as root. */
function inOrg(o: Organisation, argv: readonly string[], opts: { allowFailure?: boolean } = {}) {
  return sys([...orgPrefix(o), ...argv], opts);
}

/**
 * Its own root: a copy of the lab's build (read through a plain bind mount, so nothing mounted inside the
 * running lab — /proc, the shared host folders — is copied). Made once per build and kept.
 */
async function ensureOrgRoot(o: Organisation, buildRoot: string, log: Log): Promise<void> {
  const marker = path.join(path.dirname(o.root), 'build');
  if (existsSync(path.join(o.root, 'etc/condor')) && existsSync(marker)) {
    if (readFileSync(marker, 'utf8').trim() === buildRoot) return;
  }
  // Everything mounted under its folder first (a copy interrupted midway leaves build-view bound to the
  // lab's build: removing the folder through it would remove the build).
  await releaseMounts(path.dirname(o.root));
  rmSync(path.dirname(o.root), { recursive: true, force: true });
  const tmp = `${o.root}.tmp-${process.pid}`;
  const view = `${path.dirname(o.root)}/build-view`;
  mkdirSync(tmp, { recursive: true });
  mkdirSync(view, { recursive: true });
  await timed(log, `${o.name} root (copy of ${path.basename(path.dirname(buildRoot))})`, async () => {
    await sys(['mount', '--bind', buildRoot, view]);
    try {
      await sys(['cp', '-a', `${view}/.`, `${tmp}/`]);
    } finally {
      await sys(['umount', view], { allowFailure: true });
    }
  });
  rmSync(view, { recursive: true, force: true });
  renameSync(tmp, o.root);
  writeFileSync(marker, `${buildRoot}\n`);
}

/**
 * Its network: a namespace with its bridge (the pool's address), and a veth link whose one end is a port of
 * that bridge and whose other end, in the lab's namespace, holds an address of the organisation's subnet: the
 * user's side reaches the gateway on-link. Neither namespace forwards (guests reach only their gateway).
 */
async function ensureOrgNetwork(s: LabSettings, o: Organisation): Promise<void> {
  if (await netnsExists(o.netns)) await sys(['ip', 'netns', 'del', o.netns]);
  await sys(['ip', '-n', s.netns, 'link', 'del', o.link], { allowFailure: true });
  await sys(['ip', 'netns', 'add', o.netns]);
  const org = (...a: string[]) => sys(['ip', '-n', o.netns, ...a]);
  const lab = (...a: string[]) => sys(['ip', '-n', s.netns, ...a]);
  await org('link', 'set', 'lo', 'up');
  await org('link', 'add', o.bridge, 'type', 'bridge');
  await org('link', 'set', o.bridge, 'address', bridgeMac(o.address));
  await org('addr', 'add', `${o.address}/24`, 'dev', o.bridge);
  await org('link', 'set', o.bridge, 'up');
  await lab('link', 'add', o.link, 'type', 'veth', 'peer', 'name', 'wan0', 'netns', o.netns);
  await org('link', 'set', 'wan0', 'master', o.bridge);
  await org('link', 'set', 'wan0', 'up');
  await lab('addr', 'add', `${o.linkUserAddress}/24`, 'dev', o.link);
  await lab('link', 'set', o.link, 'up');
  // The user's side talks from its own address (the lab pool's NETWORK_INTERFACE): answers go back through
  // the link. A route on the bridge, which stays up while the link is down, so it survives an outage.
  await org(
    'route',
    'replace',
    `${s.address.split('.').slice(0, 3).join('.')}.0/${s.prefixLength}`,
    'via',
    o.linkUserAddress,
  );
}

/** Reset its state and write its configuration (inside its mounted root). */
async function prepareOrgRoot(s: LabSettings, o: Organisation): Promise<void> {
  for (const p of ORG_RESET_PATHS) {
    if (p !== 'run') rmSync(path.join(o.root, p), { recursive: true, force: true });
  }
  writeLabFile(path.join(o.root, 'etc/condor/config.d/90-vmdag-lab.conf'), orgConfig(s, o));
  writeLabFile(path.join(o.root, 'etc/hosts'), orgHosts(o, hostname()));
  writeLabFile(
    path.join(o.root, 'etc/resolv.conf'),
    '# generated by vmdag — do not edit\n# no DNS in the lab\n',
  );
  const install = (args: string[]) => sys(['chroot', o.root, 'install', ...args]);
  await install(['-d', '-m', '0700', '/etc/condor/passwords.d', '/etc/condor/tokens.d']);
  await install([
    '-d',
    '-o',
    'condor',
    '-g',
    'condor',
    '/var/spool/condor',
    '/var/log/condor',
    '/var/lib/condor/execute',
    '/run/condor',
    '/run/lock/condor',
  ]);
}

/** The VM side of org-c: guest kernel and initramfs inside its root, the site kit, its own libvirtd and DHCP. */
async function startOrgVirt(
  s: LabSettings,
  o: Organisation,
  guest: NonNullable<LabState['guest']>,
  log: Log,
): Promise<boolean> {
  mkdirSync(path.join(o.root, ORG_GUEST_DIR.slice(1)), { recursive: true });
  const kernel = path.join(ORG_GUEST_DIR, 'vmlinuz');
  const initrd = path.join(ORG_GUEST_DIR, 'initrd.img');
  copyFileSync(guest.kernel, path.join(o.root, kernel.slice(1)));
  copyFileSync(guest.initrd, path.join(o.root, initrd.slice(1)));
  writeVirtConfig(o.root);
  await installLabSiteKit({
    root: o.root,
    bridge: o.bridge,
    address: o.address,
    schedd: orgScheddName(o),
    kernel,
    initrd,
    vmMemory: 2048,
  });
  return startVirt(s, o.root, log, {
    name: o.name,
    netns: o.netns,
    bridge: o.bridge,
    address: o.address,
    logDir: o.runDir,
  });
}

/** Issue the lab's user a token of the organisation (its own key), in a folder only that user reads. */
async function issueToken(s: LabSettings, o: Organisation): Promise<void> {
  const r = await inOrg(o, [
    'condor_token_create',
    '-identity',
    o.identity,
    '-key',
    'POOL',
    '-lifetime',
    String(TOKEN_LIFETIME_S),
  ]);
  rmSync(o.tokensDir, { recursive: true, force: true });
  // The folder of all organisations' token folders: searchable by everyone, listing nothing private.
  mkdirSync(path.dirname(o.tokensDir), { recursive: true, mode: 0o755 });
  chmodSync(path.dirname(o.tokensDir), 0o755);
  mkdirSync(o.tokensDir, { mode: 0o700 });
  const file = path.join(o.tokensDir, `${o.name}.token`);
  writeFileSync(file, r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`, { mode: 0o600 });
  await sys(['chown', '-R', `${s.user.uid}:${s.user.gid}`, o.tokensDir]);
}

/** The organisation's pool record when its master runs, else undefined. */
export function runningOrg(state: LabState, o: Organisation): LabPool | undefined {
  const d = state.daemons.find((x) => x.name === masterName(o));
  if (!d || !daemonAlive(state, d)) return undefined;
  return state.pools.find((p) => p.name === o.name);
}

/** Bring the organisation up unless it runs; returns its pool (as the catalog names it). */
export async function ensureOrg(
  s: LabSettings,
  state: LabState,
  o: Organisation,
  log: Log,
): Promise<LabPool> {
  const known = runningOrg(state, o);
  if (known) {
    log(`lab: ${o.name} already running (collector ${known.collector}, schedd ${known.schedd})`);
    return known;
  }
  await stopOrg(s, o, log, { quiet: true });
  await ensureOrgRoot(o, state.root, log);
  mkdirSync(o.runDir, { recursive: true });
  const pid = await timed(log, `${o.name} start`, async () => {
    await mountSystem(o.root);
    await mountRun(o.root);
    await prepareOrgRoot(s, o);
    await ensureOrgNetwork(s, o);
    if (o.vm && state.guest && !(await startOrgVirt(s, o, state.guest, log))) {
      throw new LabError(`${o.name}: its VM daemons did not start (see ${o.runDir})`);
    }
    return spawnInLab({ netns: o.netns, root: o.root }, o.runDir, 'condor_master', [
      '/usr/sbin/condor_master',
      '-f',
    ]);
  });
  const now = readLabState(s.dir) ?? state;
  now.daemons = [
    ...now.daemons.filter((d) => d.name !== masterName(o)),
    { name: masterName(o), pid, root: o.root },
  ];
  writeLabState(s.dir, now);
  const schedd = await timed(log, `${o.name} pool ready`, () =>
    // Asked by its own root on its own machine (FS authentication), as its administrator would: the lab's
    // user holds no token of it yet, and HTCondor 23's configuration requires authentication even to read.
    waitForPool(state, {
      name: `${o.name} (collector ${orgCollector(o)})`,
      schedd: orgScheddName(o),
      slots: o.slots,
      logs: path.join(o.root, 'var/log/condor'),
      prefix: orgPrefix(o),
    }),
  );
  await issueToken(s, o);
  const pool: LabPool = {
    name: o.name,
    collector: orgCollector(o),
    schedd,
    vm: o.vm && state.guest !== undefined,
    master: masterName(o),
    tokens: o.tokensDir,
    transfer: 'spool',
  };
  const after = readLabState(s.dir) ?? now;
  after.pools = [...after.pools.filter((p) => p.name !== o.name), pool];
  writeLabState(s.dir, after);
  Object.assign(state, after);
  log(
    `lab: ${o.name} up: collector ${pool.collector}, schedd ${schedd}, ${o.slots} slots${pool.vm ? ', VMs' : ''}; ` +
      `token for ${o.identity} in ${o.tokensDir}`,
  );
  return pool;
}

/**
 * Stop the organisation: its daemons (condor_master's fast shutdown first), whatever else lives in its
 * namespace and root, its mounts, its namespace (the link goes with it); drop it from the state. Its root
 * copy is kept for the next start. Returns whether anything ran.
 */
export async function stopOrg(
  s: LabSettings,
  o: Organisation,
  log: Log,
  opts: { quiet?: boolean } = {},
): Promise<boolean> {
  let acted = false;
  const state = readLabState(s.dir);
  const mine = (state?.daemons ?? []).filter((d) => d.name.startsWith(`${o.name}/`));
  const alive = state ? mine.filter((d) => daemonAlive(state, d)) : [];
  for (const d of [...alive].reverse()) {
    try {
      process.kill(d.pid, d.name === masterName(o) ? 'SIGQUIT' : 'SIGTERM');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + 30_000;
  while (state && Date.now() < deadline && alive.some((d) => daemonAlive(state, d))) await sleep(200);
  for (const d of alive) {
    try {
      if (state && daemonAlive(state, d)) process.kill(d.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    log(`lab: stopped ${d.name} (pid ${d.pid})`);
    acted = true;
  }
  if (await netnsExists(o.netns)) {
    // What is left in its namespace and chrooted into its root (shadows, starters, jobs, guests' qemu): only
    // this lab's; a namespace of that name holding anything else is another lab's and is left alone.
    let foreign: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await sys(['ip', 'netns', 'pids', o.netns], { allowFailure: true });
      const pids = r.stdout
        .split('\n')
        .map(Number)
        .filter((n) => n > 0);
      const ours = pids.filter((p) => pidInRoot(p, o.root));
      foreign = pids.filter((p) => !pidInRoot(p, o.root));
      if (ours.length === 0) break;
      for (const pid of ours) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await sleep(200);
    }
    if (foreign.length > 0) {
      throw new LabError(
        `network namespace ${o.netns} is in use by other processes (pids ${foreign.join(' ')}); left alone`,
      );
    }
    await sys(['ip', 'netns', 'del', o.netns]);
    acted = true;
  }
  await sys(['ip', '-n', s.netns, 'link', 'del', o.link], { allowFailure: true });
  if ((await releaseMounts(path.dirname(o.root))) > 0) acted = true;
  if (state) {
    const after = readLabState(s.dir) ?? state;
    after.daemons = after.daemons.filter((d) => !d.name.startsWith(`${o.name}/`));
    after.pools = after.pools.filter((p) => p.name !== o.name);
    writeLabState(s.dir, after);
  }
  rmSync(o.tokensDir, { recursive: true, force: true });
  if (acted && !opts.quiet) log(`lab: ${o.name} stopped`);
  return acted;
}
