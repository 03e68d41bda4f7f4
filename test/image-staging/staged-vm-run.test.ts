/**
 * Issue 4, test (4), on real VMs in the lab: a `location: local` image travels once per run, not once per VM.
 * `vmdag submit` stages the lab's guest image (qcow2, differential) into a fresh images folder once; both VM
 * jobs boot from overlays of that one copy; HTCondor's own record of each VM job says it received 0 bytes
 * (BytesRecvd) and had no TransferInput; the staged copy keeps its inode, mtime and sha256 across the run,
 * and the folder holds exactly that one file. Runs when the lab has VM support and the site kit.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { stagedName } from '../../src/image-staging/staging-decision.js';
import { labStatus } from '../../src/lab/index.js';
import { sha256File } from '../../src/site-catalog/image-facts.js';
import { vmdag, workflowDir } from '../integration/cli-run.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { labContext, labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const ready = Boolean(lab?.guestImageQcow2) && (await labRunsVms(ctx));
const images = mkdtempSync(path.join(tmpdir(), 'vmdag-staged-images-'));
afterAll(() => rmSync(images, { recursive: true, force: true }));

/** Each VM's node writes where it ran (mpi: none: the image, not MPI, is under test here). */
const whereScript = '#!/bin/sh\nhostname > where.txt\n';

requireOrSkip(ready, `${NO_VMS}; or no qcow2 guest image (lab status: guestImageQcow2)`).describe(
  'a local image on real VMs',
  () => {
    it('(4) is transferred once per run, not once per VM', { timeout: 900_000 }, async () => {
      const image = lab?.guestImageQcow2 as string;
      const dir = workflowDir({
        'bin/where.sh': whereScript,
        'workflow.yaml': `version: 1
name: vm-staged
vm:
  hypervisor: kvm
  image: {path: ${image}, location: local, format: qcow2, differential: true}
  count: 2
  cpus: 1
  memory: 512MiB
  lease: 30m
compute:
  cpus: 2
  memory: 128MiB
  mpi: none
  executable: bin/where.sh
  outputs: [where.txt]
`,
      });
      const t0 = Date.now();
      const prev = process.env.VMDAG_IMAGES;
      process.env.VMDAG_IMAGES = images;
      let s: Awaited<ReturnType<typeof vmdag>>;
      try {
        s = await vmdag(['submit', 'workflow.yaml', '-o', 'run', '--json'], dir);
      } finally {
        if (prev === undefined) delete process.env.VMDAG_IMAGES;
        else process.env.VMDAG_IMAGES = prev;
      }
      expect(s.code, s.stderr + s.stdout).toBe(0);
      const sha = await sha256File(image);
      const staged = path.join(images, stagedName(sha, 'qcow2'));
      expect(s.stderr).toContain(`staged once for this run as ${staged}`);
      const before = statSync(staged);
      const runDir = path.join(dir, 'run');
      expect(readFileSync(path.join(runDir, 'vms.sub'), 'utf8')).toContain(`vm_disk = ${staged}:vda:r:qcow2`);

      const w = await vmdag(['status', '--watch', '--interval', '2', '--json', runDir]);
      const status = JSON.parse(w.stdout) as { state: string; vms: { jobId: string | null }[] };
      expect(status.state, w.stdout).toBe('succeeded');
      const cluster = (status.vms[0]?.jobId ?? '').split('.')[0] ?? '';
      expect(cluster).not.toBe('');
      const h = await runCondor(
        ctx as CondorContext,
        'condor_history',
        [cluster, '-json', '-attributes', 'ProcId,BytesRecvd,TransferInput,VMPARAM_vm_Disk'],
        { cwd: runDir },
      );
      const ads = JSON.parse(h.stdout) as Record<string, unknown>[];
      expect(ads).toHaveLength(2);
      for (const ad of ads) {
        expect(ad.BytesRecvd).toBe(0);
        expect(ad.TransferInput).toBeUndefined();
        expect(ad.VMPARAM_vm_Disk).toBe(`${staged}:vda:r:qcow2`);
      }
      const after = statSync(staged);
      expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);
      expect(await sha256File(staged)).toBe(sha);
      expect(readdirSync(images)).toEqual([stagedName(sha, 'qcow2')]);
      // Its guests left the pool with their VMs (no ad in the collector, no claim the schedd kept).
      expect(await guestLeftovers(ctx as CondorContext, [cluster], t0)).toEqual([]);
      process.stderr.write(
        `staged-vm-run: ${before.size} bytes staged once, 2 VMs received ${ads.map((a) => a.BytesRecvd).join(' + ')} bytes; ${((Date.now() - t0) / 1000).toFixed(1)} s submit → end\n`,
      );
    });
  },
);
