import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/model/run.js';
import { estimateEta, formatDuration, watchFrame } from '../../src/status/watch-view.js';

const status = (over: Partial<RunStatus> = {}, progress: Partial<RunStatus['progress']> = {}): RunStatus => ({
  dagmanJobId: 12,
  state: 'running',
  nodes: [
    { name: 'GATE', kind: 'gate', state: 'done', jobId: '14.0' },
    { name: 'hpl', kind: 'compute', state: 'running', jobId: '15.0' },
    { name: 'post', kind: 'compute', state: 'unsubmitted', jobId: null },
  ],
  vms: [],
  ...over,
  progress: { nodesDone: 1, nodesTotal: 3, vmsRunning: 2, vmsTotal: 2, ...progress },
});

describe('status --watch view', () => {
  it.each([
    [0, '0s'],
    [59.6, '1m00s'],
    [61, '1m01s'],
    [3600 + 120, '1h02m'],
  ])('formats %s s as %s', (s, want) => expect(formatDuration(s)).toBe(want));

  it('estimates the time left from the pace of finished nodes', () => {
    expect(estimateEta(status(), 30)).toBe(60);
    expect(estimateEta(status({}, { nodesDone: 0 }), 30)).toBeUndefined();
    expect(estimateEta(status({ state: 'succeeded' }), 30)).toBe(0);
  });

  it('shows state, elapsed, ETA, VMs, nodes and what runs now', () => {
    const f = watchFrame('hpl-2vm', status(), 30);
    expect(f.split('\n')).toEqual([
      'run 12 (hpl-2vm): running   elapsed 30s   ETA ~1m00s',
      '  VMs    [####################] 2/2 running',
      '  nodes  [#######.............] 1/3 done',
      '  now    hpl running',
    ]);
  });

  it('says the cause, and an unknown ETA as a dash', () => {
    const f = watchFrame(
      'x',
      status({ cause: 'node hpl: exit code 3' }, { nodesDone: 0, vmsTotal: 0 }),
      undefined,
    );
    expect(f).toContain('ETA —');
    expect(f).not.toContain('VMs');
    expect(f).toContain('cause  node hpl: exit code 3');
  });
});
