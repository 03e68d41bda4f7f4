/**
 * `vmdag restart RUN`: a failed or removed run goes on from DAGMan's rescue file; steps that succeeded do not
 * run again, the VMs are booted afresh (src/usecases/restart.ts). `--json` → {ok, dagmanJobId, attempt, …}.
 */
import { type RestartFailure, resolveRestartOptions, restartRun } from '../usecases/restart.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

function printRestartFailure(r: RestartFailure, out: Output, json: boolean): number {
  if (r.kind !== 'changed') return printFailure(r, out, json);
  if (json) out.out(`${JSON.stringify({ ok: false, error: r.message, refused: r.refused })}\n`);
  else out.err(`vmdag: ${r.message}\n`);
  return ExitCode.invalid;
}

export const restartCommand: CommandSpec = {
  name: 'restart',
  summary: 'go on with a failed or removed run from its rescue file: what succeeded is not run again',
  configure(cmd) {
    cmd
      .argument('<run>', 'run directory (or DAGMan job id) of a run that failed or was removed')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)');
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    const r = await restartRun(
      await io.condor(),
      resolveRestartOptions(
        {
          ...(args[0] !== undefined ? { run: args[0] } : {}),
          ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
        },
        io,
      ),
    );
    if (!r.ok) return printRestartFailure(r, out, json);
    if (json) {
      const { dagmanJobId, attempt, outDir, rescue, skipped, changed, written, adopted } = r;
      out.out(
        `${JSON.stringify({ ok: true, dagmanJobId, attempt, outDir, rescue, skipped, changed, written, adopted })}\n`,
      );
      return ExitCode.ok;
    }
    if (r.adopted)
      out.err(`an interrupted restart of ${r.outDir} had reached the schedd: DAGMan job ${r.dagmanJobId}\n`);
    for (const c of r.changed) out.err(`changed: step ${c.node}: ${c.changes.join('; ')}\n`);
    out.err(
      `restarted ${r.name} (attempt ${r.attempt}) as DAGMan job ${r.dagmanJobId} from ${r.rescue}; not run again: ${r.skipped.join(', ') || '(no step)'}; follow it with: vmdag status --watch ${r.outDir}\n`,
    );
    out.out(`${r.dagmanJobId}\n`);
    return ExitCode.ok;
  },
};
