/**
 * The qcow2 images test/image-files.ts writes (from QEMU's qcow2 specification) are what QEMU itself reads:
 * `qemu-img check` and `qemu-img info` of the lab's root (its qemu-utils), on files in this machine's /tmp,
 * which the lab sees at the same path.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { MIN_DISK_BYTES } from '../../src/validate/image-rules.js';
import { type Qcow2Options, writeQcow2 } from '../image-files.js';
import { labContext, NO_LAB, requireOrSkip } from './lab-context.js';

const ctx = (await labContext()) as CondorContext;
const GiB = 1024 ** 3;

requireOrSkip(ctx, NO_LAB).describe("test/image-files.ts against the lab's qemu-img", () => {
  // Readable by the lab's user, as whom lab-exec runs qemu-img (mkdtemp makes the folder 0700).
  const dir = mkdtempSync('/tmp/vmdag-qemu-img-');
  chmodSync(dir, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string, Qcow2Options][] = [
    ['v3.qcow2', {}],
    ['v2.qcow2', { version: 2, virtualBytes: 2 * GiB }],
    ['small-clusters.qcow2', { clusterBits: 9, virtualBytes: 64 * MIN_DISK_BYTES }],
  ];
  for (const [name, o] of cases)
    it(`${name}: qemu-img check passes and reads the same virtual size`, async () => {
      const p = writeQcow2(join(dir, name), o);
      await runCondor(ctx, 'qemu-img', ['check', '-f', 'qcow2', p], { cwd: '/' });
      const info = await runCondor(ctx, 'qemu-img', ['info', '--output=json', '-f', 'qcow2', p], {
        cwd: '/',
      });
      expect(JSON.parse(info.stdout)['virtual-size']).toBe(o.virtualBytes ?? GiB);
    });
});
