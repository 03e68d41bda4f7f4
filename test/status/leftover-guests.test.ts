/**
 * `vmdag status` names a guest that outlived its VMs. The guests' startd ads are the lab's own, recorded by
 * `scripts/lab-record-fixtures.mjs guest-ads` while two guests served a run (and again once it had ended:
 * none left); the runs are recorded runs (fixtures/recorded/runs). A guest ad next to a run whose VMs all
 * ended is a leftover; next to a run whose VMs still run, it is simply the run's guest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusJson, statusText } from '../../src/commands/status.js';
import { parseAdsJson } from '../../src/condor/classads.js';
import { deriveStatus } from '../../src/status/derive-status.js';
import { recordedRun } from './recorded-run.js';

const GUESTS = 'fixtures/recorded/guest-ads';
const guests = (file: string) => parseAdsJson(readFileSync(join(GUESTS, file), 'utf8'));

function statusWith(run: string, file: string) {
  const { inputs } = recordedRun(run);
  inputs.guests = guests(file);
  return deriveStatus(inputs);
}

describe('leftover guests', () => {
  it('the recorded guests are two claimed vmdag guests, and none is left once their run ended', () => {
    const claimed = guests('condor_status.guests-claimed.json');
    expect(claimed).toHaveLength(2);
    for (const g of claimed) {
      expect(g.Name).toMatch(/^slot1@vmdag-10-213-7-\d+$/);
      expect(g.State).toBe('Claimed');
    }
    expect(guests('condor_status.after-run.json')).toEqual([]);
  });

  it('a finished run with guest ads still in the collector names each as a leftover', () => {
    const s = statusWith('vm-1-tuned', 'condor_status.guests-claimed.json');
    expect(s.vms.every((v) => v.state !== 'running')).toBe(true);
    const names = guests('condor_status.guests-claimed.json').map((g) => g.Name);
    expect(s.leftoverGuests?.map((g) => g.name)).toEqual(names);
    expect(s.leftoverGuests?.[0]?.state).toMatch(/^Claimed\//);
    expect(statusText('vm-1-tuned', s)).toMatch(/leftover guest slot1@vmdag-10-213-7-\d+ \(Claimed\/\w+\)/);
    expect((statusJson(s) as { leftoverGuests: unknown[] }).leftoverGuests).toHaveLength(2);
  });

  it("a run whose VMs still run, beside its own guests' ads (recorded with it), has no leftover", () => {
    // fixtures/recorded/runs/vm-running: a real 2-VM run recorded while its step ran, with its guests' ads.
    const { inputs } = recordedRun('vm-running');
    inputs.guests = parseAdsJson(
      readFileSync('fixtures/recorded/runs/vm-running/condor_status.guests-claimed.json', 'utf8'),
    );
    expect(inputs.guests).toHaveLength(2);
    // both advertise the run's DAGMan job id, as the recording's COMMAND.txt names it
    const id = /DAGMan job (\d+)/.exec(
      readFileSync('fixtures/recorded/runs/vm-running/COMMAND.txt', 'utf8'),
    )?.[1];
    for (const g of inputs.guests ?? []) expect(g.VmWorkflowId).toBe(id);
    const s = deriveStatus(inputs);
    expect(s.vms.map((v) => v.state)).toEqual(['running', 'running']);
    expect(s.leftoverGuests).toBeUndefined();
  });

  it('a finished run whose guests left the pool has no leftover', () => {
    const s = statusWith('vm-1-tuned', 'condor_status.after-run.json');
    expect(s.leftoverGuests).toBeUndefined();
    expect((statusJson(s) as { leftoverGuests: unknown[] }).leftoverGuests).toEqual([]);
  });
});
