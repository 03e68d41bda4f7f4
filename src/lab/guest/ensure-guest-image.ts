/**
 * The vmdag guest image, built once per recipe and cached: `ensureGuestImage()` returns the cached build
 * when its recipe hash matches, else runs build-guest.sh (debootstrap, cloud kernel, busybox initramfs,
 * ext4 image) in a scratch folder and renames the result into place. Called by `vmdag lab up`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { type GuestRecipe, guestRecipe, guestRecipeHash, type RecipeChoices, recipeDir } from './recipe.js';

export interface GuestImageOptions extends RecipeChoices {
  /** Cache folder; env VMDAG_GUEST_DIR; default /var/lib/vmdag/guest. */
  dir?: string;
  /** Debian mirror; env VMDAG_GUEST_MIRROR, else VMDAG_LAB_MIRROR; default http://deb.debian.org/debian. */
  mirror?: string;
  /** Progress lines (each build step with its seconds). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface GuestImage {
  /** The build's folder: guest.img, vmlinuz, initrd.img, manifest.json. */
  dir: string;
  /** Raw ext4 root file system, mounted read-only by every guest (vm_disk = IMAGE:vda:r:raw). */
  image: string;
  kernel: string;
  initrd: string;
  recipeHash: string;
  kernelVersion: string;
  condorVersion: string;
  openmpiVersion: string;
  mpichVersion: string;
  imageBytes: number;
  /** True when this call built it; false when it came from the cache. */
  built: boolean;
  /** Seconds per build step (debootstrap, kernel, initramfs, configure, slim, mpi-check, image, total). */
  steps: Record<string, number>;
}

interface Manifest extends Omit<GuestImage, 'dir' | 'image' | 'kernel' | 'initrd' | 'built'> {
  recipe: GuestRecipe;
  builtAt: string;
}

export function guestCacheDir(opts: GuestImageOptions = {}): string {
  const env = opts.env ?? process.env;
  return path.resolve(opts.dir ?? (env.VMDAG_GUEST_DIR || '/var/lib/vmdag/guest'));
}

function paths(dir: string) {
  return {
    image: path.join(dir, 'guest.img'),
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd.img'),
    manifest: path.join(dir, 'manifest.json'),
  };
}

async function readCached(dir: string): Promise<GuestImage | undefined> {
  const p = paths(dir);
  if (![p.image, p.kernel, p.initrd, p.manifest].every((f) => existsSync(f))) return undefined;
  const m = JSON.parse(await readFile(p.manifest, 'utf8')) as Manifest;
  const { recipe: _recipe, builtAt: _builtAt, ...rest } = m;
  return { ...rest, dir, image: p.image, kernel: p.kernel, initrd: p.initrd, built: false };
}

/** Build (or find in the cache) the guest image for this recipe. Needs root, debootstrap and mke2fs. */
export async function ensureGuestImage(opts: GuestImageOptions = {}): Promise<GuestImage> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const extra = opts.extraPackages ?? (env.VMDAG_GUEST_PACKAGES ?? '').split(/[\s,]+/).filter(Boolean);
  const customize = opts.customize ?? (env.VMDAG_GUEST_CUSTOMIZE || undefined);
  const choices = { ...opts, extraPackages: extra, customize: customize && path.resolve(customize) };
  const recipe = guestRecipe(choices);
  const hash = guestRecipeHash(recipe);
  const cache = guestCacheDir(opts);
  const final = path.join(cache, `${recipe.suite}-${hash}`);
  const cached = await readCached(final);
  if (cached) {
    log(`guest: image ${final} (cached, recipe ${hash})`);
    return cached;
  }
  const mirror = (
    opts.mirror ??
    env.VMDAG_GUEST_MIRROR ??
    env.VMDAG_LAB_MIRROR ??
    'http://deb.debian.org/debian'
  ).replace(/\/+$/, '');
  const scratch = path.join(cache, `.build-${hash}-${process.pid}`);
  const out = path.join(scratch, 'out');
  const work = path.join(scratch, 'work');
  await removeScratch(scratch);
  await mkdir(work, { recursive: true });
  await mkdir(path.join(cache, 'debs'), { recursive: true });
  log(`guest: building image (recipe ${hash}) in ${scratch}`);
  const steps: Record<string, number> = {};
  try {
    const proc = execa('sh', [path.join(recipeDir(), 'build-guest.sh')], {
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        OUT: out,
        WORK: work,
        SUITE: recipe.suite,
        MIRROR: mirror,
        PACKAGES: recipe.packages.join(','),
        SLIM: recipe.slim ? '1' : '0',
        SLIM_PACKAGES: recipe.slimPackages.join(' '),
        MODULES: recipe.modules.join(' '),
        RECIPE: recipeDir(),
        DEB_CACHE: path.join(cache, 'debs'),
        CUSTOMIZE: choices.customize ?? '',
      },
      extendEnv: false,
      reject: false,
      timeout: 1_800_000,
    });
    proc.stdout?.on('data', (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        const m = /^(step|total) ?(\S*) ([\d.]+)$/.exec(line.trim());
        if (!m) continue;
        const name = m[1] === 'total' ? 'total' : (m[2] ?? '?');
        steps[name] = Number(m[3]);
        log(`guest: ${name}: ${m[3]} s`);
      }
    });
    const r = await proc;
    if (r.exitCode !== 0) {
      const tail = String(r.stderr ?? '')
        .trim()
        .split('\n')
        .slice(-12)
        .join('\n  ');
      throw new Error(
        `guest image build failed (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}):\n  ${tail}`,
      );
    }
    const kv = parseEnvFile(await readFile(path.join(out, 'manifest.env'), 'utf8'));
    const manifest: Manifest = {
      recipeHash: hash,
      kernelVersion: kv.KERNEL_VERSION ?? '',
      condorVersion: kv.CONDOR_VERSION ?? '',
      openmpiVersion: kv.OPENMPI_VERSION ?? '',
      mpichVersion: kv.MPICH_VERSION ?? '',
      imageBytes: (await stat(path.join(out, 'guest.img'))).size,
      steps,
      recipe,
      builtAt: new Date().toISOString(),
    };
    await writeFile(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(path.join(out, 'manifest.env'), { force: true });
    if (!existsSync(final)) await rename(out, final);
  } finally {
    await removeScratch(scratch);
  }
  const built = await readCached(final);
  if (!built) throw new Error(`guest image build left no image in ${final}`);
  log(`guest: image ${final} built in ${steps.total ?? '?'} s`);
  return { ...built, built: true };
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Remove a scratch build folder, unmounting first anything a failed debootstrap left mounted inside it. */
async function removeScratch(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8').catch(() => ''))
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
  await rm(dir, { recursive: true, force: true });
}

/** Builds in the cache other than `keep` (e.g. superseded recipes); the lab removes them when no VM runs. */
export async function staleGuestImages(
  keep: readonly string[],
  opts: GuestImageOptions = {},
): Promise<string[]> {
  const cache = guestCacheDir(opts);
  const names = await readdir(cache).catch(() => [] as string[]);
  return names
    .filter((n) => /^[a-z]+-[0-9a-f]{12}$/.test(n))
    .map((n) => path.join(cache, n))
    .filter((d) => !keep.includes(d));
}
