/**
 * On the lab: a run directory whose VM jobs use a staged image goes through the real condor_submit -dry-run
 * (with the macros DAGMan passes): the image is not in TransferInput and VMPARAM_vm_Disk names the staged
 * absolute path; the same workflow without staging transfers it with each VM job.
 */
import { cpSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { runCondor } from '../../src/condor/exec.js';
import { stageImage } from '../../src/image-staging/stage-image.js';
import { stagedName } from '../../src/image-staging/staging-decision.js';
import { sha256File } from '../../src/site-catalog/image-facts.js';
import { workflowDir } from '../integration/cli-run.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';

const ctx = await labContext();
const dir = workflowDir({});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first proc's `Attr=value` lines of condor_submit -dry-run. */
function adOf(dryRun: string): Record<string, string> {
  const ad: Record<string, string> = {};
  for (const line of dryRun.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m && !((m[1] ?? '') in ad)) ad[m[1] ?? ''] = m[2] ?? '';
  }
  return ad;
}

async function dryRunVms(runDir: string): Promise<{ ad: Record<string, string>; procs: number }> {
  if (!ctx) throw new Error('the lab is not running');
  const r = await runCondor(ctx, 'condor_submit', ['-dry-run', '-', 'vms.sub', 'DAGManJobId=4242'], {
    cwd: runDir,
    allowFailure: true,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return { ad: adOf(r.stdout), procs: (r.stdout.match(/^ProcId=/gm) ?? []).length };
}

requireOrSkip(ctx, NO_LAB).describe('a staged image through the real condor_submit -dry-run', () => {
  it('VMPARAM_vm_Disk names the staged path and TransferInput has no image', {
    timeout: 120_000,
  }, async () => {
    const caseDir = path.join(dir, 'case');
    cpSync('fixtures/several-vms', caseDir, { recursive: true });
    const src = path.join(caseDir, 'images', 'hpl.qcow2');
    const sha256 = await sha256File(src);
    const target = path.join(dir, 'images', stagedName(sha256, 'qcow2'));
    const staged = await stageImage({
      source: src,
      target,
      sha256,
      bytes: statSync(src).size,
      createFolder: true,
    });
    const stagedRun = path.join(dir, 'staged.run');
    const r = await compile('workflow.yaml', {
      cwd: caseDir,
      env: {},
      outDir: stagedRun,
      stagedImage: { path: staged.path, sha256, reused: staged.reused },
    });
    expect(r.diagnostics).toEqual([]);
    const { ad, procs } = await dryRunVms(stagedRun);
    expect(procs).toBe(4);
    expect(ad.VMPARAM_vm_Disk).toBe(`"${target}:vda:r:qcow2"`);
    expect(ad.TransferInput ?? '').not.toContain('hpl.qcow2');
    expect(ad.VmImageSha256).toBe(`"${sha256}"`);

    // The same workflow compiled without staging: HTCondor sends the image with each of the 4 VM jobs.
    const perVmRun = path.join(dir, 'per-vm.run');
    expect((await compile('workflow.yaml', { cwd: caseDir, env: {}, outDir: perVmRun })).ok).toBe(true);
    const perVm = await dryRunVms(perVmRun);
    expect(perVm.ad.TransferInput).toContain(src);
    expect(perVm.ad.VMPARAM_vm_Disk).toBe('"hpl.qcow2:vda:r:qcow2"');
    expect(JSON.parse(readFileSync(path.join(perVmRun, 'plan.json'), 'utf8')).vm.image.delivery).toBe(
      'per-vm',
    );
  });
});
