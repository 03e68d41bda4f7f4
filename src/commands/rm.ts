/** `vmdag rm RUN`: remove a run and wait until none of its jobs is left (src/usecases/rm.ts). */
import { resolveRmOptions, rmRun } from '../usecases/rm.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode } from './types.js';

export const rmCommand: CommandSpec = {
  name: 'rm',
  summary: 'remove a run and wait until none of its jobs (VMs included) is left',
  configure(cmd) {
    cmd
      .argument('<run>', 'run directory, DAGMan job id, or SITE:ID (job ID at a catalog site)')
      .option('--timeout <seconds>', 'how long to wait for the run to be gone', '300')
      .option(
        '--sites <file>',
        'site catalog for SITE:ID (default: $VMDAG_SITES, else ./sites.yaml when present)',
      );
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    const r = await rmRun(
      await io.condor(),
      resolveRmOptions(
        {
          ...(args[0] !== undefined ? { run: args[0] } : {}),
          ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
          ...(typeof opts.timeout === 'string' ? { timeout: opts.timeout } : {}),
        },
        io,
      ),
    );
    if (!r.ok) return printFailure(r, out, json);
    const { dagmanJobId, state, seconds, vmsLeft } = r;
    if (json) out.out(`${JSON.stringify({ ok: true, dagmanJobId, state, seconds, vmsLeft })}\n`);
    else out.err(`run ${dagmanJobId} removed: no job of it is left (${seconds} s); state ${state}\n`);
    return ExitCode.ok;
  },
};
