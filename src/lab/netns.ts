/**
 * The lab's network: a namespace with loopback up and a bridge carrying a private /24. It has no uplink and
 * no route out, so nothing the pool (or a VM guest on the bridge) sends leaves the machine.
 */
import type { LabSettings } from './options.js';
import { sys } from './sys.js';

export async function netnsExists(name: string): Promise<boolean> {
  const r = await sys(['ip', 'netns', 'list'], { allowFailure: true });
  return r.stdout.split('\n').some((l) => l.split(' ')[0] === name);
}

/**
 * A fixed, locally administered MAC for a bridge, from its IPv4 address (02:76:6d + the last three bytes).
 * A Linux bridge without an address of its own takes the lowest MAC of its ports and changes it when that
 * port leaves: every time a VM's tap left, the other guests kept sending to the old MAC and lost the host
 * until their ARP entry expired — seen as a guest whose HTCondor could not leave the pool (no invalidation,
 * no RELEASE_CLAIM) while another run's VM was destroyed.
 */
export function bridgeMac(address: string): string {
  const b = address.split('.').map(Number);
  return ['02', '76', '6d', ...b.slice(1).map((n) => n.toString(16).padStart(2, '0'))].join(':');
}

export async function ensureNetwork(s: LabSettings): Promise<void> {
  if (!(await netnsExists(s.netns))) await sys(['ip', 'netns', 'add', s.netns]);
  const ip = (...a: string[]) => sys(['ip', '-n', s.netns, ...a]);
  await ip('link', 'set', 'lo', 'up');
  const has = await sys(['ip', '-n', s.netns, 'link', 'show', s.bridge], { allowFailure: true });
  if (has.exitCode !== 0) await ip('link', 'add', s.bridge, 'type', 'bridge');
  await ip('link', 'set', s.bridge, 'address', bridgeMac(s.address));
  await ip('addr', 'replace', `${s.address}/${s.prefixLength}`, 'dev', s.bridge);
  await ip('link', 'set', s.bridge, 'up');
}

export async function deleteNetwork(s: LabSettings): Promise<boolean> {
  if (!(await netnsExists(s.netns))) return false;
  await sys(['ip', 'netns', 'del', s.netns]);
  return true;
}

/** Processes living in the lab's namespace (everything the lab started, and their children). */
export async function netnsPids(s: LabSettings): Promise<number[]> {
  const r = await sys(['ip', 'netns', 'pids', s.netns], { allowFailure: true });
  return r.stdout
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((n) => Number.isInteger(n) && n > 0);
}
