/**
 * Staging on the file system: the image is copied once (content-addressed, read-only, atomic), a second
 * staging of the same image reuses the copy untouched, a file changed under the plan is refused, and a run
 * directory compiled with the staged copy names it in vm_disk by absolute path and transfers no image.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { StageError, stageImage } from '../../src/image-staging/stage-image.js';
import { stagedName } from '../../src/image-staging/staging-decision.js';
import { sha256File } from '../../src/site-catalog/image-facts.js';

const scratch = mkdtempSync(join(tmpdir(), 'vmdag-stage-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('stageImage', () => {
  it('copies once, then reuses the same copy (same inode, same mtime)', async () => {
    const src = join(scratch, 'guest.qcow2');
    writeFileSync(src, Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    const sha256 = await sha256File(src);
    const images = join(scratch, 'images', 'nested');
    const target = join(images, stagedName(sha256, 'qcow2'));
    const bytes = statSync(src).size;

    const first = await stageImage({ source: src, target, sha256, bytes, createFolder: true });
    expect(first).toMatchObject({ path: target, reused: false, bytes });
    expect(await sha256File(target)).toBe(sha256);
    const st = statSync(target);
    expect(st.mode & 0o777).toBe(0o444);

    const second = await stageImage({ source: src, target, sha256, bytes });
    expect(second).toMatchObject({ path: target, reused: true, ms: 0 });
    const st2 = statSync(target);
    expect([st2.ino, st2.mtimeMs]).toEqual([st.ino, st.mtimeMs]);
    // no temporary file left behind
    expect(readdirSync(images)).toEqual([stagedName(sha256, 'qcow2')]);
  });

  it('refuses an image that changed since its sha256 was taken, and leaves nothing', async () => {
    const src = join(scratch, 'changed.qcow2');
    writeFileSync(src, 'after\n');
    const images = join(scratch, 'images-changed');
    const wrong = 'cd'.repeat(32);
    const target = join(images, stagedName(wrong, 'qcow2'));
    await expect(
      stageImage({ source: src, target, sha256: wrong, bytes: 6, createFolder: true }),
    ).rejects.toThrow(StageError);
    await expect(
      stageImage({ source: src, target, sha256: wrong, bytes: 6, createFolder: true }),
    ).rejects.toThrow(/changed while it was being staged/);
    expect(readdirSync(images)).toEqual([]);
  });
});

describe('a run directory compiled with the staged image', () => {
  it('names the staged path in vm_disk and transfers no image', async () => {
    const caseDir = join(scratch, 'several-vms');
    cpSync('fixtures/several-vms', caseDir, { recursive: true });
    rmSync(join(caseDir, 'expected'), { recursive: true, force: true });
    const src = join(caseDir, 'images', 'hpl.qcow2');
    const sha256 = await sha256File(src);
    const target = join(scratch, 'shared-images', stagedName(sha256, 'qcow2'));
    const staged = await stageImage({
      source: src,
      target,
      sha256,
      bytes: statSync(src).size,
      createFolder: true,
    });
    const outDir = join(scratch, 'run');
    const r = await compile('workflow.yaml', {
      cwd: caseDir,
      env: {},
      outDir,
      stagedImage: { path: staged.path, sha256, reused: staged.reused },
    });
    expect(r.diagnostics).toEqual([]);
    const sub = readFileSync(join(outDir, 'vms.sub'), 'utf8');
    expect(sub).toMatch(new RegExp(`^vm_disk = "?${target}:vda:r:qcow2"?$`, 'm'));
    expect(sub).not.toMatch(/transfer_input_files/);
    expect(sub).toContain(`+VmImageSha256 = "${sha256}"`);
    expect(sub).toContain('+VmDifferential = true');
    // request_disk: only the overlay's room, no image
    expect(sub).toMatch(/^request_disk = 1048576$/m);
    const plan = JSON.parse(readFileSync(join(outDir, 'plan.json'), 'utf8'));
    expect(plan.vm.image).toMatchObject({
      delivery: 'staged',
      transferred: false,
      diskFile: target,
      staged: { path: target, reused: false },
      sha256,
      access: 'r',
    });
  });

  it('refuses a staged image for a writable (non-differential) disk', async () => {
    const caseDir = join(scratch, 'local-writable');
    cpSync('fixtures/local-writable', caseDir, { recursive: true });
    const r = await compile('workflow.yaml', {
      cwd: caseDir,
      env: {},
      outDir: join(scratch, 'run-writable'),
      stagedImage: { path: '/shared/vmdag-x.raw', sha256: 'ef'.repeat(32), reused: false },
    });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toContain('plan.staged-not-differential');
  });
});
