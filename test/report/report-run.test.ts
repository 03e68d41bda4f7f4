/** `vmdag report` of a run submitted to the real lab pool, reported from its own records. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { capture } from '../capture-output.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';

const ctx = await labContext();
/** Run directories this file submitted: removed at its end whatever happened (a run that failed or timed out
 * would otherwise stay in the shared pool's queue). */
const submitted: string[] = [];
afterAll(async () => {
  for (const dir of submitted) {
    if (!existsSync(join(dir, 'run.json'))) continue;
    const o = capture();
    const code = await main(['rm', dir, '--json'], o);
    if (code !== 0) throw new Error(`vmdag rm ${dir}: exit ${code}\n${o.stdout}${o.stderr}`);
  }
}, 180_000);

requireOrSkip(ctx, NO_LAB).describe('vmdag report on a run of the lab pool', () => {
  it('reports a finished native run whose phases add up and match its event logs', async () => {
    const src = mkdtempSync(join(tmpdir(), 'vmdag-report-src-'));
    // The lab's submitting user reads the inputs from here (mkdtemp makes it 0700).
    chmodSync(src, 0o755);
    mkdirSync(join(src, 'bin'));
    writeFileSync(join(src, 'bin', 'step.sh'), '#!/bin/sh\necho "step $1"\nsleep 2\n', { mode: 0o755 });
    writeFileSync(
      join(src, 'workflow.yaml'),
      'version: 1\nname: rep\ncompute:\n  - name: one\n    cpus: 1\n    executable: bin/step.sh\n    arguments: ["one"]\n    mpi: none\n',
    );
    const dir = join(mkdtempSync(join(tmpdir(), 'vmdag-report-run-')), 'run');
    expect(await main(['compile', join(src, 'workflow.yaml'), '-o', dir], capture())).toBe(0);
    submitted.push(dir);
    expect(await main(['submit', dir], capture())).toBe(0);
    // Poll status (not --watch: one busy-schedd answer, "Failed to fetch ads", would end the watch with 3).
    let state = '';
    for (let i = 0; i < 300 && !/^(succeeded|failed|removed)$/.test(state); i++) {
      await new Promise((res) => setTimeout(res, 1000));
      const s = capture();
      if ((await main(['status', dir, '--json'], s)) === 0)
        state = (JSON.parse(s.stdout) as { state: string }).state;
    }
    expect(state).toBe('succeeded');

    const o = capture();
    const html = join(dir, 'report.html');
    expect(await main(['report', dir, '--json', '--html', html], o), o.stdout + o.stderr).toBe(0);
    const j = JSON.parse(o.stdout) as {
      state: string;
      timestamps: Record<string, string | null>;
      phases: Record<string, number | null>;
    };
    expect(j.state).toBe('finished');
    const p = j.phases;
    expect((p.scheduling ?? 0) + (p.compute ?? 0) + (p.wrapUp ?? 0)).toBeCloseTo(p.total ?? Number.NaN, 3);
    // the raw event-log headers (the lab writes local time = UTC, no zone)
    // (the nodes log also holds the SERVICE node REAP's events: its cluster, from the jobstate log, is left out)
    const reap = /^\d+ REAP SUBMIT (\d+)\./m.exec(readFileSync(join(dir, 'rep.jobstate.log'), 'utf8'))?.[1];
    expect(reap, 'REAP in the jobstate log').toBeDefined();
    const hdr = (file: string, code: string) =>
      [
        ...readFileSync(join(dir, file), 'utf8').matchAll(
          new RegExp(`^${code} \\((\\d+)\\.\\d+\\.\\d+\\) (\\S+) (\\S+)`, 'gm'),
        ),
      ]
        .filter((m) => m[1] !== reap)
        .map((m) => Date.parse(`${m[2]}T${m[3]}Z`));
    const near = (iso: string | null | undefined, ms: number | undefined) =>
      expect(Math.abs(Date.parse(iso ?? '') - (ms ?? Number.NaN))).toBeLessThanOrEqual(1000);
    near(j.timestamps.submitted, hdr('rep.dag.dagman.log', '000')[0]);
    near(j.timestamps.finished, hdr('rep.dag.dagman.log', '005').at(-1));
    near(j.timestamps.computeStarted, hdr('rep.dag.nodes.log', '001')[0]);
    near(j.timestamps.computeEnded, hdr('rep.dag.nodes.log', '005').at(-1));
    expect(XMLValidator.validate(readFileSync(html, 'utf8'))).toBe(true);
  }, 600_000);
});
