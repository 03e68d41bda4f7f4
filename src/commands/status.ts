import { setTimeout as sleep } from 'node:timers/promises';
import { adNumber } from '../condor/classads.js';
import { CondorCommandError, CondorUnavailableError } from '../condor/exec.js';
import type { RunStatus } from '../model/run.js';
import { gatherStatus } from '../status/gather-status.js';
import { watchFrame } from '../status/watch-view.js';
import { reportError, resolveRun } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode } from './types.js';

const FINAL_STATES = new Set(['succeeded', 'failed', 'removed']);
/** How long `status --watch` keeps polling a schedd that does not answer before it gives up (exit 3). */
const WATCH_PATIENCE_MS = 180_000;

export function statusJson(s: RunStatus): object {
  return {
    dagmanJobId: s.dagmanJobId,
    state: s.state,
    cause: s.cause ?? null,
    progress: s.progress,
    nodes: s.nodes,
    vms: s.vms,
    leftoverGuests: s.leftoverGuests ?? [],
  };
}

export function statusText(name: string, s: RunStatus): string {
  const p = s.progress;
  const lines = [
    `run ${s.dagmanJobId} (${name}): ${s.state}  nodes ${p.nodesDone}/${p.nodesTotal} done` +
      (p.vmsTotal ? `  VMs ${p.vmsRunning}/${p.vmsTotal} running` : ''),
  ];
  if (s.cause) lines.push(`  cause: ${s.cause}`);
  for (const n of s.nodes)
    lines.push(
      `  node ${n.name.padEnd(16)} ${n.kind.padEnd(8)} ${n.state.padEnd(11)} ${n.jobId ?? '-'}${n.cause ? `  ${n.cause}` : ''}`,
    );
  for (const v of s.vms)
    lines.push(
      `  vm   ${String(v.index).padEnd(16)} ${(v.jobId ?? '-').padEnd(8)} ${v.state.padEnd(11)} ${v.host ?? '-'}`,
    );
  for (const g of s.leftoverGuests ?? [])
    lines.push(
      `  leftover guest ${g.name} (${g.state}): its VM has ended but its ad is still in the collector, and the schedd may still hold its claim (docs/reliability.md)`,
    );
  return `${lines.join('\n')}\n`;
}

/** The exit code a finished run stands for. */
export function exitCodeOf(s: RunStatus): number {
  return s.state === 'succeeded' ? ExitCode.ok : ExitCode.invalid;
}

export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'show a run: DAG, node and VM states, progress (--watch follows it to its end)',
  configure(cmd) {
    cmd
      .argument('<run>', 'run directory or DAGMan job id')
      .option('-w, --watch', 'follow the run until it ends; exit with its result')
      .option('--interval <seconds>', 'seconds between polls with --watch', '2');
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    try {
      const ctx = await io.condor();
      const run = await resolveRun(ctx, args[0] ?? '');
      const interval = Math.max(0.5, Number(opts.interval ?? 2)) * 1000;
      let last = '';
      let failingSince: number | undefined;
      for (;;) {
        let gathered: Awaited<ReturnType<typeof gatherStatus>>;
        try {
          gathered = await gatherStatus(ctx, run.layout, run.record.dagmanJobId, run.target);
          failingSince = undefined;
        } catch (e) {
          // A watch outlives a schedd that stops answering for a while (restart, overload): it says so and
          // keeps polling; it gives up only after WATCH_PATIENCE_MS without an answer.
          const condor = e instanceof CondorCommandError || e instanceof CondorUnavailableError;
          if (!opts.watch || !condor) throw e;
          failingSince ??= Date.now();
          if (Date.now() - failingSince > WATCH_PATIENCE_MS) throw e;
          out.err(
            `vmdag: no answer from HTCondor (${(e as Error).message.split('\n')[0]}); still watching\n`,
          );
          await sleep(interval);
          continue;
        }
        const { status, inputs } = gathered;
        const done = FINAL_STATES.has(status.state);
        if (!opts.watch) {
          out.out(json ? `${JSON.stringify(statusJson(status))}\n` : statusText(run.layout.name, status));
          return ExitCode.ok;
        }
        const qdate = inputs.dagman ? adNumber(inputs.dagman, 'QDate') : undefined;
        const elapsed = qdate === undefined ? undefined : Date.now() / 1000 - qdate;
        if (out.live && !json) {
          out.live.frame(watchFrame(run.layout.name, status, elapsed));
        } else {
          // Piped: one line-oriented block per change, nothing redrawn.
          const text = statusText(run.layout.name, status);
          if (text !== last && !json) out.err(text);
          last = text;
        }
        if (done) {
          out.live?.done();
          if (json) out.out(`${JSON.stringify(statusJson(status))}\n`);
          return exitCodeOf(status);
        }
        await sleep(interval);
      }
    } catch (e) {
      return reportError(e, out, json);
    }
  },
};
