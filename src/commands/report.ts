/** `vmdag report DIR [--html FILE]`: the latency breakdown of a run (src/usecases/report.ts), as text or JSON. */
import type { AttemptReport } from '../report/attempts.js';
import { latencyJson } from '../report/latency.js';
import { fmtSeconds, latencyText, phasesOf } from '../report/render-text.js';
import { reportRun, resolveReportOptions } from '../usecases/report.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode } from './types.js';

/** One attempt of a restarted run in report's JSON: its DAGMan job, how it ended, its phases. */
function attemptJson(a: AttemptReport): object {
  const j = latencyJson(a.report) as { timestamps: object };
  return {
    dagmanJobId: a.attempt.dagmanJobId,
    ...(a.attempt.rescue ? { rescue: a.attempt.rescue } : {}),
    ...(a.attempt.skipped ? { skipped: a.attempt.skipped } : {}),
    state: a.report.state,
    outcome: a.report.outcome,
    timestamps: j.timestamps,
    phases: a.report.phases,
  };
}

/** Each attempt of a restarted run: one line with its phases (seconds). */
export function attemptsText(attempts: AttemptReport[]): string {
  const lines = ['', "attempts (the report above is the last one's):"];
  for (const [i, a] of attempts.entries()) {
    const r = a.report;
    const phases = phasesOf(r)
      .map((p) => `${p} ${fmtSeconds(r.phases[p])}`)
      .join(', ');
    const from = a.attempt.rescue
      ? ` from ${a.attempt.rescue}${a.attempt.skipped?.length ? ` (not run again: ${a.attempt.skipped.join(', ')})` : ''}`
      : '';
    lines.push(`  ${i + 1}. DAGMan job ${a.attempt.dagmanJobId}${from}: ${r.outcome ?? r.state}; ${phases}`);
  }
  return `${lines.join('\n')}\n`;
}

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: 'latency breakdown of a run (scheduling, VM boot, compute, teardown) from HTCondor’s records',
  configure(cmd) {
    cmd
      .argument('<dir>', 'a submitted run directory')
      .option('--html <file>', 'also write a self-contained HTML page with the timeline to FILE');
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    const r = await reportRun(
      await io.condor(),
      resolveReportOptions(
        {
          ...(args[0] !== undefined ? { dir: args[0] } : {}),
          ...(typeof opts.html === 'string' ? { html: opts.html } : {}),
        },
        io,
      ),
    );
    if (!r.ok) return printFailure(r, out, json);
    if (r.html !== undefined) out.err(`wrote ${r.html}\n`);
    const t = r.travel;
    if (json)
      out.out(
        `${JSON.stringify({ ...latencyJson(r.report), ...(t ? { travel: t } : {}), ...(r.attempts ? { attempts: r.attempts.map(attemptJson) } : {}) })}\n`,
      );
    else {
      out.out(latencyText(r.report));
      if (r.attempts) out.out(attemptsText(r.attempts));
      if (t) {
        const mb = (t.bytes / 1e6).toFixed(1);
        out.out(
          `travel: sent to ${t.site} with the DAGMan job: the run directory and ${t.files} file(s) of ${mb} MB in ${t.seconds.toFixed(1)} s (condor_submit -spool)${t.fetchedAt ? `; results fetched ${t.fetchedAt}` : ''}\n`,
        );
      }
    }
    return ExitCode.ok;
  },
};
