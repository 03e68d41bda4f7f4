/** Status of runs recorded on the lab pool (fixtures/recorded/runs/<case>/COMMAND.txt says how). */
import { describe, expect, it } from 'vitest';
import type { RunState } from '../../src/model/run.js';
import { deriveStatus } from '../../src/status/derive-status.js';
import { assembleInputs } from '../../src/status/gather-status.js';
import { readIfExists } from '../../src/status/run-dir.js';
import { recordedRun } from './recorded-run.js';

function recordedStatus(name: string) {
  const r = recordedRun(name);
  return { ...r, status: deriveStatus(r.inputs) };
}

const cases: [string, { state: RunState; cause: RegExp; nodes: Record<string, string> }][] = [
  [
    'native-step-failed',
    { state: 'failed', cause: /node compute: exit code 213/, nodes: { compute: 'failed' } },
  ],
  [
    'dagman-aborted',
    {
      state: 'failed',
      cause: /node log file .* is in \/tmp — ERROR: Warning is fatal error because of DAGMAN_USE_STRICT/,
      nodes: { compute: 'unsubmitted' },
    },
  ],
];

describe('a job evicted again and again', () => {
  it('names the eviction reason as the cause', () => {
    const { status } = recordedStatus('input-unreadable');
    const one = status.nodes.find((n) => n.name === 'one');
    expect(one?.cause).toMatch(
      /^evicted: Transfer input files failure .*step\.sh: \(errno 13\) Permission denied/,
    );
    // DAGMan ended with exit 3 (the lab was restarted under it) before the node ever ran.
    expect(status.state).toBe('failed');
    expect(status.cause).toMatch(/^node one: evicted: /);
  });
});

describe('status of recorded runs', () => {
  for (const [name, want] of cases) {
    it(name, () => {
      const s = recordedStatus(name).status;
      expect(s.state).toBe(want.state);
      expect(s.cause).toMatch(want.cause);
      expect(Object.fromEntries(s.nodes.map((n) => [n.name, n.state]))).toEqual(want.nodes);
    });
  }
});

describe('a reused cluster id', () => {
  it("ignores another directory's job that has the run's DAGMan cluster id", () => {
    const r = recordedStatus('native-step-failed');
    const foreign = { ...r.history.find((ad) => ad.ClusterId === r.id), Iwd: '/elsewhere', ExitCode: 0 };
    const s = deriveStatus(
      assembleInputs(r.layout, r.id, r.queue, [foreign, ...r.history], readIfExists, r.from),
    );
    expect(s.state).toBe('failed');
    const fooled = deriveStatus(assembleInputs(r.layout, r.id, [], [foreign], () => undefined, r.from));
    expect(fooled.state).not.toBe('succeeded');
  });
});
