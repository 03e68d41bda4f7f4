/** DAGMan's own files, as DAGMan wrote them on the lab (fixtures/recorded/dag-mixed/COMMAND.txt). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  NodeStatusName,
  parseJobstateLog,
  parseMetrics,
  parseNodeStatusFile,
} from '../../src/condor/dag-files.js';
import { submittedCluster } from '../../src/condor/dag-run.js';

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
    expect(ev[0]).toMatchObject({ node: 'INTERNAL', event: 'DAGMAN_STARTED', detail: '227.0' });
    expect(ev.at(-1)).toMatchObject({ node: 'INTERNAL', event: 'DAGMAN_FINISHED', detail: '1' });
    expect(ev.find((e) => e.node === 'F' && e.event === 'JOB_FAILURE')?.detail).toBe('3');
    expect(ev.filter((e) => e.event === 'SUBMIT').map((e) => e.node)).toEqual(['A', 'F', 'B', 'P']);
  });

  it('metrics: times, exit code, DAGMan id and status (DagStatus spelling, as 23.9 wrote it too)', () => {
    const m = parseMetrics(rec('dag-mixed.dag.metrics'));
    expect(m.dagmanId).toBe(227);
    expect(m.exitcode).toBe(1);
    expect(m.dagStatus).toBe(2);
    expect((m.endTime ?? 0) - (m.startTime ?? 0)).toBeCloseTo(m.duration ?? 0, 2);
  });

  it('condor_submit_dag output: the DAGMan job id (submittedCluster), as the jobstate log names it', () => {
    for (const name of ['dag-mixed', 'dag-removed']) {
      const dir = `fixtures/recorded/${name}`;
      const id = submittedCluster(readFileSync(`${dir}/condor_submit_dag.out`, 'utf8'));
      const started = parseJobstateLog(readFileSync(`${dir}/${name}.dag.jobstate.log`, 'utf8'))[0];
      expect(started?.event).toBe('DAGMAN_STARTED');
      expect(`${id}.0`).toBe(started?.detail);
    }
    expect(submittedCluster('ERROR: submit failed\n')).toBeUndefined();
  });

  it('a DAG removed with condor_rm: DAGMan finished with the removal, the long node never succeeded', () => {
    const ev = parseJobstateLog(
      readFileSync('fixtures/recorded/dag-removed/dag-removed.dag.jobstate.log', 'utf8'),
    );
    expect(ev.find((e) => e.node === 'A' && e.event === 'JOB_SUCCESS')).toBeDefined();
    expect(ev.find((e) => e.node === 'L' && e.event === 'JOB_SUCCESS')).toBeUndefined();
    // Removed while A ran: L was never submitted; DAGMan ends with exit code 2 (removed).
    expect(ev.find((e) => e.node === 'L')).toBeUndefined();
    expect(ev.at(-1)).toMatchObject({ event: 'DAGMAN_FINISHED', detail: '2' });
    const m = parseMetrics(readFileSync('fixtures/recorded/dag-removed/dag-removed.dag.metrics', 'utf8'));
    expect(m.exitcode).toBe(2);
  });
});
