/**
 * Daemons of the lab: each started in the foreground as a detached child through
 * `ip netns exec NS chroot ROOT ARGV…` (both exec, so the child's pid is the daemon's pid), recorded in the
 * state file, and stopped by `lab down` by that pid. condor_master is one; the VM work adds libvirtd,
 * virtlogd and dnsmasq the same way (startLabDaemon after labUp).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { type LabState, pidInRoot, readLabState, writeLabState } from './state.js';
import { LabError } from './sys.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Start `argv` (absolute path inside the root, in the foreground) as daemon `name`, with `env` added to its
 * environment (org-b's condor_master gets CONDOR_CONFIG); returns its pid.
 */
export async function spawnInLab(
  state: Pick<LabState, 'netns' | 'root'>,
  logDir: string,
  name: string,
  argv: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const logFd = openSync(path.join(logDir, `${name}.out`), 'a');
  const child = spawn('ip', ['netns', 'exec', state.netns, 'chroot', state.root, ...argv], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', ...env },
  });
  closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LabError(`could not start ${name}`);
  for (let i = 0; i < 50 && !pidInRoot(pid, state.root); i++) await sleep(100);
  if (!pidInRoot(pid, state.root)) throw new LabError(`${name} did not start (see ${logDir}/${name}.out)`);
  return pid;
}

/**
 * Start another daemon in the running lab and record it, so `lab down` stops it and `lab status` sees it
 * (a daemon named `libvirtd` makes status list the running domains). Idempotent per name.
 */
export async function startLabDaemon(
  name: string,
  argv: string[],
  labDir?: string,
  /** An organisation's namespace, root and log folder (default: the lab's own). */
  where?: { netns: string; root: string; logDir: string },
): Promise<number> {
  const state = readLabState(labDir);
  if (!state) throw new LabError("the vmdag lab is not running (start it with 'vmdag lab up')");
  const known = state.daemons.find((d) => d.name === name);
  if (known && pidInRoot(known.pid, known.root ?? state.root)) return known.pid;
  const pid = await spawnInLab(
    where ?? state,
    where?.logDir ?? path.dirname(path.dirname(state.wrapper)),
    name.replace(/\//g, '-'),
    argv,
  );
  const rec = where ? { name, pid, root: where.root, netns: where.netns } : { name, pid };
  state.daemons = [...state.daemons.filter((d) => d.name !== name), rec];
  writeLabState(path.dirname(path.dirname(path.dirname(state.wrapper))), state);
  return pid;
}
