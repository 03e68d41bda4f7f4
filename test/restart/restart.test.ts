/**
 * restart's pure parts: DAGMan's rescue files and the attempts' share of the logs (on the lab recording
 * fixtures/recorded/rescue-dag: a DAG whose F fails, then run again from its rescue file after F was fixed),
 * what changed per node between a run directory and its workflow recompiled, run.json's attempts, and what a
 * restart killed after it changed the run directory leaves for the next one (restarting.json).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderWorkflow } from '../../src/compile.js';
import {
  newestRescue,
  parseRescue,
  rescueName,
  rescueNumber,
  rescueWithout,
} from '../../src/condor/rescue-file.js';
import { RESTARTING, writeAttempt } from '../../src/emit/update-run-dir.js';
import { loadSites } from '../../src/load-workflow.js';
import type { RunRecord } from '../../src/model/run.js';
import { eventsOfClusters, jobstateForStatus, jobstateOfAttempt } from '../../src/report/attempt-slice.js';
import {
  attemptOf,
  attemptsOf,
  changesTaken,
  parseRestarting,
  type Restarting,
  withAttempt,
} from '../../src/restart/attempts.js';
import { nodeInputs, restartChanges } from '../../src/restart/node-changes.js';
import { refusalOfChanges, refusalOfState, withoutSteps } from '../../src/usecases/restart.js';

const REC = path.join(import.meta.dirname, '../../fixtures/recorded/rescue-dag');
const rec = (f: string) => readFileSync(path.join(REC, f), 'utf8');

describe('rescue files (recorded: rescue-dag)', () => {
  it('DONE lists the nodes that succeeded — never the SERVICE node S nor the FINAL node Z; the failed ones from the header', () => {
    const r = parseRescue(rec('rescue-dag.dag.rescue001'), 1);
    expect(r).toEqual({ number: 1, done: ['A', 'B'], failed: ['F'], byVmdag: false });
  });

  it('the newest rescue file of the DAG is the one AutoRescue runs', () => {
    const names = readdirSync(REC);
    expect(newestRescue(names, 'rescue-dag.dag')).toBe('rescue-dag.dag.rescue001');
    expect(
      newestRescue([...names, 'rescue-dag.dag.rescue012', 'other.dag.rescue099'], 'rescue-dag.dag'),
    ).toBe('rescue-dag.dag.rescue012');
    expect(newestRescue(['x.dag', 'x.dag.rescue1'], 'x.dag')).toBeUndefined();
    expect(rescueNumber('x.dag.rescue007', 'x.dag')).toBe(7);
    expect(rescueName('x.dag', 12)).toBe('x.dag.rescue012');
  });

  it("vmdag's rescue file drops DONE of the nodes that must run again, and says so on its first line", () => {
    const text = rescueWithout(rec('rescue-dag.dag.rescue001'), 'rescue-dag.dag.rescue001', ['A']);
    const r = parseRescue(text, 2);
    expect(r.done).toEqual(['B']);
    expect(r.failed).toEqual(['F']);
    expect(r.byVmdag).toBe(true);
    expect(text.split('\n')[0]).toMatch(/^# vmdag restart: rescue-dag.dag.rescue001 without DONE A/);
  });

  it('the second DAGMan (the rescue DAG) submitted only S, F and Z: what restart relies on', () => {
    const first = jobstateOfAttempt(rec('rescue-dag.dag.jobstate.log'), 139);
    const second = jobstateOfAttempt(rec('rescue-dag.dag.jobstate.log'), 146);
    const nodes = (t: string) =>
      t
        .split('\n')
        .filter((l) => l.split(' ')[2] === 'SUBMIT')
        .map((l) => l.split(' ')[1]);
    expect(nodes(first.text)).toEqual(['S', 'A', 'B', 'F', 'Z']);
    expect(nodes(second.text)).toEqual(['S', 'F', 'Z']);
    expect([...second.clusters]).toEqual([147, 148, 149]);
    // Attempt 1's part is the whole jobstate log recorded after it.
    expect(first.text).toBe(rec('attempt1.jobstate.log'));
  });

  it('status reads the latest DAGMan, and before it only the nodes it did not run again (A, B)', () => {
    const text = rec('rescue-dag.dag.jobstate.log');
    const kept = jobstateForStatus(text).split('\n').filter(Boolean);
    expect(kept.filter((l) => / (F|S|Z) /.test(l)).every((l) => Number(l.split(' ')[0]) >= 1796229454)).toBe(
      true,
    );
    expect(kept.filter((l) => / (A|B) /.test(l))).toHaveLength(8);
    expect(kept.filter((l) => l.includes('INTERNAL'))).toEqual([
      '1796229454 INTERNAL *** DAGMAN_STARTED 146.0 ***',
      '1796229480 INTERNAL *** DAGMAN_FINISHED 0 ***',
    ]);
    // One attempt: as it is.
    expect(jobstateForStatus(rec('attempt1.jobstate.log'))).toBe(rec('attempt1.jobstate.log'));
  });

  it("an attempt's part of the nodes log: only its clusters' events", () => {
    const log = rec('rescue-dag.dag.nodes.log');
    const { clusters } = jobstateOfAttempt(rec('rescue-dag.dag.jobstate.log'), 146);
    const mine = eventsOfClusters(log, clusters);
    const clustersIn = (t: string) => new Set([...t.matchAll(/^\d{3} \((\d+)\./gm)].map((m) => Number(m[1])));
    expect(clustersIn(mine)).toEqual(new Set([147, 148, 149]));
    expect(mine).toBe(log);
    // DAGMan truncates the nodes log when it starts a DAG (dagman.out: "MultiLogFiles: truncating log file"),
    // a rescue DAG too: the first attempt's events are gone from it (restart keeps a copy, report reads it).
    expect(eventsOfClusters(log, jobstateOfAttempt(rec('rescue-dag.dag.jobstate.log'), 139).clusters)).toBe(
      '',
    );
    expect(
      rec('rescue-dag.dag.dagman.out').match(/MultiLogFiles: truncating log file .*nodes\.log/g),
    ).toHaveLength(2);
  });
});

/** A three-step workflow a → b → c, each `bin/step.sh ARG` (a's and c's argument given). */
const workflow = (a: string, c: string, extra = '') =>
  `version: 1\nname: three\ncompute:\n${[
    ['a', a, ''],
    ['b', 'good', 'a'],
    ['c', c, 'b'],
  ]
    .map(
      ([n, arg, after]) =>
        `  - name: ${n}\n${after ? `    after: [${after}]\n` : ''}    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n    arguments: [${arg}]\n`,
    )
    .join('')}${extra}`;

function rendered(dir: string, text: string): Map<string, string> {
  writeFileSync(path.join(dir, 'workflow.yaml'), text);
  const io = { cwd: dir, env: {} };
  const r = renderWorkflow(path.join(dir, 'workflow.yaml'), loadSites(undefined, io), {}, io);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return new Map(r.run.files.map((f) => [f.path, [...f.parts].join('')]));
}

describe('what changed per node', () => {
  it("the recorded DAG with F's submit file fixed: F's change is taken, A and B (DONE) unchanged", () => {
    const dag = rec('rescue-dag.dag');
    const r = restartChanges({
      wasDag: dag,
      nowDag: dag,
      wasFile: (p) => rec(p),
      nowFile: (p) => rec(p === 'f.sub' ? 'f.fixed.sub' : p),
      done: ['A', 'B'],
    });
    expect(r).toEqual({ refused: [], taken: [{ node: 'F', changes: ['submit file f.sub changed'] }] });
  });

  const cases: [string, { a: string; c: string; refused: string[]; taken: string[]; says?: RegExp }][] = [
    ['nothing changed', { a: 'good', c: 'bad', refused: [], taken: [] }],
    [
      'the failed step c fixed: taken',
      { a: 'good', c: 'good', refused: [], taken: ['c'], says: /vmdag_args: ".*bad" → ".*good"/ },
    ],
    [
      'step a, which succeeded, changed: refused',
      { a: 'other', c: 'good', refused: ['a'], taken: ['c'], says: /vmdag_args: ".*good" → ".*other"/ },
    ],
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-restart-'));
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(path.join(dir, 'bin/step.sh'), '#!/bin/sh\n', { mode: 0o755 });
  const was = rendered(dir, workflow('good', 'bad'));
  for (const [name, want] of cases)
    it(name, () => {
      const now = rendered(dir, workflow(want.a, want.c));
      const r = restartChanges({
        wasDag: was.get('three.dag') ?? '',
        nowDag: now.get('three.dag') ?? '',
        wasFile: (p) => was.get(p),
        nowFile: (p) => now.get(p),
        done: ['a', 'b'],
      });
      expect(r.refused.map((x) => x.node)).toEqual(want.refused);
      expect(r.taken.map((x) => x.node)).toEqual(want.taken);
      if (want.says)
        expect([...r.refused, ...r.taken].flatMap((x) => x.changes).join('\n')).toMatch(want.says);
    });

  it('a step that succeeded with an input changed since it ran, a removed step, a new parent: refused', () => {
    const dag = was.get('three.dag') ?? '';
    const r = restartChanges({
      wasDag: dag,
      nowDag: dag.replace(/^JOB b .*$/m, '').replace(/^PARENT a CHILD b$/m, 'PARENT a CHILD c'),
      wasFile: (p) => was.get(p),
      nowFile: (p) => was.get(p),
      done: ['a', 'b'],
      changedInputs: (n) => (n === 'a' ? nodeInputs(dag, 'a') : []),
    });
    const a = r.refused.find((x) => x.node === 'a');
    expect(a?.changes).toEqual([expect.stringMatching(/^input .*step\.sh changed since it ran$/)]);
    expect(r.refused.find((x) => x.node === 'b')?.changes).toContain('no longer in the workflow');
    expect(r.taken.find((x) => x.node === 'c')?.changes.join()).toMatch(/runs after: b → a, b|runs after/);
    expect(refusalOfChanges(r.refused)).toMatch(/^step a already succeeded and changed: input /);
  });
});

describe('run.json attempts', () => {
  const first: RunRecord = { dagmanJobId: 139, site: 'local', submittedAt: '2026-12-02T16:36:53Z' };

  it('a run.json without attempts has one: its DAGMan job', () => {
    expect(attemptsOf(first)).toEqual([{ dagmanJobId: 139, submittedAt: '2026-12-02T16:36:53Z' }]);
  });

  it('a restart closes the attempt before with how it ended, and becomes the DAGMan job status, report, rm follow', () => {
    const next = {
      dagmanJobId: 146,
      submittedAt: '2026-12-02T16:37:34Z',
      rescue: 'x.dag.rescue001',
      skipped: ['A', 'B'],
    };
    const r = withAttempt(first, { state: 'failed', at: '2026-12-02T16:37:29Z' }, next);
    expect(r.dagmanJobId).toBe(146);
    expect(r.submittedAt).toBe(next.submittedAt);
    expect(r.attempts).toEqual([
      {
        dagmanJobId: 139,
        submittedAt: first.submittedAt,
        ended: { state: 'failed', at: '2026-12-02T16:37:29Z' },
      },
      next,
    ]);
    // The same DAG adopted twice (an interrupted restart run again): recorded once.
    expect(withAttempt(r, undefined, next)).toBe(r);
  });

  it("REAP's steps file loses the last steps that already succeeded (their events went with the truncated nodes log)", () => {
    const steps = '# generated by vmdag — do not edit\n# The last steps …\nleft\nright:post\nmerge\n';
    expect(withoutSteps(steps, ['left', 'right', 'prep'])).toBe(
      '# generated by vmdag — do not edit\n# The last steps …\nmerge\n',
    );
  });

  it('refuses a run that is running or succeeded, takes one that failed or was removed', () => {
    expect(refusalOfState('failed', 1)).toBeUndefined();
    expect(refusalOfState('removed', 1)).toBeUndefined();
    expect(refusalOfState('succeeded', 7)).toMatch(/succeeded \(DAGMan job 7\): nothing to restart/);
    expect(refusalOfState('running', 7)).toMatch(/still running \(DAGMan job 7, running\)/);
    expect(refusalOfState('booting', 7)).toMatch(/still running/);
  });
});

describe('a restart killed after it changed the run directory (restarting.json)', () => {
  const marker: Restarting = {
    attempt: 2,
    rescue: 'three.dag.rescue001',
    skipped: ['a', 'b'],
    changed: [{ node: 'c', changes: ['vmdag_args: "bad" → "good"'] }],
    ended: { state: 'failed', at: '2026-12-02T16:37:29.000Z' },
  };
  const text = `${JSON.stringify(marker)}\n`;

  it("is read for the same attempt only: another attempt's left-over marker, none or a broken one count as none", () => {
    expect(parseRestarting(text, 2)).toEqual(marker);
    expect(parseRestarting(text, 3)).toBeUndefined();
    expect(parseRestarting(undefined, 2)).toBeUndefined();
    expect(parseRestarting('{"attempt": 2, "resc', 2)).toBeUndefined();
  });

  it("its changes are the attempt's, before any found now; a node's change once", () => {
    expect(changesTaken(marker, [])).toEqual(marker.changed);
    expect(changesTaken(undefined, marker.changed)).toEqual(marker.changed);
    const more = [
      { node: 'c', changes: ['vmdag_args: "bad" → "good"', 'vmdag_cpus: "1" → "2"'] },
      { node: 'd', changes: ['new in the workflow'] },
    ];
    expect(changesTaken(marker, more)).toEqual([
      { node: 'c', changes: ['vmdag_args: "bad" → "good"', 'vmdag_cpus: "1" → "2"'] },
      { node: 'd', changes: ['new in the workflow'] },
    ]);
    expect(attemptOf(marker, 146, '2026-12-02T16:37:30Z')).toEqual({
      dagmanJobId: 146,
      submittedAt: '2026-12-02T16:37:30Z',
      rescue: marker.rescue,
      skipped: marker.skipped,
      changed: marker.changed,
    });
  });

  it('the marker is written before the run directory changes: a restart that dies writing the files has left it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-restarting-'));
    writeFileSync(path.join(dir, 'blocker'), '');
    // A file under a regular file cannot be written (ENOTDIR): the write stops there, as a kill would.
    expect(() => writeAttempt(dir, marker, [{ path: 'blocker/c.sub', text: 'x\n', mode: 0o644 }])).toThrow();
    expect(parseRestarting(readFileSync(path.join(dir, RESTARTING), 'utf8'), 2)).toEqual(marker);
  });

  it('run again after a killed restart wrote the fix of c: no change is left, the record still lists c', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'vmdag-restart-killed-'));
    mkdirSync(path.join(tmp, 'bin'));
    writeFileSync(path.join(tmp, 'bin/step.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const was = rendered(tmp, workflow('good', 'bad'));
    const now = rendered(tmp, workflow('good', 'good'));
    const run = path.join(tmp, 'three.run');
    mkdirSync(run);
    for (const [p, t] of was) writeFileSync(path.join(run, p), t);
    const diff = () =>
      restartChanges({
        wasDag: readFileSync(path.join(run, 'three.dag'), 'utf8'),
        nowDag: now.get('three.dag') ?? '',
        wasFile: (p) => (existsSync(path.join(run, p)) ? readFileSync(path.join(run, p), 'utf8') : undefined),
        nowFile: (p) => now.get(p),
        done: ['a', 'b'],
      });
    // The first restart: c's fix taken, its marker and the changed files written; then it is killed.
    const first = diff();
    expect(first.taken.map((c) => c.node)).toEqual(['c']);
    const files = [...now].map(([p, t]) => ({ path: p, text: t, mode: 0o644 }));
    const killed: Restarting = {
      attempt: 2,
      rescue: 'three.dag.rescue001',
      skipped: ['a', 'b'],
      changed: first.taken,
    };
    expect(writeAttempt(run, killed, files)).toContain('three.dag');
    // The next one: the run directory is the workflow already; the marker holds what the attempt changed.
    const second = diff();
    expect(second).toEqual({ refused: [], taken: [] });
    const found = parseRestarting(readFileSync(path.join(run, RESTARTING), 'utf8'), 2);
    expect(changesTaken(found, second.taken)).toEqual(first.taken);
  });
});
