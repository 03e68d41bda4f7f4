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
    out.out(json ? `${JSON.stringify(latencyJson(r.report))}\n` : latencyText(r.report));
    return ExitCode.ok;
  },
};
