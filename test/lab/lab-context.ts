/**
 * How lab tests reach the pool: VMDAG_CONDOR_PREFIX (set by scripts/test.mjs) or the running lab. When the
 * lab is required (CI=true or VMDAG_LAB_REQUIRED=1) a missing lab fails the tests instead of skipping them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestFunction, type TestOptions } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labCondorContext } from '../../src/lab/index.js';

/**
 * CI=true (scripts/test.mjs then sets VMDAG_LAB_REQUIRED=1): every capability a test needs — the lab, its VMs,
 * root, qemu-img, Chromium… — must be there; a missing one is a failure with its reason, never a skip.
 */
export const labRequired = process.env.CI === 'true' || process.env.VMDAG_LAB_REQUIRED === '1';

/** The reasons most lab tests give requireOrSkip. */
export const NO_LAB = 'the lab is not running (as root: vmdag lab up), and VMDAG_CONDOR_PREFIX is not set';
export const NO_VMS =
  'the lab runs no VMs: no guest image, or no slot advertises VmdagSiteKit and HasVM (as root: vmdag lab up)';

type TestArgs = [fn: TestFunction] | [options: TestOptions, fn: TestFunction];
export interface Required {
  describe(name: string, body: () => void): void;
  it(name: string, ...args: TestArgs): void;
}

/**
 * `describe` and `it` for tests that need `ready` (truthy when the capability is there; `reason` says what is
 * missing and how to get it). With it they are vitest's own. Without it the body is not even collected: in its
 * place one test titled with the reason, skipped (and the reason on stderr) — or, when the lab is required
 * (labRequired), failing with the reason.
 */
export function requireOrSkip(ready: unknown, reason: string): Required {
  if (ready)
    return {
      describe: (name, body) => describe(name, body),
      it: (name, ...args) => (args.length === 1 ? it(name, args[0]) : it(name, args[0], args[1])),
    };
  // One test in place of the missing ones, titled with the reason: failing under labRequired, else skipped.
  const missing = (name: string, title: string) => {
    if (labRequired) {
      it(title, () => {
        throw new Error(
          `${name}: ${reason} — required here (CI=true or VMDAG_LAB_REQUIRED=1): a failure, not a skip`,
        );
      });
    } else {
      process.stderr.write(`skipped: ${name}: ${reason}\n`);
      it.skip(title, () => {});
    }
  };
  return {
    describe: (name) => describe(name, () => missing(name, `needs: ${reason}`)),
    it: (name, ..._args) => missing(name, `${name} — needs: ${reason}`),
  };
}

export async function labContext(): Promise<CondorContext | undefined> {
  const env = process.env.VMDAG_CONDOR_PREFIX?.trim();
  if (env) return { prefix: env.split(/\s+/) };
  return await labCondorContext();
}

/** The pool has slots that boot vmdag's guests: the site kit, and VM support (HasVM) on. */
export async function labRunsVms(ctx: CondorContext | undefined): Promise<boolean> {
  if (!ctx) return false;
  const r = await runCondor(ctx, 'condor_status', ['-const', 'VmdagSiteKit >= 1 && HasVM', '-af', 'Name'], {
    allowFailure: true,
    cwd: '/',
  });
  return r.stdout.trim() !== '';
}

/** A fresh run directory under os.tmpdir() holding `files`. */
export function runDir(files: Record<string, string>, mode: Record<string, number> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-lab-test-'));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), text, { mode: mode[name] ?? 0o644 });
  }
  return dir;
}

/** Submit `sub` in `dir`; returns the cluster id. */
export async function submit(ctx: CondorContext, dir: string, sub: string): Promise<number> {
  const r = await runCondor(ctx, 'condor_submit', [sub], { cwd: dir });
  const m = /(\d+) job\(s\) submitted to cluster (\d+)\./.exec(r.stdout);
  if (!m?.[2]) throw new Error(`unexpected condor_submit output: ${r.stdout}`);
  return Number(m[2]);
}

/** Wait for the job's terminal event in its log, then return its history ad (condor_history -json). */
export async function finishedAd(
  ctx: CondorContext,
  dir: string,
  log: string,
  cluster: number,
): Promise<Record<string, unknown>> {
  await runCondor(ctx, 'condor_wait', ['-wait', '150', log, String(cluster)], { cwd: dir, timeout: 160_000 });
  for (let i = 0; i < 60; i++) {
    const r = await runCondor(ctx, 'condor_history', [String(cluster), '-json'], { cwd: dir });
    const ads = r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>[]) : [];
    if (ads[0]) return ads[0];
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error(`job ${cluster} never reached the history`);
}
