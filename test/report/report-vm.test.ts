/**
 * `vmdag report` of a real 1-VM run on the lab pool (the lab's guest image under software emulation, the
 * tuned output): every phase is there, they add up to the total, and every timestamp agrees (±1 s) with the
 * raw event-log headers HTCondor wrote (read by test/report/raw-events.ts, not by the parser under test).
 * The run is removed at its end and no VM or domain of it is left.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { PHASE_NAMES } from '../../src/report/types.js';
import { capture } from '../capture-output.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { labContext, labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { rawVmStamps } from './raw-events.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const vmReady = Boolean(ctx && lab?.guestImage) && (await labRunsVms(ctx));

requireOrSkip(vmReady, NO_VMS).describe('vmdag report of a real VM run on the lab', () => {
  it('phases add up and every timestamp agrees (±1 s) with the raw event logs; no VM left', async () => {
    if (!ctx || !lab?.guestImage) throw new Error('the lab runs no VMs (no guest image or no HasVM slot)');
    const src = mkdtempSync(join(tmpdir(), 'vmdag-report-vm-'));
    chmodSync(src, 0o755);
    mkdirSync(join(src, 'bin'));
    writeFileSync(join(src, 'bin', 'step.sh'), '#!/bin/sh\nsleep 5\necho "step on $(hostname)"\n', {
      mode: 0o755,
    });
    writeFileSync(
      join(src, 'workflow.yaml'),
      [
        'version: 1',
        'name: repvm',
        'vm:',
        '  hypervisor: kvm',
        `  image: {path: ${lab.guestImage}, location: cluster, format: raw, differential: false}`,
        '  count: 1',
        '  cpus: 1',
        '  memory: 512MiB',
        '  lease: 30m',
        'compute:',
        '  cpus: 1',
        '  memory: 128MiB',
        '  mpi: none',
        '  executable: bin/step.sh',
        '',
      ].join('\n'),
    );
    const dir = join(mkdtempSync(join(tmpdir(), 'vmdag-report-vm-run-')), 'run');
    expect(await main(['compile', join(src, 'workflow.yaml'), '-o', dir], capture())).toBe(0);
    const started = Date.now();
    expect(await main(['submit', dir], capture())).toBe(0);
    let state = '';
    let vmClusters: string[] = [];
    const rm = capture();
    let rmCode: number | undefined;
    try {
      for (let i = 0; i < 600 && !/^(succeeded|failed|removed)$/.test(state); i++) {
        await new Promise((res) => setTimeout(res, 1000));
        const s = capture();
        if ((await main(['status', dir, '--json'], s)) === 0) {
          const st = JSON.parse(s.stdout) as { state: string; vms: { jobId: string | null }[] };
          state = st.state;
          vmClusters = st.vms.map((v) => (v.jobId ?? '').split('.')[0] ?? '').filter(Boolean);
        }
      }
      expect(state).toBe('succeeded');
      const o = capture();
      expect(await main(['report', dir, '--json'], o), o.stdout + o.stderr).toBe(0);
      const j = JSON.parse(o.stdout) as {
        state: string;
        mode: string;
        timestamps: Record<string, string | null>;
        phases: Record<string, number | null>;
      };
      expect(j.state).toBe('finished');
      expect(j.mode).toBe('vm');
      for (const p of PHASE_NAMES) expect(j.phases[p], p).not.toBeNull();
      const parts = PHASE_NAMES.filter((p) => p !== 'total').map((p) => j.phases[p] ?? 0);
      expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(j.phases.total ?? Number.NaN, 3);
      const raw = rawVmStamps(dir, 'repvm.dag');
      for (const [k, v] of Object.entries(raw)) {
        expect(v, k).toBeDefined();
        expect(Math.abs(Date.parse(j.timestamps[k] ?? '') - (v ?? Number.NaN)), k).toBeLessThanOrEqual(1000);
      }
    } finally {
      rmCode = await main(['rm', dir, '--json'], rm);
    }
    expect(rmCode, rm.stdout + rm.stderr).toBe(0);
    // The run's one VM job, whose leftovers are looked for below (none known would make those checks empty).
    expect(vmClusters).toHaveLength(1);
    // No VM job of the run queued and no libvirt domain of it (vmdag rm waited for the jobs). A condor_q that
    // fails (after retries of a busy schedd) fails the test: an empty answer must mean an empty queue.
    const q = await runCondor(
      ctx,
      'condor_q',
      ['-allusers', '-const', 'JobUniverse == 13', '-af', 'ClusterId'],
      {
        retryTransientMs: 30_000,
        cwd: '/',
      },
    );
    for (const c of vmClusters) expect(q.stdout.split('\n')).not.toContain(c);
    const domains = (await labStatus()).domains.filter((d) => vmClusters.some((c) => d.includes(`_${c}.`)));
    expect(domains).toEqual([]);
    expect(await guestLeftovers(ctx, vmClusters, started)).toEqual([]);
  }, 900_000);
});
