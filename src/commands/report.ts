import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { gatherReport } from '../report/gather-report.js';
import { latencyJson } from '../report/latency.js';
import { latencyHtml } from '../report/render-html.js';
import { latencyText } from '../report/render-text.js';
import { readLayout, readRunRecord } from '../status/run-dir.js';
import { reportError } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode } from './types.js';

/** Write FILE whole or not at all: a temp file beside it, then rename. */
function writeAtomically(file: string, text: string): void {
  const path = resolve(file);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
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
    const dir = args[0] ?? '';
    const fail = (message: string) => {
      if (json) out.out(`${JSON.stringify({ ok: false, error: message })}\n`);
      else out.err(`vmdag: ${message}\n`);
      return ExitCode.invalid;
    };
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return fail(`${dir}: not a directory`);
    if (!existsSync(join(dir, 'plan.json'))) return fail(`${dir}: not a vmdag run directory (no plan.json)`);
    const record = readRunRecord(dir);
    if (!record) return fail(`${dir}: this run directory was never submitted (no run.json)`);
    try {
      const layout = readLayout(dir);
      const ctx = await io.condor();
      const report = await gatherReport(ctx, layout, record.dagmanJobId, {
        pool: record.pool,
        schedd: record.schedd,
      });
      if (typeof opts.html === 'string') {
        writeAtomically(opts.html, latencyHtml(report));
        out.err(`wrote ${opts.html}\n`);
      }
      out.out(json ? `${JSON.stringify(latencyJson(report))}\n` : latencyText(report));
      return ExitCode.ok;
    } catch (e) {
      return reportError(e, out, json);
    }
  },
};
