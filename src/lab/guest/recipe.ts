/**
 * What the vmdag guest image is made of. The build is cached in a folder named by a hash of everything
 * that shapes it (suite, packages, modules, the build and boot scripts, GUEST_RECIPE_VERSION); changing any
 * of them builds a new image. Nothing here touches the system except reading the recipe's own files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the build changes in a way the files and lists below do not show. */
export const GUEST_RECIPE_VERSION = 1;

/**
 * debootstrap --include: an HTCondor execute node, OpenMPI (and MPICH), busybox for the initramfs and the
 * DHCP client, hpcc (HPL). busybox-static is the same busybox linked statically, so the initramfs needs no
 * libc. python3-cffi-backend: without it configuring condor fails on a virtual dependency.
 */
export const GUEST_PACKAGES = [
  'condor',
  'openmpi-bin',
  'busybox-static',
  'python3-cffi-backend',
  // mkfs.ext4 for the per-VM scratch disk the site kit attaches
  'e2fsprogs',
  // HPL for `npm run bench:paper` and examples/hpl-paper (issue 17): Debian's HPC Challenge suite, which
  // contains HPL. debootstrap takes the first alternative of its BLAS dependency, the reference BLAS
  // (libblas3, 0.6 MB), not OpenBLAS (45 MB): the same BLAS as the lab's native slots (src/lab/recipe.ts)
  // keeps % of native comparable, and the image stays small.
  'hpcc',
] as const;
export const MPICH_PACKAGES = ['mpich'] as const;

/**
 * The AMD GPU stack that UCX's ROCm transport plugins pull in (about 235 MB). MPI over TCP never loads
 * it; the build removes these packages' files and the UCX plugins that link them, then checks that no
 * remaining library or program misses a library.
 */
export const SLIM_PACKAGES = [
  'libamdhip64-5',
  'libhsa-runtime64-1',
  'libhsakmt1',
  'libamd-comgr2',
  'libllvm17t64',
  'libz3-4',
  'libdrm-amdgpu1',
] as const;

/**
 * Kernel modules loaded by the initramfs (dependencies added at build time): the root disk, the network,
 * the ACPI power button (evdev + button: libvirt's shutdown reaches the guest), and entropy.
 */
export const GUEST_MODULES = [
  'virtio_pci',
  'virtio_blk',
  'ext4',
  'virtio_net',
  'evdev',
  'button',
  'virtio_rng',
] as const;

/** The files of the recipe, next to this module in the source tree. */
export const RECIPE_FILES = [
  'build-guest.sh',
  'guest-init.sh',
  'initramfs-init.sh',
  'udhcpc.script',
] as const;

export interface GuestRecipe {
  version: number;
  /** sha256 of the customize script (run in the root before packing), or '' for none. */
  customize: string;
  suite: string;
  packages: string[];
  slim: boolean;
  slimPackages: string[];
  modules: string[];
  /** File name → sha256 of its text. */
  files: Record<string, string>;
}

/** The folder holding the recipe's shell files (src/lab/guest), from either src/ or dist/. */
export function recipeDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'src', 'lab', 'guest');
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the vmdag package root (package.json) above the guest recipe');
}

export interface RecipeChoices {
  suite?: string;
  /** Include MPICH (default true). */
  mpich?: boolean;
  /** Drop the ROCm stack (default true). */
  slim?: boolean;
  /** More Debian packages for the guest (env VMDAG_GUEST_PACKAGES, blank- or comma-separated). */
  extraPackages?: readonly string[];
  /** A shell script run inside the guest root before it is packed (env VMDAG_GUEST_CUSTOMIZE). */
  customize?: string;
}

export function guestRecipe(c: RecipeChoices = {}, dir = recipeDir()): GuestRecipe {
  const files: Record<string, string> = {};
  for (const f of RECIPE_FILES) {
    files[f] = createHash('sha256')
      .update(readFileSync(path.join(dir, f)))
      .digest('hex');
  }
  const packages = [
    ...GUEST_PACKAGES,
    ...(c.mpich === false ? [] : MPICH_PACKAGES),
    ...(c.extraPackages ?? []),
  ];
  for (const p of packages) {
    if (!/^[a-z0-9][a-z0-9+.-]*$/.test(p)) throw new Error(`not a Debian package name: '${p}'`);
  }
  const customize = c.customize ? createHash('sha256').update(readFileSync(c.customize)).digest('hex') : '';
  return {
    version: GUEST_RECIPE_VERSION,
    customize,
    suite: c.suite ?? 'trixie',
    packages,
    slim: c.slim !== false,
    slimPackages: [...SLIM_PACKAGES],
    modules: [...GUEST_MODULES],
    files,
  };
}

export function guestRecipeHash(r: GuestRecipe): string {
  return createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 12);
}
