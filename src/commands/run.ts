/**
 * `vmdag run FILE|DIR`: the main job in one command — compile if needed and submit (src/usecases/submit.ts),
 * follow the run live as `status --watch` does (src/usecases/status.ts), then print its latency report
 * (src/usecases/report.ts); the exit code is the run's result (0 succeeded, 1 failed or removed).
 *
 * Ctrl-C while it follows the run: remove the run (src/usecases/rm.ts, which returns once no job of it — VMs
 * included — is left) or leave it running. `--on-interrupt rm|leave` decides for scripts; on a terminal the
 * person is asked; otherwise the run is removed, so that nothing is left behind unasked. A run left running
 * ends `run` with 130 (the shell's code for an interrupted command) and the command that follows it.
 * `--lab` brings the lab pool up first (`vmdag lab up`: root, Debian), so that on a fresh machine the first
 * run is one line.
 */
import { LabError, labUp } from '../lab/index.js';
import { latencyJson } from '../report/latency.js';
import { latencyText } from '../report/render-text.js';
import { reportRun, resolveReportOptions } from '../usecases/report.js';
import { resolveRmOptions, rmRun } from '../usecases/rm.js';
import { resolveStatusOptions, runStatus } from '../usecases/status.js';
import { resolveSubmitOptions, submitRun } from '../usecases/submit.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { exitCodeOf, statusJson, watchPrinter } from './status.js';
import { printSubmitFailure, sayEvent, submitFlags } from './submit.js';
import { ExitCode } from './types.js';

const ON_INTERRUPT = ['rm', 'leave'] as const;
type OnInterrupt = (typeof ON_INTERRUPT)[number];
/** Exit code of a run left running after Ctrl-C. */
const INTERRUPTED = 130;

export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'compile if needed, submit, follow the run live, then print its report; exits with its result',
  configure(cmd) {
    cmd
      .argument('<target>', 'workflow file, or a compiled run directory')
      .option('-o, --output <dir>', 'run directory when compiling (default: ./<name>.run)')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)')
      .option('--html <file>', 'also write the report as a self-contained HTML page to FILE')
      .option('--interval <seconds>', 'seconds between polls while following the run', '2')
      .option('--on-interrupt <action>', 'on Ctrl-C: rm (remove the run) or leave (keep it running)')
      .option('--lab', 'bring the lab pool on this machine up first (vmdag lab up; root, Debian)');
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    const onInterrupt = opts.onInterrupt as string | undefined;
    if (onInterrupt !== undefined && !(ON_INTERRUPT as readonly string[]).includes(onInterrupt)) {
      out.err(`vmdag run: --on-interrupt must be rm or leave (got ${JSON.stringify(onInterrupt)})\n`);
      return ExitCode.usage;
    }
    if (opts.lab) {
      try {
        await labUp({}, (line) => out.err(`${line}\n`));
      } catch (e) {
        out.err(`vmdag run --lab: ${(e as Error).message}\n`);
        return e instanceof LabError ? e.code : ExitCode.condor;
      }
    }
    const ctx = await io.condor();
    const sub = await submitRun(ctx, resolveSubmitOptions(submitFlags(args, opts), io), (e) =>
      sayEvent(e, out),
    );
    if (!sub.ok) return printSubmitFailure(sub, out, json);
    out.err(`submitted ${sub.name} as DAGMan job ${sub.dagmanJobId} (site ${sub.site}): ${sub.outDir}\n`);

    const interrupts = io.interrupts?.();
    const watched = await runStatus(
      ctx,
      resolveStatusOptions(
        {
          watch: true,
          run: sub.outDir,
          ...(typeof opts.interval === 'string' ? { interval: opts.interval } : {}),
        },
        io,
        interrupts?.signal,
      ),
      watchPrinter(out, json),
    );
    interrupts?.stop();
    out.live?.done();
    if (!watched.ok) return printFailure(watched, out, json);
    const base = { dagmanJobId: sub.dagmanJobId, outDir: sub.outDir, site: sub.site };

    if (watched.interrupted) {
      const action: OnInterrupt =
        (onInterrupt as OnInterrupt | undefined) ??
        (io.ask
          ? /^l/i.test(
              await io.ask(`\nvmdag run: remove run ${sub.dagmanJobId} (r) or leave it running (l)? [r/l] `),
            )
            ? 'leave'
            : 'rm'
          : 'rm');
      if (action === 'leave') {
        if (json) out.out(`${JSON.stringify({ ok: true, ...base, interrupted: 'leave' })}\n`);
        else
          out.err(
            `run ${sub.dagmanJobId} left running; follow it with: vmdag status --watch ${sub.outDir}\n`,
          );
        return INTERRUPTED;
      }
      out.err(`removing run ${sub.dagmanJobId} …\n`);
      const rm = await rmRun(ctx, resolveRmOptions({ run: sub.outDir }, io));
      if (!rm.ok) return printFailure(rm, out, json);
      if (json)
        out.out(
          `${JSON.stringify({ ok: true, ...base, interrupted: 'rm', state: rm.state, vmsLeft: rm.vmsLeft })}\n`,
        );
      else
        out.err(`run ${rm.dagmanJobId} removed: no job of it is left (${rm.seconds} s); state ${rm.state}\n`);
      return ExitCode.invalid;
    }

    const rep = await reportRun(
      ctx,
      resolveReportOptions(
        { dir: sub.outDir, ...(typeof opts.html === 'string' ? { html: opts.html } : {}) },
        io,
      ),
    );
    if (!rep.ok) out.err(`vmdag run: no report: ${rep.message}\n`);
    else if (rep.html !== undefined) out.err(`wrote ${rep.html}\n`);
    if (json) {
      const report = rep.ok ? latencyJson(rep.report) : null;
      out.out(`${JSON.stringify({ ok: true, ...base, status: statusJson(watched.status), report })}\n`);
    } else if (rep.ok) out.out(latencyText(rep.report));
    return exitCodeOf(watched.status);
  },
};
