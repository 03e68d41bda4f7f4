/** `vmdag report DIR [--html FILE]`: the latency breakdown of a run (src/usecases/report.ts), as text or JSON. */
import { latencyJson } from '../report/latency.js';
import { latencyText } from '../report/render-text.js';
import { reportRun, resolveReportOptions } from '../usecases/report.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode } from './types.js';

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
    if (json) out.out(`${JSON.stringify({ ...latencyJson(r.report), ...(t ? { travel: t } : {}) })}\n`);
    else {
      out.out(latencyText(r.report));
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
