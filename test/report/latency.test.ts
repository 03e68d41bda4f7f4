/**
 * The latency report of runs recorded on the lab pool: phases add up, and every timestamp agrees (±1 s) with
 * the raw event-log headers and the job ads HTCondor wrote for the same moments.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adNumber, parseAdsJson } from '../../src/condor/classads.js';
import { ofRunDir } from '../../src/report/gather-report.js';
import { computeLatency, type LatencyInputs, latencyJson } from '../../src/report/latency.js';
import { PHASE_NAMES } from '../../src/report/types.js';
import { rawVmStamps } from './raw-events.js';
import { RECORDED, recordedInputs } from './recorded.js';

const FINISHED = ['native-diamond', 'native-diamond-slow', 'native-step-failed'];

/** Header times of a raw event log, by a regex of its own (not the parser under test), as epoch ms (UTC lab). */
function rawHeaders(text: string | undefined): { code: number; cluster: number; time: number }[] {
  const out: { code: number; cluster: number; time: number }[] = [];
  for (const m of (text ?? '').matchAll(/^(\d{3}) \((\d+)\.\d+\.\d+\) (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)/gm))
    out.push({ code: Number(m[1]), cluster: Number(m[2]), time: Date.parse(`${m[3]}T${m[4]}Z`) });
  return out;
}

function ads(name: string) {
  return parseAdsJson(readFileSync(join(RECORDED, name, 'condor_history.json'), 'utf8'));
}

const near = (a: number | null, b: number | undefined) => {
  expect(a).not.toBeNull();
  expect(b).toBeDefined();
  expect(Math.abs((a ?? 0) - (b ?? 0))).toBeLessThanOrEqual(1000);
};

describe('latency of finished runs recorded on the lab', () => {
  for (const name of FINISHED) {
    const inp = recordedInputs(name);
    const r = computeLatency(inp);
    it(`${name}: the phases add up to the total`, () => {
      expect(r.state).toBe('finished');
      expect(r.mode).toBe('native');
      const parts = PHASE_NAMES.filter((p) => p !== 'total').map((p) => r.phases[p] ?? 0);
      expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(r.phases.total ?? Number.NaN, 3);
      expect(r.phases.total).toBe(((r.timestamps.finished ?? 0) - (r.timestamps.submitted ?? 0)) / 1000);
      expect(r.phases.vmBoot).toBeNull();
      expect(r.phases.teardown).toBeNull();
    });
    it(`${name}: timestamps agree (±1 s) with the raw event-log headers`, () => {
      const dagman = rawHeaders(inp.dagmanLog).filter((e) => e.cluster === inp.dagmanJobId);
      near(r.timestamps.submitted, dagman.find((e) => e.code === 0)?.time);
      near(r.timestamps.finished, dagman.filter((e) => e.code === 5 || e.code === 9).at(-1)?.time);
      const nodes = rawHeaders(inp.nodesLog);
      near(r.timestamps.computeStarted, Math.min(...nodes.filter((e) => e.code === 1).map((e) => e.time)));
      near(r.timestamps.computeEnded, Math.max(...nodes.filter((e) => e.code === 5).map((e) => e.time)));
      // phases recomputed from the raw headers
      const submitted = dagman.find((e) => e.code === 0)?.time ?? 0;
      const firstExec = Math.min(...nodes.filter((e) => e.code === 1).map((e) => e.time));
      expect(Math.abs((r.phases.scheduling ?? 0) - (firstExec - submitted) / 1000)).toBeLessThanOrEqual(1);
    });
    it(`${name}: timestamps agree (±1 s) with the job ads`, () => {
      const all = ads(name);
      const dagman = all.find((ad) => adNumber(ad, 'ClusterId') === inp.dagmanJobId);
      expect(dagman).toBeDefined();
      near(r.timestamps.submitted, (adNumber(dagman ?? {}, 'QDate') ?? 0) * 1000);
      near(r.timestamps.finished, (adNumber(dagman ?? {}, 'CompletionDate') ?? 0) * 1000);
      const nodes = all.filter((ad) => adNumber(ad, 'DAGManJobId') === inp.dagmanJobId);
      const starts = nodes.map(
        (ad) => adNumber(ad, 'JobCurrentStartExecutingDate') ?? Number.POSITIVE_INFINITY,
      );
      near(r.timestamps.computeStarted, Math.min(...starts) * 1000);
      near(
        r.timestamps.computeEnded,
        Math.max(...nodes.map((ad) => adNumber(ad, 'CompletionDate') ?? 0)) * 1000,
      );
    });
    it(`${name}: one lane per compute node, each with its job's queued and running time`, () => {
      const layout = inp.layout;
      expect(r.lanes.map((l) => l.name)).toEqual(
        layout.nodes.filter((n) => n.kind === 'compute').map((n) => n.name),
      );
      for (const l of r.lanes) {
        expect(l.segments.map((g) => g.state)).toContain('running');
        expect(l.segments.every((g) => g.end !== null && g.end >= g.start)).toBe(true);
        expect(l.end).not.toBeNull();
      }
    });
  }

  it('native-diamond: the figures of the recorded run', () => {
    const r = computeLatency(recordedInputs('native-diamond'));
    expect(r.phases).toEqual({
      scheduling: 10,
      vmBoot: null,
      compute: 23,
      teardown: null,
      wrapUp: 1,
      total: 34,
    });
    expect(r.lanes.map((l) => [l.name, l.end?.outcome, l.host])).toEqual([
      ['prep', 'done', 'slot2@vmdag-lab'],
      ['left', 'done', 'slot2@vmdag-lab'],
      ['right', 'done', 'slot3@vmdag-lab'],
      ['merge', 'done', 'slot2@vmdag-lab'],
    ]);
  });

  it('native-step-failed: a failed step ends its lane as failed; DAGMan evicted and restarted still counts from its first submit', () => {
    const r = computeLatency(recordedInputs('native-step-failed'));
    expect(r.lanes[0]?.end?.outcome).toBe('failed');
    expect(r.sources.submitted).toBe('dagman.log: submit of 7.0');
    expect(r.phases.total).toBe(28);
  });

  it('dagman-aborted: DAGMan gave up before any node: only submitted, finished and the total', () => {
    const r = computeLatency(recordedInputs('dagman-aborted'));
    expect(r.state).toBe('finished');
    expect(r.phases).toEqual({
      scheduling: null,
      vmBoot: null,
      compute: null,
      teardown: null,
      wrapUp: null,
      total: 3,
    });
    expect(r.lanes[0]?.segments).toEqual([]);
  });
});

describe('latency of a running run (recorded mid-run, then again finished)', () => {
  const running = computeLatency(recordedInputs('native-diamond-running'));
  const finished = computeLatency(recordedInputs('native-diamond-slow'));
  it('is running, as of the schedd clock condor_q reported (ServerTime)', () => {
    expect(running.state).toBe('running');
    expect(running.timestamps.finished).toBeNull();
    const q = parseAdsJson(readFileSync(join(RECORDED, 'native-diamond-running', 'condor_q.json'), 'utf8'));
    expect(running.asOf).toBe((adNumber(q[0] ?? {}, 'ServerTime') ?? 0) * 1000);
  });
  it('counts the phase under way up to that record and leaves the others null', () => {
    expect(running.current).toBe('scheduling');
    expect(running.phases.scheduling).toBe(running.phases.total);
    expect(running.phases.compute).toBeNull();
    expect(running.lanes[0]?.segments).toEqual([{ state: 'queued', start: expect.any(Number), end: null }]);
    expect(running.lanes.slice(1).every((l) => l.segments.length === 0)).toBe(true);
  });
  it('agrees with the same run once finished', () => {
    expect(running.timestamps.submitted).toBe(finished.timestamps.submitted);
    expect(running.lanes[0]?.segments[0]?.start).toBe(finished.lanes[0]?.segments[0]?.start);
    expect(finished.phases.scheduling ?? 0).toBeGreaterThan(running.phases.scheduling ?? 0);
  });
});

/** The recorded logs rewritten as a submit host elsewhere would write them (its wall clock, or `Z` times). */
function rezoned(inp: LatencyInputs, shiftMinutes: number, z: boolean): LatencyInputs {
  const rewrite = (text?: string) =>
    text?.replace(/^(\d{3} \(\d+\.\d+\.\d+\) )(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)/gm, (_m, head, d, t) => {
      const wall = new Date(Date.parse(`${d}T${t}Z`) + shiftMinutes * 60_000).toISOString();
      return `${head}${wall.slice(0, 10)} ${wall.slice(11, 19)}${z ? 'Z' : ''}`;
    });
  return { ...inp, dagmanLog: rewrite(inp.dagmanLog), nodesLog: rewrite(inp.nodesLog) };
}

describe('event-log times are the submit host’s local time', () => {
  const inp = recordedInputs('native-diamond');
  const base = computeLatency(inp);
  for (const [label, minutes, z] of [
    ['UTC+5:30 (India)', 330, false],
    ['UTC−7 (US Pacific, summer)', -420, false],
    ['UTC with Z (EVENT_LOG_FORMAT_OPTIONS = UTC)', 0, true],
  ] as const) {
    it(`${label}: the offset is found from the epoch records and the report is unchanged`, () => {
      const r = computeLatency(rezoned(inp, minutes, z));
      expect(r.zone.offsetMinutes).toBe(minutes);
      expect(r.timestamps).toEqual(base.timestamps);
      expect(r.phases).toEqual(base.phases);
    });
  }
});

describe('--json', () => {
  it('has timestamps as ISO-8601 UTC or null, phases in seconds or null, lanes', () => {
    const j = latencyJson(computeLatency(recordedInputs('native-diamond'))) as {
      timestamps: Record<string, string | null>;
      phases: Record<string, number | null>;
      lanes: { segments: { start: string }[] }[];
    };
    expect(j.timestamps.submitted).toBe('2026-11-25T15:04:05Z');
    expect(j.timestamps.vmsReady).toBeNull();
    for (const v of Object.values(j.timestamps))
      if (v !== null) expect(v).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Object.keys(j.phases)).toEqual([...PHASE_NAMES]);
    expect(j.lanes).toHaveLength(4);
    expect(j.lanes[0]?.segments[0]?.start).toBe('2026-11-25T15:04:10Z');
  });
});

describe('VM path: a real 2-VM run recorded on the lab while its step ran', () => {
  // fixtures/recorded/runs/vm-running/COMMAND.txt: vmdag's DAG (SERVICE VMS of 2 procs, SERVICE REAP, GATE, work,
  // FINAL STOP), recorded by scripts/lab-record-fixtures.mjs vm-runs while the step ran on both guests.
  const inp = recordedInputs('vm-running');
  const r = computeLatency(inp);
  const raw = rawHeaders(inp.nodesLog);
  const vmCluster = Number(r.lanes[0]?.jobId?.split('.')[0]);
  const stepCluster = Number(r.lanes.find((l) => l.kind === 'compute')?.jobId?.split('.')[0]);
  it('has one lane per VM proc, then the gate, REAP, the step and STOP (not yet submitted)', () => {
    expect(r.mode).toBe('vm');
    expect(r.lanes.map((l) => [l.kind, l.name])).toEqual([
      ['vm', 'VM 0'],
      ['vm', 'VM 1'],
      ['gate', 'GATE'],
      ['reap', 'REAP'],
      ['compute', 'work'],
      ['stop', 'STOP'],
    ]);
    expect(r.lanes.map((l) => l.jobId)).toEqual([
      `${vmCluster}.0`,
      `${vmCluster}.1`,
      expect.stringMatching(/^\d+\.0$/),
      expect.stringMatching(/^\d+\.0$/),
      `${stepCluster}.0`,
      null,
    ]);
    expect(r.lanes.find((l) => l.kind === 'gate')?.end?.outcome).toBe('done');
    expect(r.lanes.filter((l) => l.kind === 'vm' || l.kind === 'compute').map((l) => l.end)).toEqual([
      null,
      null,
      null,
    ]);
  });
  it('vmsQueued, vmsRunning and computeStarted agree (±1 s) with the raw headers; the phase under way is compute', () => {
    const vm = raw.filter((e) => e.cluster === vmCluster);
    near(r.timestamps.vmsQueued, Math.min(...vm.filter((e) => e.code === 0).map((e) => e.time)));
    near(r.timestamps.vmsRunning, Math.max(...vm.filter((e) => e.code === 1).map((e) => e.time)));
    near(r.timestamps.computeStarted, raw.find((e) => e.cluster === stepCluster && e.code === 1)?.time);
    expect(r.timestamps.computeEnded).toBeNull();
    expect(r.state).toBe('running');
    expect(r.current).toBe('compute');
    const parts = (r.phases.scheduling ?? 0) + (r.phases.vmBoot ?? 0) + (r.phases.compute ?? 0);
    expect(parts).toBeCloseTo(r.phases.total ?? Number.NaN, 3);
    expect(r.phases.vmBoot).toBeGreaterThan(0);
  });
});

describe('VM path: the same run removed (condor_rm of the DAGMan job), FINAL STOP removing the VM jobs', () => {
  const inp = recordedInputs('vm-removed');
  const r = computeLatency(inp);
  const raw = rawHeaders(inp.nodesLog);
  const vmCluster = Number(r.lanes[0]?.jobId?.split('.')[0]);
  it('every VM lane and the step end removed; the gate had succeeded; STOP ran', () => {
    expect(r.lanes.map((l) => [l.name, l.end?.outcome ?? null])).toEqual([
      ['VM 0', 'removed'],
      ['VM 1', 'removed'],
      ['GATE', 'done'],
      ['REAP', 'removed'],
      ['work', 'removed'],
      ['STOP', 'failed'],
    ]);
    // no zero-length "queued" stretch between the eviction and the abort of a removed job
    for (const l of r.lanes) for (const g of l.segments) expect(g.end === null || g.end > g.start).toBe(true);
  });
  it('vmsStopped is the last abort of a VM proc, finished DAGMan’s abort (raw headers ±1 s); the phases add up', () => {
    near(
      r.timestamps.vmsStopped,
      Math.max(...raw.filter((e) => e.cluster === vmCluster && e.code === 9).map((e) => e.time)),
    );
    const dagman = rawHeaders(inp.dagmanLog).filter((e) => e.cluster === inp.dagmanJobId);
    near(r.timestamps.finished, dagman.find((e) => e.code === 9)?.time);
    expect(r.state).toBe('finished');
    expect(r.outcome).toBe('removed');
    expect(r.phases.wrapUp).toBe(((r.timestamps.finished ?? 0) - (r.timestamps.vmsStopped ?? 0)) / 1000);
    const parts = PHASE_NAMES.filter((p) => p !== 'total').map((p) => r.phases[p] ?? 0);
    expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(r.phases.total ?? Number.NaN, 3);
    expect(r.phases.total).toBe(((r.timestamps.finished ?? 0) - (r.timestamps.submitted ?? 0)) / 1000);
  });
});

describe('how DAGMan ended, from its own terminate/abort event', () => {
  for (const [name, outcome] of [
    ['native-diamond', 'done'],
    ['native-step-failed', 'failed'],
    ['dagman-aborted', 'failed'],
    ['vm-removed', 'removed'],
    ['native-diamond-running', null],
  ] as const) {
    it(`${name}: ${outcome}`, () => {
      expect(computeLatency(recordedInputs(name)).outcome).toBe(outcome);
    });
  }
});

describe('job ads of another DAG that reuses the ids (a reinstalled schedd numbers from 1 again)', () => {
  it('are left out by their Iwd', () => {
    const all = ads('native-diamond');
    expect(ofRunDir(all, '/tmp/rep/diamond1')).toHaveLength(all.length);
    expect(ofRunDir(all, '/tmp/some-other-run')).toEqual([]);
  });
});

describe('latency of real 1-VM runs recorded on the lab (tuned and --defaults)', () => {
  for (const name of ['vm-1-tuned', 'vm-1-defaults']) {
    const inp = recordedInputs(name);
    const r = computeLatency(inp);
    const raw = rawVmStamps(join(RECORDED, name), inp.layout.dagFile);
    it(`${name}: every phase is there and they add up to the total`, () => {
      expect(r.state).toBe('finished');
      expect(r.mode).toBe('vm');
      for (const p of PHASE_NAMES) expect(r.phases[p], p).not.toBeNull();
      const parts = PHASE_NAMES.filter((p) => p !== 'total').map((p) => r.phases[p] ?? 0);
      expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(r.phases.total ?? Number.NaN, 3);
    });
    it(`${name}: every timestamp agrees (±1 s) with the raw event-log headers`, () => {
      for (const [k, v] of Object.entries(raw)) {
        expect(v, k).toBeDefined();
        near(r.timestamps[k as keyof typeof r.timestamps], v);
      }
      // the overhead and the teardown recomputed from the raw headers
      const s = (a: number | undefined, b: number | undefined) => ((b ?? 0) - (a ?? 0)) / 1000;
      const overhead = s(raw.submitted, raw.vmsRunning) + s(raw.vmsReady, raw.computeStarted);
      expect(Math.abs((r.phases.scheduling ?? 0) - overhead)).toBeLessThanOrEqual(1);
      expect(Math.abs((r.phases.teardown ?? 0) - s(raw.computeEnded, raw.vmsStopped))).toBeLessThanOrEqual(1);
    });
  }
  it('the tuned run queued its step with the VMs and REAP removed the VM; the --defaults run waited for GATE', () => {
    const tuned = computeLatency(recordedInputs('vm-1-tuned'));
    const defaults = computeLatency(recordedInputs('vm-1-defaults'));
    const at = (r: typeof tuned, t: keyof typeof tuned.timestamps) => r.timestamps[t] ?? Number.NaN;
    const computeLane = (r: typeof tuned) => r.lanes.find((l) => l.kind === 'compute');
    // tuned: the step was submitted before the guest had joined; defaults: only after GATE ended
    expect(computeLane(tuned)?.segments[0]?.start).toBeLessThan(at(tuned, 'vmsReady'));
    expect(computeLane(defaults)?.segments[0]?.start).toBeGreaterThan(at(defaults, 'vmsReady'));
    // tuned: SERVICE REAP is in the DAG; defaults: no REAP, and the VM outlived the step until STOP ran
    expect(recordedInputs('vm-1-tuned').layout.nodes.map((n) => n.kind)).toContain('reap');
    // REAP saw the step's end in the nodes log and ended (after its condor_rm) within 2 s of it
    const reap = tuned.lanes.find((l) => l.kind === 'reap');
    expect(reap?.end?.outcome).toBe('done');
    expect((reap?.end?.time ?? Number.NaN) - at(tuned, 'computeEnded')).toBeLessThanOrEqual(2000);
    expect((reap?.end?.time ?? Number.NaN) - at(tuned, 'computeEnded')).toBeGreaterThanOrEqual(0);
    expect(recordedInputs('vm-1-defaults').layout.nodes.map((n) => n.kind)).not.toContain('reap');
    const stop = (r: typeof tuned) =>
      r.lanes.find((l) => l.kind === 'stop')?.segments[0]?.start ?? Number.NaN;
    expect(at(defaults, 'vmsStopped')).toBeGreaterThan(stop(defaults));
  });
});
