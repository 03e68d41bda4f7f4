/**
 * The lab's mounts: the root folder bound onto itself (a private mount, so nothing propagates back to the
 * host), /proc, /sys and /dev for the daemons, a fresh /run, and the host folders shared at the same path.
 * Everything mounted lives under the root, so `releaseMounts` finds and releases all of it from
 * /proc/self/mountinfo, deepest first.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { sys } from './sys.js';

/** Mount points at or under `root`, deepest first. */
export function mountsUnder(root: string): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(`${root}/`));
  // Later mounts stack on earlier ones: release in reverse order of appearance, children before parents.
  return [...new Set(points.reverse())].sort((a, b) => b.split('/').length - a.split('/').length);
}

export async function releaseMounts(root: string): Promise<number> {
  let released = 0;
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(root);
    if (points.length === 0) break;
    for (const p of points) {
      const r = await sys(['umount', p], { allowFailure: true });
      if (r.exitCode !== 0) await sys(['umount', '-l', p], { allowFailure: true });
      released++;
    }
  }
  const left = mountsUnder(root);
  if (left.length > 0) throw new Error(`could not release mounts under ${root}: ${left.join(', ')}`);
  return released;
}

async function bindInto(root: string, source: string, recursive: boolean): Promise<void> {
  const target = path.join(root, source);
  mkdirSync(target, { recursive: true });
  await sys(['mount', recursive ? '--rbind' : '--bind', source, target]);
  // A slave receives the host's later mounts but sends nothing back: unmounting it never touches the host.
  await sys(['mount', recursive ? '--make-rslave' : '--make-slave', target]);
}

/** /proc, /sys, /dev: what package scripts and daemons need. */
export async function mountSystem(root: string): Promise<void> {
  if (!mountsUnder(root).includes(root)) {
    await sys(['mount', '--bind', root, root]);
    await sys(['mount', '--make-private', root]);
  }
  await sys(['mount', '-t', 'proc', 'proc', path.join(root, 'proc')]);
  await bindInto(root, '/sys', true);
  await bindInto(root, '/dev', true);
}

/** A fresh /run for every start (no stale pipes or pid files from a previous run). */
export async function mountRun(root: string): Promise<void> {
  await sys(['mount', '-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev', 'tmpfs', path.join(root, 'run')]);
}

/** The host folders that exist, as real paths, parents before children. */
export function existingSharedPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  const byDepth = [...paths].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  for (const p of byDepth) {
    if (!existsSync(p) || !statSync(p).isDirectory()) continue;
    const real = realpathSync(p);
    // A folder inside one already shared is visible through it (binds here are not recursive, so only
    // a separate file system mounted below it would be missed).
    if (real === '/' || out.some((o) => real === o || real.startsWith(`${o}/`))) continue;
    out.push(real);
  }
  return out;
}

/** Bind each shared host folder at the same path inside the root. */
export async function mountShared(root: string, paths: readonly string[]): Promise<string[]> {
  const done: string[] = [];
  for (const p of existingSharedPaths(paths)) {
    if (p === root || p.startsWith(`${root}/`)) continue;
    await bindInto(root, p, false);
    done.push(p);
  }
  return done;
}
