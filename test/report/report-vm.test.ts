/**
 * `vmdag report` of a real 1-VM run on the lab pool (the lab's guest image under software emulation, the
 * tuned output): every phase is there, they add up to the total, and every timestamp agrees (±1 s) with the
 * raw event-log headers HTCondor wrote (read by test/report/raw-events.ts, not by the parser under test).
 * The same run gives each VM's boot taken apart (issue 17): GATE's record of the guest (logs/guests.json,
 * logs/guests-seen.txt) and `vmdag report --json` mark by mark — queued, executing, the guest kernel's start
 * and vmdag-init's phases (the guest image's VmdagBootEpoch and VmdagBootPhases), startd, joined, step — in
 * the order of a boot (a guest's own marks strictly; across clocks within 2 s: the guest's clock is the host's
 * by the VM's RTC, ±1 s, HTCondor's marks whole seconds), parts adding up to the VM's boot, itself within a
 * few seconds of vmBoot. Each VM also says how it ran (the guest image's VmdagAccel): what the lab's site kit
 * chose, "emulation" for its tcg (the default), "kvm" for kvm. The run is removed at its end and no VM or
 * domain of it is left.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { type Accel, type BootMarkClock, PHASE_NAMES } from '../../src/report/types.js';
import { accelLabel } from '../../src/report/vm-boot.js';
import { capture } from '../capture-output.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { labContext, labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { rawVmStamps } from './raw-events.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const vmReady = Boolean(ctx && lab?.guestImage) && (await labRunsVms(ctx));

interface ReportJson {
  state: string;
  phases: Record<string, number | null>;
  boot?: {
    pairing: string;
    problem?: string;
    vms: {
      lane: string;
      guest: string;
      marks: { name: string; time: string; clock: BootMarkClock }[];
      parts: { from: string; to: string; seconds: number }[];
      boot: number | null;
      clockOffset: number | null;
      accel: Accel | null;
    }[];
  };
}

/**
 * How the lab's site kit runs VMs: the `emulation` its libvirt XML script carries (kvm, tcg; auto: the answer
 * its probe kept), as "kvm" or "emulation"; null when it cannot be read.
 */
function labAccel(root: string | undefined): Accel | null {
  const read = (f: string) => (root && existsSync(join(root, f)) ? readFileSync(join(root, f), 'utf8') : '');
  let setting = /"emulation":\s*"(\w+)"/.exec(read('usr/libexec/vmdag/vmdag-libvirt-xml'))?.[1];
  if (setting === 'auto') setting = read('var/lib/vmdag-site/emulation-probe').trim();
  return setting === 'kvm' ? 'kvm' : setting === 'tcg' ? 'emulation' : null;
}

const MARKS = [
  'queued',
  'executing',
  'kernel',
  'initramfs-root',
  'fs',
  'net',
  'token',
  'configured',
  'startd',
  'joined',
  'step',
];
/** The guest's own marks: one clock, to the hundredth of a second. */
const GUEST_OWN = MARKS.slice(2, 8);

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
      // Each VM's boot taken apart (issue 17): GATE's record of the guest and the report's marks.
      // GATE's record of the guest.
      expect(existsSync(join(dir, 'logs', 'guests.json')), 'logs/guests.json').toBe(true);
      const seen = readFileSync(join(dir, 'logs', 'guests-seen.txt'), 'utf8');
      expect(seen).toMatch(/^\d{10} \S+\n$/);

      const ob = capture();
      expect(await main(['report', dir, '--json'], ob), ob.stdout + ob.stderr).toBe(0);
      const jb = JSON.parse(ob.stdout) as ReportJson;
      expect(jb.state).toBe('finished');
      expect(jb.boot?.problem).toBeUndefined();
      expect(jb.boot?.pairing).toBe('one VM');
      expect(jb.boot?.vms).toHaveLength(1);
      const vm = jb.boot?.vms[0];
      expect(vm?.lane).toBe('VM 0');
      expect(`${seen.split(' ')[1]?.trim()}`).toBe(vm?.guest);

      // Every mark, in the order of a boot (a guest image older than VmdagBootPhases lacks kernel … configured).
      const marks = vm?.marks ?? [];
      expect(
        marks.map((m) => m.name),
        'marks (kernel … configured missing: rebuild the guest image with vmdag lab up)',
      ).toEqual(MARKS);
      expect(marks.map((m) => m.clock)).toEqual([
        'event log',
        'event log',
        ...GUEST_OWN.map(() => 'guest'),
        'guest',
        'gate',
        'event log',
      ]);
      const t = marks.map((m) => Date.parse(m.time));
      for (const [i, m] of marks.entries()) {
        expect(Number.isFinite(t[i]), m.name).toBe(true);
        if (i === 0) continue;
        const prev = t[i - 1] ?? Number.NaN;
        const own = GUEST_OWN.includes(m.name) && GUEST_OWN.includes(marks[i - 1]?.name ?? '');
        // The guest's own marks strictly in order; across clocks and whole seconds, within 2 s.
        expect(t[i] ?? Number.NaN, `${marks[i - 1]?.name} → ${m.name}`).toBeGreaterThanOrEqual(
          own ? prev : prev - 2000,
        );
      }
      // How the VM ran (VmdagAccel): what the lab's site kit chose.
      expect(vm?.accel, 'accel null: rebuild the guest image with vmdag lab up').not.toBeNull();
      const kit = labAccel(lab.root);
      if (kit !== null) expect(vm?.accel, "the lab's site kit's choice").toBe(kit);

      // The guest's clock against the collector's (the host's). The guest reads the RTC's whole seconds at
      // boot, so it is behind the host by less than 1 s, never ahead; LastHeardFrom is taken when the update
      // arrives, after MyCurrentTime was stamped in the guest, so the figure also holds the update's transit
      // (0–2 s seen on an idle lab, 3 s in CI stop 25 with the host loaded). Hence at least -1 (whole
      // seconds on both sides) and a loose upper bound: what it catches is a guest on another clock (an RTC
      // in local time, a guest that never read it), which is minutes or hours off.
      expect(vm?.clockOffset ?? Number.NaN).toBeGreaterThanOrEqual(-1);
      expect(vm?.clockOffset ?? Number.NaN).toBeLessThanOrEqual(10);

      // The parts: one per pair of marks, never negative, adding up to the VM boot (executing → joined).
      const bootParts = vm?.parts ?? [];
      expect(bootParts.map((p) => `${p.from}→${p.to}`)).toEqual(
        MARKS.slice(1).map((to, i) => `${MARKS[i]}→${to}`),
      );
      for (const p of bootParts) expect(p.seconds, `${p.from} → ${p.to}`).toBeGreaterThanOrEqual(0);
      const boot = bootParts.slice(1, MARKS.indexOf('joined')).reduce((a, p) => a + p.seconds, 0);
      expect(vm?.boot).not.toBeNull();
      expect(boot).toBeCloseTo(vm?.boot ?? Number.NaN, 3);
      const all = bootParts.reduce((a, p) => a + p.seconds, 0);
      expect(Math.abs(all - ((t.at(-1) ?? 0) - (t[0] ?? 0)) / 1000)).toBeLessThanOrEqual(2);
      // One VM: its boot is the run's vmBoot (executing → GATE's end), less what GATE did after it saw the
      // guest (saved its record, checked the memory, condor_reschedule, ended) and whole seconds.
      const vmBoot = jb.phases.vmBoot ?? Number.NaN;
      expect(vm?.boot ?? Number.NaN).toBeLessThanOrEqual(vmBoot + 2);
      expect(vm?.boot ?? Number.NaN).toBeGreaterThanOrEqual(vmBoot - 5);

      // The text and the page show it too.
      const text = capture();
      expect(await main(['report', dir], text)).toBe(0);
      expect(text.stdout).toContain(`VM 0 (guest ${vm?.guest}):`);
      expect(text.stdout).toContain(`executing → joined; ${accelLabel(vm?.accel ?? null)}`);
      const html = join(dir, 'report.html');
      expect(await main(['report', dir, '--html', html], capture())).toBe(0);
      expect(readFileSync(html, 'utf8').match(/<rect class="boot (even|odd)"/g)).toHaveLength(
        MARKS.length - 2,
      );
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
