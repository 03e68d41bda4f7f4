/**
 * `vmdag submit FILE|DIR`: compile when given a workflow, then condor_submit_dag in the run directory and
 * record run.json (src/usecases/submit.ts). `--json` → {ok, dagmanJobId, outDir, site}.
 */
import {
  resolveSubmitOptions,
  type SubmitEvent,
  type SubmitFailure,
  type SubmitFlags,
  submitRun,
} from '../usecases/submit.js';
import { diagnosticsJson, formatDiagnosticsText } from './format-diagnostics.js';
import { planJson } from './plan.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

/** What happens to the image, and a site that refused the run, on stderr. */
export function sayEvent(e: SubmitEvent, out: Output): void {
  if (e.kind === 'image-not-staged') out.err(`image: ${e.path} ${e.reason}\n`);
  else if (e.kind === 'site-refused')
    out.err(`site ${e.site} refused the run: ${e.message}; trying the next fitting site\n`);
  else
    out.err(
      e.reused
        ? `image: ${e.path} already staged (sha256 ${e.sha256}, ${e.bytes} bytes): reused, nothing copied\n`
        : `image: ${e.source} staged once for this run as ${e.path} (${e.bytes} bytes, sha256 ${e.sha256}, ${(e.ms / 1000).toFixed(1)} s)\n`,
    );
}

/** The flags submit (and run) take: the target, -o and --sites. */
export function submitFlags(args: string[], opts: Record<string, unknown>): SubmitFlags {
  return {
    ...(args[0] !== undefined ? { target: args[0] } : {}),
    ...(typeof opts.output === 'string' ? { output: opts.output } : {}),
    ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
  };
}

/** A failed submit as text or JSON; the exit code. */
export function printSubmitFailure(r: SubmitFailure, out: Output, json: boolean): number {
  if (r.kind === 'site') {
    if (json) out.out(`${JSON.stringify(planJson(r.decision))}\n`);
    else out.err(`vmdag: ${r.message}\n`);
    return ExitCode.invalid;
  }
  if (r.kind === 'diagnostics') {
    if (json) out.out(`${JSON.stringify(diagnosticsJson(r.diagnostics))}\n`);
    else out.err(formatDiagnosticsText(r.diagnostics));
    return ExitCode.invalid;
  }
  return printFailure(r, out, json);
}

export const submitCommand: CommandSpec = {
  name: 'submit',
  summary: 'compile if needed and submit the DAG (condor_submit_dag); records run.json in the run directory',
  configure(cmd) {
    cmd
      .argument('<target>', 'workflow file, or a compiled run directory')
      .option('-o, --output <dir>', 'run directory when compiling (default: ./<name>.run)')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)');
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    const r = await submitRun(await io.condor(), resolveSubmitOptions(submitFlags(args, opts), io), (e) =>
      sayEvent(e, out),
    );
    if (!r.ok) return printSubmitFailure(r, out, json);
    if (r.adopted)
      out.err(`an interrupted submit of ${r.outDir} had reached the schedd: DAGMan job ${r.dagmanJobId}\n`);
    if (json)
      out.out(
        `${JSON.stringify({ ok: true, dagmanJobId: r.dagmanJobId, outDir: r.outDir, site: r.site })}\n`,
      );
    else {
      out.err(
        `submitted ${r.name} as DAGMan job ${r.dagmanJobId} (site ${r.site}); follow it with: vmdag status --watch ${r.outDir}\n`,
      );
      out.out(`${r.dagmanJobId}\n`);
    }
    return ExitCode.ok;
  },
};
