/**
 * The lab's VM side, set up by `lab up` before any daemon starts: the guest image (built once, cached), a
 * qcow2 copy of it for workflows with `differential: true`, and the site kit an administrator would install
 * (`installLabSiteKit`, the same files `vmdag site-config` writes). The startd detects VM support only when
 * it starts, so all of this, and libvirtd, must be in place before condor_master.
 */
import { existsSync, rmSync } from 'node:fs';
import { rename, symlink } from 'node:fs/promises';
import path from 'node:path';
import { installLabSiteKit } from '../site-kit/lab-site-kit.js';
import { ensureGuestImage, type GuestImage } from './guest/ensure-guest-image.js';
import type { LabSettings } from './options.js';
import { type Log, sys, timed } from './sys.js';

export interface LabGuest {
  /** Raw ext4 root, mounted read-only by every guest (`format: raw`, `differential: false`). */
  image: string;
  /** The same file system as qcow2, a base for copy-on-write overlays (`format: qcow2`, `differential: true`). */
  imageQcow2: string;
  kernel: string;
  initrd: string;
}

/** The site kit's configuration file inside the lab root (removed when the lab runs without VMs). */
export const SITE_CONF = 'etc/condor/config.d/50-vmdag-site.conf';

/** Build or find the guest image; undefined (with a warning) when it cannot be built: the pool then runs without VMs. */
export async function labGuestImage(log: Log): Promise<GuestImage | undefined> {
  try {
    return await timed(log, 'guest image', () => ensureGuestImage({ log }));
  } catch (e) {
    log(`lab: WARNING: no guest image, VM-universe jobs cannot run: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Inside the mounted root (the guest cache is one of its shared folders): the qcow2 copy, made once with
 * the lab's qemu-img and renamed into place when complete; then the site kit.
 */
export async function installLabVmSide(
  s: LabSettings,
  root: string,
  schedd: string,
  guest: GuestImage | undefined,
  log: Log,
): Promise<LabGuest | undefined> {
  if (!guest) {
    rmSync(path.join(root, SITE_CONF), { force: true });
    return undefined;
  }
  const imageQcow2 = path.join(guest.dir, 'guest.qcow2');
  if (!existsSync(imageQcow2)) {
    const tmp = `${imageQcow2}.tmp-${process.pid}`;
    await timed(log, 'guest image as qcow2', async () => {
      await sys(['chroot', root, 'qemu-img', 'convert', '-O', 'qcow2', guest.image, tmp]);
      await rename(tmp, imageQcow2);
    });
  }
  // Stable names for workflows and examples: <cache>/guest.img and <cache>/guest.qcow2 → this build.
  for (const [name, target] of [
    ['guest.img', guest.image],
    ['guest.qcow2', imageQcow2],
  ] as const) {
    const link = path.join(path.dirname(guest.dir), name);
    const tmp = `${link}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    await symlink(path.relative(path.dirname(link), target), tmp);
    await rename(tmp, link);
  }
  await installLabSiteKit({
    root,
    bridge: s.bridge,
    address: s.address,
    schedd,
    kernel: guest.kernel,
    initrd: guest.initrd,
  });
  return { image: guest.image, imageQcow2, kernel: guest.kernel, initrd: guest.initrd };
}
