/**
 * On the lab: `vmdag plan --json` says how the image reaches the VMs at the chosen site — staged once per run
 * into the images folder (then reused once a copy is there), or sent with each VM job when the folder is
 * turned off or the disk is writable — with size and sha256. The lab's collector answers the site query.
 */
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { findCondorContext } from '../../src/commands/condor-context.js';
import { runPlan } from '../../src/commands/plan.js';
import { stageImage } from '../../src/image-staging/stage-image.js';
import { sha256File } from '../../src/site-catalog/image-facts.js';
import { writeQcow2 } from '../image-files.js';
import { workflowDir } from '../integration/cli-run.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';

const ctx = await labContext();

const wf = (differential: boolean) => `version: 1
name: plan-staging
vm:
  hypervisor: kvm
  image: {path: images/guest.qcow2, location: local, format: qcow2, differential: ${differential}}
  count: 2
  cpus: 1
  memory: 512MiB
compute:
  cpus: 2
  memory: 256MiB
  executable: bin/run
  mpi: none
`;

async function plan(dir: string, env: Record<string, string | undefined>) {
  let stdout = '';
  const out = { out: (t: string) => (stdout += t), err: () => undefined, isTTY: false };
  const all = { ...process.env, ...env };
  const code = await runPlan(['workflow.yaml'], { json: true }, out, {
    cwd: dir,
    env: all,
    condor: () => findCondorContext(all),
  });
  return { code, doc: JSON.parse(stdout) };
}

requireOrSkip(ctx, NO_LAB).describe('vmdag plan: how the image reaches the VMs', () => {
  it('staged once, reused, or per VM, with size and sha256', { timeout: 120_000 }, async () => {
    if (!ctx) throw new Error('the lab is not running');
    const dir = workflowDir({
      'workflow.yaml': wf(true),
      'images/guest.qcow2': '',
      'bin/run': '#!/bin/sh\n',
    });
    const images = path.join(dir, 'shared-images');
    // A sound (empty) qcow2 in place of the empty file: plan's image checks refuse a stand-in that is not one.
    const src = writeQcow2(path.join(dir, 'images', 'guest.qcow2'));
    const sha256 = await sha256File(src);

    const first = await plan(dir, { VMDAG_IMAGES: images });
    if (first.code !== 0 && /VM-capable/.test(JSON.stringify(first.doc)))
      throw new Error(`the lab has no VM-capable slot: ${first.doc.error}`);
    expect(first.code, JSON.stringify(first.doc)).toBe(0);
    const stagedPath = path.join(images, `vmdag-${sha256}.qcow2`);
    expect(first.doc.image).toMatchObject({
      delivery: 'staged',
      stagedPath,
      reuse: false,
      copies: 1,
      bytes: statSync(src).size,
      sha256,
    });

    await stageImage({
      source: src,
      target: stagedPath,
      sha256,
      bytes: statSync(src).size,
      createFolder: true,
    });
    const again = await plan(dir, { VMDAG_IMAGES: images });
    expect(again.doc.image).toMatchObject({ delivery: 'staged', reuse: true, copies: 0 });

    const off = await plan(dir, { VMDAG_IMAGES: '' });
    expect(off.doc.image).toMatchObject({ delivery: 'per-vm', copies: 2 });
    expect(off.doc.image.deliveryReason).toMatch(/names no images folder/);

    writeFileSync(path.join(dir, 'workflow.yaml'), wf(false));
    const writable = await plan(dir, { VMDAG_IMAGES: images });
    expect(writable.doc.image).toMatchObject({ delivery: 'per-vm', copies: 2 });
    expect(writable.doc.image.deliveryReason).toMatch(/differential: false/);
  });
});
