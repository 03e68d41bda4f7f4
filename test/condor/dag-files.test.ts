/** DAGMan's own files, as DAGMan wrote them on the lab (fixtures/recorded/dag-mixed/COMMAND.txt). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  NodeStatusName,
  parseJobstateLog,
  parseMetrics,
  parseNodeStatusFile,
} from '../../src/condor/dag-files.js';

const rec = (f: string) => readFileSync(`fixtures/recorded/dag-mixed/${f}`, 'utf8');

describe('DAGMan files recorded from the lab', () => {
  it('node status file: the DAG record, one record per node, the end record', () => {
    const ads = parseNodeStatusFile(rec('dag-mixed.dag.status'));
    expect(ads.map((a) => a.Type)).toEqual([
      'DagStatus',
      'NodeStatus',
      'NodeStatus',
      'NodeStatus',
      'NodeStatus',
      'StatusEnd',
    ]);
    const dag = ads[0] ?? {};
    expect(dag.DagFiles).toEqual(['dag-mixed.dag']);
    expect([dag.NodesTotal, dag.NodesDone, dag.NodesFailed]).toEqual([4, 3, 1]);
    expect(NodeStatusName[dag.DagStatus as number]).toBe('error');
    const nodes = Object.fromEntries(
      ads.filter((a) => a.Type === 'NodeStatus').map((a) => [a.Node, NodeStatusName[a.NodeStatus as number]]),
    );
    expect(nodes).toEqual({ A: 'done', B: 'done', F: 'error', P: 'done' });
  });

  it('jobstate log: DAGMan start/finish and every node event in order', () => {
    const ev = parseJobstateLog(rec('dag-mixed.dag.jobstate.log'));
    expect(ev[0]).toMatchObject({ node: 'INTERNAL', event: 'DAGMAN_STARTED', detail: '29.0' });
    expect(ev.at(-1)).toMatchObject({ node: 'INTERNAL', event: 'DAGMAN_FINISHED', detail: '1' });
    expect(ev.find((e) => e.node === 'F' && e.event === 'JOB_FAILURE')?.detail).toBe('3');
    expect(ev.filter((e) => e.event === 'SUBMIT').map((e) => e.node)).toEqual(['A', 'F', 'B', 'P']);
  });

  it('metrics: times, exit code, DAGMan id and status (DagStatus spelling of 23.9)', () => {
    const m = parseMetrics(rec('dag-mixed.dag.metrics'));
    expect(m.dagmanId).toBe(29);
    expect(m.exitcode).toBe(1);
    expect(m.dagStatus).toBe(2);
    expect((m.endTime ?? 0) - (m.startTime ?? 0)).toBeCloseTo(m.duration ?? 0, 2);
  });
});
