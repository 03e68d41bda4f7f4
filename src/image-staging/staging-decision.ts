/**
 * How a VM image reaches the VMs of one run (pure; the file-system facts are gathered by images-folder.ts):
 * - `in-place`: `location: cluster`, the image is already on the cluster's shared file system;
 * - `staged`: a local image copied ONCE per run into the chosen site's images folder (a shared file system
 *   this host can write), content-addressed as `vmdag-<sha256>.<format>` (a copy already there is reused);
 *   the VM jobs name it by absolute path, nothing is transferred, and each VM boots from its own overlay;
 * - `per-vm`: the fallback, HTCondor file transfer with each VM job (the image crosses once per VM); always so
 *   for a site the run travels to (`transfer: spool`): no folder there is shared with this host, so the image
 *   goes once with the run and from the site's spool to each VM.
 */
import type { ImageFormat, ImageLocation, Transfer } from '../model/workflow.js';

export type ImageDelivery = 'staged' | 'per-vm' | 'in-place';

/** What this host sees of a site's images folder. */
export type FolderState = 'writable' | 'creatable' | 'missing' | 'read-only' | 'not-a-folder';

export interface ImagesFolder {
  dir: string;
  /** catalog: the site's `images`; env: $VMDAG_IMAGES; default: /var/lib/vmdag/images (local pool only). */
  from: 'catalog' | 'env' | 'default';
  state: FolderState;
}

export interface StagingInput {
  site: string;
  /** How the run's files reach the site (the catalog's `transfer`; the local pool: `shared`). */
  transfer: Transfer;
  location: ImageLocation;
  format: ImageFormat;
  differential: boolean;
  /** VMs of the run: copies HTCondor makes when the image travels with each VM job. */
  count: number;
  /** sha256 of the local image file (hex), once computed. */
  sha256?: string;
  /** The site's images folder; undefined when the site names none. */
  folder?: ImagesFolder;
  /** Size of the file already at the staged path, if any (a copy staged by an earlier run). */
  existingBytes?: number;
  /** Size of the local image. */
  bytes?: number;
}

export interface StagingDecision {
  delivery: ImageDelivery;
  /** Absolute path of the staged copy (delivery `staged`). */
  stagedPath?: string;
  /** The staged copy is already there with the same content address (and size): nothing to copy. */
  reuse?: boolean;
  /** The images folder must be created first (the local pool's default folder). */
  createFolder?: boolean;
  /**
   * How many times the image crosses to the cluster for this run: 1 staged (0 when reused), count per VM
   * (for a spool site: from its spool, where the image arrived once with the run).
   */
  copies: number;
  /** Why, in words (for `vmdag plan` and `submit`). */
  reason: string;
}

/** The content-addressed file name of a staged image. */
export function stagedName(sha256: string, format: ImageFormat): string {
  return `vmdag-${sha256.toLowerCase()}.${format}`;
}

const FOLDER_PROBLEM: Record<Exclude<FolderState, 'writable' | 'creatable'>, string> = {
  missing: 'does not exist here (not mounted on this host?)',
  'read-only': 'is not writable from this host',
  'not-a-folder': 'is not a folder',
};

export function decideStaging(i: StagingInput): StagingDecision {
  if (i.location === 'cluster')
    return { delivery: 'in-place', copies: 0, reason: 'location: cluster — used in place, never copied' };
  if (i.transfer === 'spool')
    return {
      delivery: 'per-vm',
      copies: i.count,
      reason:
        "the run travels to the site with its files (transfer: spool): the image goes once with the run and from the site's spool to each VM",
    };
  const perVm = (why: string): StagingDecision => ({
    delivery: 'per-vm',
    copies: i.count,
    reason: `sent by HTCondor file transfer with each VM job (${i.count} ${i.count === 1 ? 'copy' : 'copies'}): ${why}`,
  });
  if (!i.differential)
    return perVm(
      'differential: false — each VM writes its own disk, so each needs its own copy (with differential: true one read-only copy is staged per run and each VM gets an overlay)',
    );
  if (!i.folder)
    return perVm(
      `site ${i.site} names no images folder (set images: in the site catalog${i.site === 'local' ? ', or VMDAG_IMAGES' : ''})`,
    );
  if (i.folder.state !== 'writable' && i.folder.state !== 'creatable')
    return perVm(`${i.site}'s images folder ${i.folder.dir} ${FOLDER_PROBLEM[i.folder.state]}`);
  if (i.sha256 === undefined) return perVm('the image has no sha256 yet to name its staged copy');
  const stagedPath = `${i.folder.dir.replace(/\/+$/, '')}/${stagedName(i.sha256, i.format)}`;
  const reuse = i.existingBytes !== undefined && i.bytes !== undefined && i.existingBytes === i.bytes;
  const d: StagingDecision = {
    delivery: 'staged',
    stagedPath,
    reuse,
    copies: reuse ? 0 : 1,
    reason: reuse
      ? `already staged in ${i.site}'s images folder by an earlier run (same sha256 and size): reused, not copied`
      : `copied once for this run into ${i.site}'s images folder ${i.folder.dir} (shared with the execute nodes); the VMs open it read-only, each with its own overlay`,
  };
  if (i.folder.state === 'creatable') d.createFolder = true;
  return d;
}
