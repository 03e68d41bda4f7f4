/**
 * Where a site keeps its VM images, and what this host sees of that folder (file system, at the edge):
 * a catalog site's `images`; for the local pool (no catalog) $VMDAG_IMAGES, else /var/lib/vmdag/images
 * (shared into the lab's execute nodes). Only the local pool's folder may be created: a catalog folder that
 * does not exist here is a shared file system not mounted on this host, and creating it would stage the
 * image where the cluster never looks.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { FolderState, ImagesFolder } from './staging-decision.js';

export const DEFAULT_IMAGES_DIR = '/var/lib/vmdag/images';

/**
 * The local pool's images folder, resolved once by the command or use case (resolveLocalImages): `none` when
 * the local pool has none (no staging there).
 */
export type LocalImages = Omit<ImagesFolder, 'state'> | 'none';

/**
 * The local pool's images folder: `$VMDAG_IMAGES` (relative to `cwd`; empty or `none`: no folder, no staging
 * for the local pool), else DEFAULT_IMAGES_DIR.
 */
export function resolveLocalImages(env: Record<string, string | undefined>, cwd: string): LocalImages {
  const fromEnv = env.VMDAG_IMAGES;
  if (fromEnv === undefined) return { dir: DEFAULT_IMAGES_DIR, from: 'default' };
  const v = fromEnv.trim();
  if (v === '' || v === 'none') return 'none';
  return { dir: resolve(cwd, v), from: 'env' };
}

/** The images folder of a site (catalog entry, or the local pool when `site.pool` is unset). */
export function imagesFolderOf(
  site: { name: string; pool?: string; images?: string },
  localImages: LocalImages,
): Omit<ImagesFolder, 'state'> | undefined {
  if (site.pool !== undefined) return site.images ? { dir: site.images, from: 'catalog' } : undefined;
  if (site.images) return { dir: site.images, from: 'catalog' };
  return localImages === 'none' ? undefined : localImages;
}

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What this host can do with the folder; `mayCreate` only for the local pool's own folder. */
export function probeFolder(dir: string, mayCreate: boolean): FolderState {
  if (!isAbsolute(dir)) return 'missing';
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) return 'not-a-folder';
    return writable(dir) ? 'writable' : 'read-only';
  } catch {
    if (!mayCreate) return 'missing';
  }
  // The nearest existing ancestor decides whether the folder can be made.
  let p = dirname(dir);
  for (;;) {
    try {
      const st = statSync(p);
      if (!st.isDirectory()) return 'not-a-folder';
      return writable(p) ? 'creatable' : 'read-only';
    } catch {
      if (p === dirname(p)) return 'missing';
      p = dirname(p);
    }
  }
}

export function imagesFolder(
  site: { name: string; pool?: string; images?: string },
  localImages: LocalImages,
): ImagesFolder | undefined {
  const f = imagesFolderOf(site, localImages);
  return f ? { ...f, state: probeFolder(f.dir, f.from !== 'catalog') } : undefined;
}

/** Size of a regular file, or undefined. */
export function fileBytes(p: string): number | undefined {
  try {
    const st = statSync(p);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}
