/**
 * Writing the site kit: each file under a root folder at its node path (root `/` installs on this node;
 * a chroot installs into it; `site-config -o DIR` lays out DIR/etc/… and DIR/usr/… to copy). Each file is
 * written to a temporary name in its folder and renamed, so a running gahp never reads half a script.
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SiteFile } from './render-site-config.js';

export async function installSiteKit(files: readonly SiteFile[], root: string): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const dest = path.join(root, f.path);
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    await writeFile(tmp, f.content, { mode: f.mode });
    await chmod(tmp, f.mode);
    await rename(tmp, dest);
    written.push(dest);
  }
  return written;
}
