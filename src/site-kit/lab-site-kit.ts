/**
 * The lab's execute node configured with exactly the site kit an administrator would install: called by
 * `vmdag lab up` after the guest image is built and before the pool starts (or followed by a startd
 * restart: VM support is detected when the startd starts).
 */

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { installSiteKit } from './install-site-kit.js';
import { type Emulation, resolveSiteOptions } from './options.js';
import { renderSiteConfig, type SiteFile } from './render-site-config.js';

export interface LabSiteKitInput {
  /** The lab chroot's root folder. */
  root: string;
  /** The lab bridge (VM NICs join it) and the pool's address on it. */
  bridge: string;
  address: string;
  /** The lab schedd's Name (its dedicated scheduler claims the guests). */
  schedd: string;
  /** The guest kernel and initramfs (ensureGuestImage), visible at the same paths inside the chroot. */
  kernel: string;
  initrd: string;
  /** Default tcg: hardware KVM fails on these machines; env VMDAG_LAB_EMULATION overrides. */
  emulation?: Emulation;
  /** VM_MEMORY in MiB; default 4096. */
  vmMemory?: number;
}

function labSiteOptions(i: LabSiteKitInput, env: NodeJS.ProcessEnv) {
  return resolveSiteOptions({
    emulation: i.emulation ?? env.VMDAG_LAB_EMULATION ?? 'tcg',
    kernel: i.kernel,
    initrd: i.initrd,
    bridge: i.bridge,
    scheddName: i.schedd,
    pool: `${i.address}:9618`,
    vmMemory: i.vmMemory ?? 4096,
    maxLeaseSeconds: 6 * 3600,
    // A guest that leaves something behind in a test can then be read from its console log.
    guestDebug: true,
  });
}

export function labSiteFiles(i: LabSiteKitInput, env: NodeJS.ProcessEnv = process.env): SiteFile[] {
  return renderSiteConfig(labSiteOptions(i, env));
}

/** Render and write the site kit into the lab root; returns the written paths (host side). */
export async function installLabSiteKit(
  i: LabSiteKitInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const options = labSiteOptions(i, env);
  const written = await installSiteKit(renderSiteConfig(options), i.root);
  // The guests' console folder from the start (the domain script makes it at the first domain it creates):
  // on a lab whose first VMs all had bad disks it exists too, so the suite's check for guests left behind
  // (test/lab/guests-left.ts) can read it rather than fail for want of it.
  const { consoleDir } = options;
  if (consoleDir) await mkdir(path.join(i.root, consoleDir), { recursive: true, mode: 0o700 });
  return written;
}
