/**
 * `vmdag status RUN [--watch]`: a run's DAG, node and VM states and progress (src/usecases/status.ts), as
 * text or JSON; with --watch a live view on a terminal, line-oriented blocks when piped.
 */
import type { RunStatus } from '../model/run.js';
import { watchFrame } from '../status/watch-view.js';
import { resolveStatusOptions, runStatus, type StatusEvent } from '../usecases/status.js';
import { printFailure } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

export function statusJson(s: RunStatus): object {
  return {
    dagmanJobId: s.dagmanJobId,
    state: s.state,
    ...(s.site !== undefined ? { site: s.site } : {}),
    ...(s.refusedBy ? { refusedBy: s.refusedBy } : {}),
    cause: s.cause ?? null,
    progress: s.progress,
    nodes: s.nodes,
    vms: s.vms,
    leftoverGuests: s.leftoverGuests ?? [],
    ...(s.attempts ? { attempts: s.attempts } : {}),
  };
}

export function statusText(name: string, s: RunStatus): string {
  const p = s.progress;
  const lines = [
    `run ${s.dagmanJobId} (${name}): ${s.state}  nodes ${p.nodesDone}/${p.nodesTotal} done` +
      (p.vmsTotal ? `  VMs ${p.vmsRunning}/${p.vmsTotal} running` : ''),
  ];
  if (s.cause) lines.push(`  cause: ${s.cause}`);
  if (s.attempts && s.attempts.length > 1)
    for (const [i, a] of s.attempts.entries())
      lines.push(
        `  attempt ${i + 1}: DAGMan job ${a.dagmanJobId} submitted ${a.submittedAt}` +
          (a.ended
            ? `, ${a.ended.state}${a.ended.at ? ` ${a.ended.at}` : ''}`
            : i === s.attempts.length - 1
              ? `, ${s.state}`
              : '') +
          (a.rescue
            ? ` (from ${a.rescue}${a.skipped?.length ? `; not run again: ${a.skipped.join(', ')}` : ''})`
            : ''),
      );
  for (const r of s.refusedBy ?? [])
    lines.push(`  at ${s.site ?? '?'} after ${r.site} refused it: ${r.error}`);
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

/**
 * How a watch is shown: a live view redrawn on a terminal, else one line-oriented block on stderr per
 * change; nothing with --json (its one document comes at the end).
 */
export function watchPrinter(out: Output, json: boolean): (e: StatusEvent) => void {
  let last = '';
  return (e) => {
    if (e.kind === 'no-answer') {
      out.err(`vmdag: no answer from HTCondor (${e.message.split('\n')[0]}); still watching\n`);
    } else if (out.live && !json) {
      out.live.frame(watchFrame(e.name, e.status, e.elapsedSeconds));
    } else {
      const text = statusText(e.name, e.status);
      if (text !== last && !json) out.err(text);
      last = text;
    }
  };
}

export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'show a run: DAG, node and VM states, progress (--watch follows it to its end)',
  configure(cmd) {
    cmd
      .argument('<run>', 'run directory, DAGMan job id, or SITE:ID (job ID at a catalog site)')
      .option('-w, --watch', 'follow the run until it ends; exit with its result')
      .option('--interval <seconds>', 'seconds between polls with --watch', '2')
      .option(
        '--sites <file>',
        'site catalog for SITE:ID (default: $VMDAG_SITES, else ./sites.yaml when present)',
      );
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    const watch = Boolean(opts.watch);
    const r = await runStatus(
      await io.condor(),
      resolveStatusOptions(
        {
          watch,
          ...(args[0] !== undefined ? { run: args[0] } : {}),
          ...(typeof opts.sites === 'string' ? { sites: opts.sites } : {}),
          ...(typeof opts.interval === 'string' ? { interval: opts.interval } : {}),
        },
        io,
      ),
      watchPrinter(out, json),
    );
    if (!r.ok) return printFailure(r, out, json);
    if (!watch) {
      out.out(json ? `${JSON.stringify(statusJson(r.status))}\n` : statusText(r.name, r.status));
      return ExitCode.ok;
    }
    out.live?.done();
    if (json) out.out(`${JSON.stringify(statusJson(r.status))}\n`);
    return exitCodeOf(r.status);
  },
};
