/**
 * Facts about the VM image, gathered at the edge (file system): size and sha256 of a local image (streamed,
 * never read whole), and whether a `location: cluster` image is at a site — known only when the site's
 * `images` folder is visible from this machine (a shared file system, as in the lab), else "unknown".
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { ImageAtSite } from './choose-site.js';

export async function sha256File(absPath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(absPath, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface ImageFacts {
  absPath: string;
  bytes: number;
  sha256: string;
}

export async function imageFacts(absPath: string): Promise<ImageFacts> {
  const bytes = statSync(absPath).size;
  return { absPath, bytes, sha256: await sha256File(absPath) };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Is the cluster image `absPath` at this site? Checked against the site's `images` folder when visible. */
export function clusterImageAt(site: { name: string; images?: string }, absPath: string): ImageAtSite {
  if (!site.images) {
    return {
      state: 'unknown',
      detail: `${site.name} names no images folder in the site catalog; ${absPath} not checked`,
    };
  }
  const rel = relative(site.images, absPath);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    return {
      state: 'unknown',
      detail: `${absPath} is outside ${site.name}'s images folder ${site.images}; not checked`,
    };
  }
  if (!isDir(site.images)) {
    return {
      state: 'unknown',
      detail: `${site.name}'s images folder ${site.images} is not visible from here; not checked`,
    };
  }
  return existsSync(absPath)
    ? { state: 'present', detail: `${absPath} is in ${site.name}'s images folder` }
    : { state: 'missing', detail: `${site.name}'s images folder ${site.images} has no ${rel}` };
}
