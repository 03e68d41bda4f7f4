/** Status of runs recorded on the lab pool (fixtures/recorded/runs/<case>/COMMAND.txt says how). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAdsJson } from '../../src/condor/classads.js';
import type { RunState } from '../../src/model/run.js';
import { deriveStatus } from '../../src/status/derive-status.js';
import { assembleInputs } from '../../src/status/gather-status.js';
import { readIfExists, readLayout } from '../../src/status/run-dir.js';

function recordedStatus(name: string) {
  const dir = join('fixtures/recorded/runs', name);
  const layout = readLayout(dir);
  const history = parseAdsJson(readFileSync(join(dir, 'condor_history.json'), 'utf8'));
  const queue = parseAdsJson(readFileSync(join(dir, 'condor_q.json'), 'utf8'));
  const dagman = history.find((ad) => ad.DAGManJobId === undefined || ad.DAGManJobId === null);
  const id = Number(dagman?.ClusterId);
  // The run directory the jobs were submitted from, as COMMAND.txt records it.
  const from = /from (\S+)\n/.exec(readFileSync(join(dir, 'COMMAND.txt'), 'utf8'))?.[1] ?? '';
  return {
    id,
    history,
    queue,
    layout,
    from,
    status: deriveStatus(assembleInputs(layout, id, queue, history, readIfExists, from)),
  };
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
