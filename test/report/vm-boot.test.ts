/**
 * Each VM's boot taken apart (src/report/vm-boot.ts): the guest's boot timeline, GATE's sightings, the
 * pairing of guests with VM jobs, and the text, JSON and HTML of it.
 *
 * The recordings runs/vm-running and runs/vm-removed (scripts/lab-record-fixtures.mjs vm-runs) carry GATE's
 * record (logs/guests.json, guests-seen.txt) and how their VMs ran (VmdagAccel); the block at the end reads
 * them. The cases above build guest ads here from values in the format vmdag-init writes them
 * (VmdagBootEpoch, VmdagBootPhases) and HTCondor publishes them (DaemonStartTime, MyCurrentTime,
 * LastHeardFrom: epoch seconds), set on the VM job times of the older recorded 1-VM run vm-1-defaults, to
 * reach cases no recording has (clock offsets, marks out of order, several VMs). Text that HTCondor printed
 * comes only from recordings. Older recordings say how a VM ran was not recorded (true: their guests did
 * not advertise it); the mapping from an ad's value to what the report says is also tested on given values.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { ClassAd } from '../../src/condor/classads.js';
import { computeLatency, latencyJson } from '../../src/report/latency.js';
import { latencyHtml } from '../../src/report/render-html.js';
import { latencyText } from '../../src/report/render-text.js';
import type { LatencyReport } from '../../src/report/types.js';
import {
  accelLabel,
  accelOf,
  accelShort,
  guestsOf,
  parseBootPhases,
  parseGuestsSeen,
  readGuests,
  type VmJob,
  vmBoots,
} from '../../src/report/vm-boot.js';
import { RECORDED, recordedInputs } from './recorded.js';

describe("the guest's boot timeline (VmdagBootPhases, as vmdag-init writes it)", () => {
  it('NAME=UPTIME pairs in their order', () => {
    expect(parseBootPhases('initramfs-root=1.52 fs=2.9 net=5.1 token=5.13 configured=5.16')).toEqual([
      { name: 'initramfs-root', uptime: 1.52 },
      { name: 'fs', uptime: 2.9 },
      { name: 'net', uptime: 5.1 },
      { name: 'token', uptime: 5.13 },
      { name: 'configured', uptime: 5.16 },
    ]);
  });
  it("leaves out malformed pairs and the names of HTCondor's and the gate's marks", () => {
    expect(parseBootPhases('fs=2.9 net=x joined=3 =4 Token=5 step=6 configured=5.16')).toEqual([
      { name: 'fs', uptime: 2.9 },
      { name: 'configured', uptime: 5.16 },
    ]);
    expect(parseBootPhases('')).toEqual([]);
  });
});

describe('how a VM ran (VmdagAccel, as vmdag-init writes it): its value → what the report says', () => {
  it('"kvm" and "emulation" (any case, blanks around) are read; anything else or nothing is not recorded', () => {
    expect(accelOf('kvm')).toBe('kvm');
    expect(accelOf('emulation')).toBe('emulation');
    expect(accelOf(' KVM ')).toBe('kvm');
    expect(accelOf('Emulation')).toBe('emulation');
    for (const v of [undefined, null, '', 'tcg', 'hvf', 'kvm-clock', 1, true, { expr: 'kvm' }, ['kvm']])
      expect(accelOf(v), JSON.stringify(v)).toBeNull();
  });
  it('the labels: KVM, software emulation (QEMU TCG), or not recorded by this image; short ones for the lane', () => {
    expect(accelLabel('kvm')).toBe('KVM');
    expect(accelLabel('emulation')).toBe('software emulation (QEMU TCG)');
    expect(accelLabel(null)).toBe('KVM or emulation: not recorded by this image');
    expect(accelShort('kvm')).toBe('KVM');
    expect(accelShort('emulation')).toBe('emulated');
    expect(accelShort(null)).toBeUndefined();
  });
});

describe("GATE's sightings (guests-seen.txt, as vmdag-gate.sh writes it)", () => {
  it('EPOCH MACHINE lines, in ms; a machine seen twice keeps its first time', () => {
    const seen = parseGuestsSeen('1795979025 vmdag-10-213-7-130\n1795979027 vmdag-10-213-7-177\n');
    expect([...seen]).toEqual([
      ['vmdag-10-213-7-130', 1795979025000],
      ['vmdag-10-213-7-177', 1795979027000],
    ]);
    expect(parseGuestsSeen('1 a\n2 a\nnot a line\n').get('a')).toBe(1000);
  });
});

describe('guests from condor_status -json (recorded: fixtures/recorded/guest-ads)', () => {
  // Two guests of DAGMan job 51, asked for Name, State, Activity and VmWorkflowId only: what a guest image
  // without vmdag's boot attributes gives (the host part of the slot's Name names the guest).
  const text = readFileSync('fixtures/recorded/guest-ads/condor_status.guests-claimed.json', 'utf8');
  const seen = '1795979025 vmdag-10-213-7-130\n1795979027 vmdag-10-213-7-177\n';

  it("the run's guests, with the gate's sightings and no mark of their own", () => {
    const r = readGuests(text, seen, 51);
    expect(r).toEqual({
      guests: [
        { machine: 'vmdag-10-213-7-130', phases: [], seen: 1795979025000 },
        { machine: 'vmdag-10-213-7-177', phases: [], seen: 1795979027000 },
      ],
    });
  });
  it("another run's guests are not this run's", () => {
    expect(readGuests(text, seen, 41)).toEqual({ guests: [] });
  });
  it('guests that do not advertise VmdagAccel: each VM says KVM or emulation was not recorded', () => {
    const r = readGuests(text, seen, 51);
    const guests = r && 'guests' in r ? r.guests : [];
    expect(guests).toHaveLength(2);
    const boot = vmBoots(
      [
        { lane: 'VM 0', executing: 1795979000000 },
        { lane: 'VM 1', executing: 1795979001000 },
      ],
      guests,
      undefined,
    );
    expect(boot.vms.map((v) => v.accel)).toEqual([null, null]);
    const report: LatencyReport = { ...computeLatency(recordedInputs('vm-1-defaults')), boot };
    const t = latencyText(report);
    expect(t).toMatch(
      /VM 0 \(guest vmdag-10-213-7-\d+\): \d+ s executing → joined; KVM or emulation: not recorded by this image\n/,
    );
    expect((latencyJson(report) as { boot: { vms: { accel: unknown }[] } }).boot.vms[0]).toHaveProperty(
      'accel',
      null,
    );
  });
  it('no file: nothing; a file that cannot be read: a problem, not a throw', () => {
    expect(readGuests(undefined, seen, 51)).toBeUndefined();
    expect(readGuests(text.slice(0, 40), seen, 51)).toEqual({
      problem: expect.stringMatching(/^logs\/guests\.json cannot be read: /),
    });
  });
});

// The recorded 1-VM run: VM job 42.0 queued 19:03:16, executing 19:03:27, GATE ended 19:03:46, the step
// executing 19:04:03 (UTC).
const base = computeLatency(recordedInputs('vm-1-defaults'));
const vmLane = base.lanes.find((l) => l.kind === 'vm');
const executing = vmLane?.segments.find((g) => g.state === 'running')?.start ?? Number.NaN;
const vm: VmJob = { lane: 'VM 0', queued: vmLane?.segments[0]?.start ?? Number.NaN, executing };
const step = base.timestamps.computeStarted ?? Number.NaN;
const s = (ms: number) => ms / 1000;

/** A startd ad of a vmdag guest as the gate asks for it: kernel started `kernelAfter` s after the VM job executed. */
function guestAd(machine: string, kernelAfter: number, extra: ClassAd = {}): ClassAd {
  const kernel = s(executing) + kernelAfter;
  return {
    Name: `slot1@${machine}`,
    Machine: machine,
    VmWorkflowId: '41',
    VmdagBootEpoch: Math.round(kernel * 100) / 100,
    VmdagBootPhases: 'initramfs-root=1.52 fs=2.9 net=5.1 token=5.13 configured=5.16',
    DaemonStartTime: Math.floor(kernel + 6.2),
    MyCurrentTime: Math.floor(kernel + 20),
    LastHeardFrom: Math.floor(kernel + 20),
    ...extra,
  };
}
const seenAt = (machine: string, t: number) => new Map([[machine, t]]);

describe("each VM's boot, on the recorded run vm-1-defaults with a guest ad built here", () => {
  const joined = executing + 18_000;
  const guests = guestsOf([guestAd('vmdag-10-213-7-130', 6.42)], seenAt('vmdag-10-213-7-130', joined), 41);
  const boot = vmBoots([vm], guests, step);
  const b = boot.vms[0];

  it('the marks in the order of a boot, each with its clock', () => {
    expect(boot.pairing).toBe('one VM');
    expect(b?.guest).toBe('vmdag-10-213-7-130');
    expect(b?.accel).toBeNull();
    expect(b?.marks.map((m) => `${m.name} ${m.clock}`)).toEqual([
      'queued event log',
      'executing event log',
      'kernel guest',
      'initramfs-root guest',
      'fs guest',
      'net guest',
      'token guest',
      'configured guest',
      'startd guest',
      'joined gate',
      'step event log',
    ]);
    const times = b?.marks.map((m) => m.time) ?? [];
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(b?.marks[2]?.time).toBe(executing + 6420);
    expect(b?.marks[5]?.time).toBe(executing + 6420 + 5100);
    expect(b?.clockOffset).toBe(0);
  });
  it('the parts add up: executing → joined is the VM boot, queued → step all of it', () => {
    const parts = b?.parts ?? [];
    expect(parts.map((p) => `${p.from}→${p.to}`)).toEqual([
      'queued→executing',
      'executing→kernel',
      'kernel→initramfs-root',
      'initramfs-root→fs',
      'fs→net',
      'net→token',
      'token→configured',
      'configured→startd',
      'startd→joined',
      'joined→step',
    ]);
    expect(parts[1]?.seconds).toBe(6.42);
    expect(parts[4]?.seconds).toBeCloseTo(2.2, 3);
    expect(b?.boot).toBe(18);
    const sum = parts.slice(1, 9).reduce((a, p) => a + p.seconds, 0);
    expect(sum).toBeCloseTo(b?.boot ?? Number.NaN, 3);
    expect(parts.reduce((a, p) => a + p.seconds, 0)).toBeCloseTo(s(step - (vm.queued ?? 0)), 3);
    // the gate saw the guest before it ended: the VM's boot is within the run's vmBoot
    expect(b?.boot ?? Number.NaN).toBeLessThanOrEqual(base.phases.vmBoot ?? Number.NaN);
  });
  it('a mark before the one it follows (the guest clock behind, whole seconds) counts as 0 s', () => {
    const late = guestsOf([guestAd('g', -0.6)], seenAt('g', joined), 41);
    const parts = vmBoots([vm], late, step).vms[0]?.parts ?? [];
    expect(parts[1]).toEqual({ from: 'executing', to: 'kernel', seconds: 0 });
    // the next part starts from executing, not from the earlier kernel mark: the parts still add up
    expect(parts[2]?.seconds).toBeCloseTo(1.52 - 0.6, 3);
    expect(parts.slice(1, 9).reduce((a, p) => a + p.seconds, 0)).toBeCloseTo(18, 3);
  });
  it('a guest image without vmdag-init: queued, executing, startd, joined and step only', () => {
    const plain = guestAd('other', 6, { VmdagBootEpoch: null, VmdagBootPhases: null });
    const marks = vmBoots([vm], guestsOf([plain], seenAt('other', joined), 41), step).vms[0]?.marks;
    expect(marks?.map((m) => m.name)).toEqual(['queued', 'executing', 'startd', 'joined', 'step']);
  });
  it('several VMs: guests paired with VM jobs in order of start, shown in lane order', () => {
    const vms: VmJob[] = [
      { lane: 'VM 0', executing: executing + 2000 },
      { lane: 'VM 1', executing },
    ];
    const ads = [guestAd('late', 8), guestAd('early', 6)];
    const r = vmBoots(vms, guestsOf(ads, new Map(), 41), step);
    expect(r.pairing).toBe('in order of start');
    expect(r.vms.map((v) => `${v.lane} ${v.guest}`)).toEqual(['VM 0 late', 'VM 1 early']);
    // never seen by the gate: no VM boot sum
    expect(r.vms[0]?.boot).toBeNull();
  });
});

describe("each VM's boot in the report's text, JSON and HTML", () => {
  const guests = guestsOf(
    [guestAd('vmdag-10-213-7-130', 6.42)],
    seenAt('vmdag-10-213-7-130', executing + 18_000),
    41,
  );
  const r: LatencyReport = { ...base, boot: vmBoots([vm], guests, step) };

  it('text: a section per VM, part by part, saying what needs the guest image and how good the clock is', () => {
    const t = latencyText(r);
    expect(t).toContain("each VM's boot (GATE's record: logs/guests.json, logs/guests-seen.txt):");
    expect(t).toContain('VM 0 (guest vmdag-10-213-7-130): 18 s executing → joined');
    expect(t).toMatch(/executing → kernel +6\.4 s {2}starter, VM GAHP, libvirt domain, firmware/);
    expect(t).toContain("the vmdag guest image's own record");
    expect(t).toContain("the VM's RTC at boot (±1 s)");
  });
  it("text: how each VM ran, from its guest's VmdagAccel, or that its image did not say", () => {
    expect(latencyText(r)).toContain(
      "VM 0 (guest vmdag-10-213-7-130): 18 s executing → joined; KVM or emulation: not recorded by this image; collector's clock − guest's +0 s\n",
    );
    const kvm = guestsOf(
      [guestAd('vmdag-10-213-7-130', 6.42, { VmdagAccel: 'kvm' })],
      seenAt('vmdag-10-213-7-130', executing + 18_000),
      41,
    );
    expect(latencyText({ ...base, boot: vmBoots([vm], kvm, step) })).toContain(
      "VM 0 (guest vmdag-10-213-7-130): 18 s executing → joined; KVM; collector's clock − guest's +0 s\n",
    );
    const tcg = guestsOf(
      [guestAd('g', 6.42, { VmdagAccel: 'emulation' })],
      seenAt('g', executing + 18_000),
      41,
    );
    const text = latencyText({ ...base, boot: vmBoots([vm], tcg, step) });
    expect(text).toContain('VM 0 (guest g): 18 s executing → joined; software emulation (QEMU TCG);');
    expect(text).toContain("KVM or emulation: the vmdag guest image's VmdagAccel");
  });
  it('JSON: marks with ISO times to the millisecond, parts in seconds', () => {
    const j = latencyJson(r) as { boot: { vms: { marks: { name: string; time: string }[] }[] } };
    const kernel = j.boot.vms[0]?.marks.find((m) => m.name === 'kernel');
    expect(kernel?.time).toBe(new Date(executing + 6420).toISOString());
  });
  it('HTML: a strip per part from executing on in the VM lane, and the table', () => {
    const html = latencyHtml(r);
    expect(XMLValidator.validate(html)).toBe(true);
    const strips = [...html.matchAll(/<rect class="boot (even|odd)"[^>]*><title>([^<]*)<\/title>/g)];
    expect(strips.map((m) => m[2]?.split(',')[0])).toEqual([
      'VM 0 boot: executing → kernel',
      'VM 0 boot: kernel → initramfs-root',
      'VM 0 boot: initramfs-root → fs',
      'VM 0 boot: fs → net',
      'VM 0 boot: net → token',
      'VM 0 boot: token → configured',
      'VM 0 boot: configured → startd',
      'VM 0 boot: startd → joined',
      'VM 0 boot: joined → step',
    ]);
    expect(html).toContain('<h2>Each VM’s boot</h2>');
    expect(html).toContain('<td>executing → joined</td><td class="num">18</td>');
    // no VmdagAccel: the lane is labelled by its name only, the strips do not say, the table does
    expect(html).toMatch(/<text [^>]*class="lane-label vm"[^>]*>VM 0<\/text>/);
    expect(strips[0]?.[2]).toMatch(/\(guest vmdag-10-213-7-130\)$/);
    expect(html).toContain('the VM&#x27;s boot; KVM or emulation: not recorded by this image');
  });
  it('HTML: how the VM ran, in its lane label, its strips and the table', () => {
    for (const [value, short, label] of [
      ['kvm', 'KVM', 'KVM'],
      ['emulation', 'emulated', 'software emulation (QEMU TCG)'],
    ] as const) {
      const gs = guestsOf([guestAd('g', 6.42, { VmdagAccel: value })], seenAt('g', executing + 18_000), 41);
      const report: LatencyReport = { ...base, boot: vmBoots([vm], gs, step) };
      expect((latencyJson(report) as { boot: { vms: { accel: unknown }[] } }).boot.vms[0]?.accel).toBe(value);
      const html = latencyHtml(report);
      expect(XMLValidator.validate(html)).toBe(true);
      expect(html).toMatch(new RegExp(`<text [^>]*class="lane-label vm"[^>]*>VM 0 · ${short}</text>`));
      const titles = [...html.matchAll(/<rect class="boot (?:even|odd)"[^>]*><title>([^<]*)<\/title>/g)];
      expect(titles.length).toBeGreaterThan(0);
      for (const m of titles)
        expect(m[1]).toMatch(new RegExp(`\\(guest g; ${label.replace(/[()]/g, '\\$&')}\\)$`));
      expect(html).toContain(`the VM&#x27;s boot; ${label}; collector&#x27;s clock − guest&#x27;s: 0 s`);
    }
  });
});

/** Recorded runs with GATE's record of their guests (record-run.mjs copies logs/guests.json since issue 17). */
const withGuests = (name: string) => existsSync(join(RECORDED, name, 'logs', 'guests.json'));

describe("runs recorded with GATE's record: each VM's boot, and how it ran when the image said it", () => {
  // `node scripts/lab-record-fixtures.mjs vm-runs` records runs/vm-running and runs/vm-removed with it.
  const recorded = readdirSync(RECORDED).sort().filter(withGuests);
  it('there are such recordings (vm-running, vm-removed)', () => {
    expect(recorded).toEqual(expect.arrayContaining(['vm-removed', 'vm-running']));
  });
  for (const name of recorded) {
    it(name, () => {
      const r = computeLatency(recordedInputs(name));
      expect(r.boot?.problem).toBeUndefined();
      const vms = r.boot?.vms ?? [];
      expect(vms.length).toBe(r.lanes.filter((l) => l.kind === 'vm').length);
      // What the recorded guests advertised, by machine; a guest that did not say reads null.
      const ads = JSON.parse(readFileSync(join(RECORDED, name, 'logs', 'guests.json'), 'utf8')) as {
        Machine?: string;
        Name?: string;
        VmdagAccel?: string;
      }[];
      const said = new Map(ads.map((a) => [a.Machine ?? a.Name, a.VmdagAccel ?? null]));
      for (const v of vms) {
        expect(v.accel).toBe(said.get(v.guest) ?? null);
        expect(latencyText(r)).toContain(`executing → joined; ${accelLabel(v.accel)}`);
      }
    });
  }
});

describe('runs recorded before the gate kept its record: the report is as it was', () => {
  for (const name of readdirSync(RECORDED)
    .sort()
    .filter((n) => !withGuests(n))) {
    it(name, () => {
      const r = computeLatency(recordedInputs(name));
      expect(r.boot).toBeUndefined();
      expect(latencyJson(r)).not.toHaveProperty('boot');
      expect(latencyText(r)).not.toContain("each VM's boot");
      expect(latencyHtml(r)).not.toContain('Each VM’s boot');
    });
  }
  it("a guests.json of another run (recorded: guest-ads, DAGMan job 51) gives no VM's boot to run 41", () => {
    const inp = recordedInputs('vm-1-defaults');
    inp.guestsJson = readFileSync(
      join('fixtures/recorded/guest-ads', 'condor_status.guests-claimed.json'),
      'utf8',
    );
    const r = computeLatency(inp);
    expect(r.boot).toEqual({ vms: [], pairing: 'one VM' });
    expect(latencyText(r)).toContain('no guest of this run in it');
  });
});
