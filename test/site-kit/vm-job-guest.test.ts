/**
 * The site kit and the guest image on the real lab pool: a VM-universe job boots the guest, whose startd
 * joins the pool with the job's workflow id and owner and the lab's dedicated scheduler; a job of another
 * workflow is refused by the guest's START; `condor_rm` takes the domain away and no domain is left.
 * Runs when the lab is up with the site kit installed (slots advertise VmdagSiteKit and HasVM).
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { ensureGuestImage } from '../../src/lab/guest/ensure-guest-image.js';
import { labCondorContext, labStatus } from '../../src/lab/index.js';
import { asLabRoot } from '../faults/lab-runs.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';

const ctx: CondorContext | undefined = await labCondorContext();
const ready = await labRunsVms(ctx);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A condor command in the lab, retried while the 23.9.6 schedd restarts after its known crash. */
async function condor(cmd: string, args: string[], cwd: string) {
  let last = '';
  for (let i = 0; i < 20; i++) {
    const r = await runCondor(ctx as CondorContext, cmd, args, { allowFailure: true, cwd });
    if (r.exitCode === 0) return r.stdout;
    last = r.stderr;
    await sleep(3000);
  }
  throw new Error(`${cmd} ${args.join(' ')} kept failing: ${last}`);
}

async function waitUntil<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(1000);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

requireOrSkip(ready, NO_VMS).describe('a VM job of the lab boots a guest that joins the pool', () => {
  it('joins with its identity, refuses other workflows, and is gone after condor_rm', {
    timeout: 600_000,
  }, async () => {
    const started = Date.now();
    const guest = await ensureGuestImage();
    const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-vmjob-'));
    chmodSync(dir, 0o777);
    const wf = `vmjob-${process.pid}`;
    writeFileSync(
      path.join(dir, 'vm.sub'),
      [
        'universe = vm',
        'executable = vmdag-site-test',
        'vm_type = kvm',
        'vm_memory = 512',
        'vm_vcpus = 1',
        `vm_disk = ${guest.image}:vda:r:raw`,
        'vm_no_output_vm = true',
        'vm_networking = true',
        'vm_networking_type = bridge',
        'request_memory = 512',
        'job_max_vacate_time = 5',
        'log = vm.log',
        `+VmWorkflowId = "${wf}"`,
        '+VmLeaseSeconds = 600',
        'queue',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'other.sub'),
      [
        'universe = vanilla',
        'executable = /bin/true',
        `requirements = TARGET.VmWorkflowId =?= "${wf}"`,
        `+VmWorkflowId = "${wf}-other"`,
        'log = other.log',
        'queue',
        '',
      ].join('\n'),
    );
    const t0 = Date.now();
    const vmCluster = /cluster (\d+)/.exec(await condor('condor_submit', ['vm.sub'], dir))?.[1];
    expect(vmCluster).toBeDefined();
    try {
      const running = await waitUntil('the VM job to run', 400_000, async () => {
        const out = await condor('condor_q', [String(vmCluster), '-af', 'JobStatus'], dir);
        return out.trim() === '2' ? Date.now() : undefined;
      });
      const ad = await waitUntil('the guest in the collector', 180_000, async () => {
        const out = await condor(
          'condor_status',
          ['-const', `VmWorkflowId =?= "${wf}"`, '-af', 'Name', 'VmOwner', 'DedicatedScheduler', 'VmGuest'],
          dir,
        );
        return out.trim() || undefined;
      });
      const joined = Date.now();
      const [name, owner, sched, isGuest] = ad.split(' ');
      expect(name).toMatch(/^slot1@vmdag-10-213-7-\d+$/);
      expect(owner).toBe('vmdag');
      expect(sched).toMatch(/^DedicatedScheduler@/);
      expect(isGuest).toBe('true');
      process.stderr.write(
        `vm job: running ${((running - t0) / 1000).toFixed(1)} s after submit, guest joined ${((joined - running) / 1000).toFixed(1)} s later\n`,
      );

      // Another workflow's job that targets this guest: the guest's START refuses it.
      const other = /cluster (\d+)/.exec(await condor('condor_submit', ['other.sub'], dir))?.[1];
      const analysis = await waitUntil('the other job to be analysed', 60_000, async () => {
        const out = await condor('condor_q', ['-better-analyze', String(other)], dir);
        // 23.9: "1 reject your job …"; 25: "1 slots reject your job …" (more when older guests linger).
        return /[1-9]\d* (slots? )?reject your job because of their own requirements/.test(out)
          ? out
          : undefined;
      });
      expect(analysis).toMatch(/0 are able to run your job|0 slots match and are willing to run your job/);
      await condor('condor_rm', [String(other)], dir);

      const rm = Date.now();
      await condor('condor_rm', [String(vmCluster)], dir);
      await waitUntil('the guest domain to go', 60_000, async () => {
        const st = await labStatus();
        return st.domains.some((d) => d.endsWith(`_${vmCluster}.0`)) ? undefined : true;
      });
      process.stderr.write(
        `vm job: domain gone ${((Date.now() - rm) / 1000).toFixed(1)} s after condor_rm\n`,
      );
      expect(Date.now() - rm).toBeLessThan(30_000);
      // The guest left the pool with its VM: no ad in the collector, nothing claimed by the schedd.
      expect(await guestLeftovers(ctx as CondorContext, [String(vmCluster)], started)).toEqual([]);
    } finally {
      await runCondor(ctx as CondorContext, 'condor_rm', [String(vmCluster)], {
        allowFailure: true,
        cwd: dir,
      });
      // Never leave a VM behind, even when HTCondor lost track of it (a crashed schedd orphans the starter,
      // which then keeps the VM until the job lease runs out).
      const st = await labStatus();
      for (const d of st.domains.filter((x) => x.endsWith(`_${vmCluster}.0`))) {
        try {
          asLabRoot(st, ['virsh', 'destroy', d]);
        } catch {
          // already gone
        }
      }
    }
  });
});
