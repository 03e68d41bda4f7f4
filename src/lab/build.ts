/**
 * Building the lab's root file system (cached): debootstrap a minimal Debian of the chosen suite, install
 * HTCondor, OpenMPI and the VM packages into it, add the submitting user. The build happens in a temporary
 * folder and is renamed into place only when complete, so an interrupted build is never reused.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { mountSystem, releaseMounts } from './mounts.js';
import type { LabSettings } from './options.js';
import { buildName, labRecipe } from './recipe.js';
import { LabError, type Log, sys, timed } from './sys.js';

const COMPLETE = '.vmdag-build-complete';

export function buildRoot(s: LabSettings): string {
  return path.join(s.buildsDir, buildName(labRecipe(s)), 'root');
}

export function isBuilt(s: LabSettings): boolean {
  return existsSync(path.join(buildRoot(s), COMPLETE));
}

async function checkMirror(s: LabSettings): Promise<void> {
  const url = `${s.mirror}/dists/${s.suite}/Release`;
  try {
    const r = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(20_000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
  } catch (e) {
    throw new LabError(
      `the Debian mirror is unreachable (${url}: ${(e as Error).message}); the lab's first build needs it ` +
        '(set VMDAG_LAB_MIRROR to use another mirror)',
    );
  }
}

async function ensureDebootstrap(log: Log): Promise<void> {
  if ((await sys(['sh', '-c', 'command -v debootstrap'], { allowFailure: true })).exitCode === 0) return;
  if ((await sys(['sh', '-c', 'command -v apt-get'], { allowFailure: true })).exitCode !== 0) {
    throw new LabError('the lab needs debootstrap, and this system has no apt-get to install it');
  }
  await timed(log, 'apt-get install debootstrap (host)', async () => {
    const install = ['apt-get', 'install', '-y', '--no-install-recommends', 'debootstrap'];
    const first = await sys(install, { timeout: 600_000, allowFailure: true });
    if (first.exitCode === 0) return first;
    // A fresh machine may have no package lists yet.
    await sys(['apt-get', 'update'], { timeout: 600_000 });
    return await sys(install, { timeout: 600_000 });
  });
}

/** Build (or reuse) the root for `s`; returns its path. */
export async function buildLab(s: LabSettings, log: Log): Promise<string> {
  const recipe = labRecipe(s);
  const final = path.join(s.buildsDir, buildName(recipe));
  const root = path.join(final, 'root');
  if (existsSync(path.join(root, COMPLETE))) {
    log(`lab: using the cached build ${final}`);
    return root;
  }
  const t0 = performance.now();
  log(`lab: building ${final} (Debian ${s.suite}, HTCondor ${s.variant}); this happens once per recipe`);
  await checkMirror(s);
  await ensureDebootstrap(log);
  const tmp = `${final}.tmp`;
  await releaseMounts(path.join(tmp, 'root'));
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const troot = path.join(tmp, 'root');
  await timed(log, `debootstrap --variant=minbase ${s.suite}`, () =>
    sys(['debootstrap', '--variant=minbase', s.suite, troot, s.mirror], { timeout: 1_200_000 }),
  );
  for (const [file, [mode, text]] of Object.entries(recipe.files)) {
    const p = path.join(troot, file);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    chmodSync(p, mode);
  }
  writeFileSync(path.join(troot, 'etc/resolv.conf'), hostResolvConf());
  try {
    await mountSystem(troot);
    const inRoot = (...argv: string[]) => sys(['chroot', troot, ...argv], { timeout: 1_800_000 });
    await timed(log, `apt-get install ${recipe.packages.join(' ')}`, () =>
      inRoot('apt-get', 'install', '-y', '--no-install-recommends', ...recipe.packages),
    );
    await inRoot('groupadd', '-g', String(s.user.gid), s.user.name);
    await inRoot(
      'useradd',
      '-u',
      String(s.user.uid),
      '-g',
      String(s.user.gid),
      '-m',
      '-s',
      '/bin/sh',
      s.user.name,
    );
    await inRoot('apt-get', 'clean');
  } finally {
    await releaseMounts(troot);
  }
  writeFileSync(path.join(troot, COMPLETE), `${JSON.stringify(recipe, null, 2)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  log(`lab: first build: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return root;
}

function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** Other builds of the same HTCondor variant (superseded recipes), except `keep`. */
export function staleBuilds(s: LabSettings, keep: readonly string[]): string[] {
  if (!existsSync(s.buildsDir)) return [];
  return readdirSync(s.buildsDir)
    .filter((n) => n.startsWith(`htcondor${s.variant}-`))
    .map((n) => path.join(s.buildsDir, n))
    .filter((p) => !keep.some((k) => k === p || k.startsWith(`${p}/`)));
}
