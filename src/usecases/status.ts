/**
 * `status`: where a run stands (DAG, nodes, VMs, progress) — once, or followed poll by poll until it ends.
 * A watch outlives a schedd that stops answering for a while (restart, overload): it reports that and keeps
 * polling, and gives up only after WATCH_PATIENCE_MS without an answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { adNumber } from '../condor/classads.js';
import { CondorCommandError, type CondorContext, CondorUnavailableError } from '../condor/exec.js';
import { type LoadedSites, loadSites } from '../load-workflow.js';
import type { RunStatus } from '../model/run.js';
import { gatherStatus } from '../status/gather-status.js';
import { type Failure, siteFailureOf } from './failure.js';
import { fetchIfEnded } from './fetch-run.js';
import { findRun } from './find-run.js';

const FINAL_STATES = new Set(['succeeded', 'failed', 'removed']);
/** How long a watch keeps polling a schedd that does not answer before it gives up (a `condor` failure). */
const WATCH_PATIENCE_MS = 180_000;

/** What `status` may be given (flags); every field optional. */
export interface StatusFlags {
  /** Run directory or DAGMan job id. Default '' (a usage failure: neither). */
  run?: string;
  /** Follow the run until it ends (`--watch`). Default false. */
  watch?: boolean;
  /** Seconds between the polls of a watch (`--interval`). Default 2; at least 0.5. */
  interval?: string | number;
  /** Site catalog for a run named `SITE:ID` (`--sites`). Default `$VMDAG_SITES`, else ./sites.yaml. */
  sites?: string;
}

/** The options of runStatus, every one resolved. */
export interface StatusOptions {
  run: string;
  /** The folder a relative run directory is taken from. */
  cwd: string;
  watch: boolean;
  /** Milliseconds between polls of a watch. */
  intervalMs: number;
  /** Ends a watch early (its result then has `interrupted`); default none. */
  signal?: AbortSignal;
  /** Reads the site catalog, for a run named `SITE:ID`. */
  sites?: () => LoadedSites;
}

/** The one place status's options get their defaults. */
export function resolveStatusOptions(
  f: StatusFlags,
  io: { cwd: string; env?: Record<string, string | undefined> },
  signal?: AbortSignal,
): StatusOptions {
  return {
    sites: () => loadSites(f.sites, { cwd: io.cwd, env: io.env ?? {} }),
    run: f.run ?? '',
    cwd: io.cwd,
    watch: f.watch ?? false,
    intervalMs: Math.max(0.5, Number(f.interval ?? 2)) * 1000,
    ...(signal ? { signal } : {}),
  };
}

/** What a watch reports as it goes. */
export type StatusEvent =
  /** A poll's answer for the run `name`; `elapsedSeconds` since DAGMan's QDate, when known. */
  | { kind: 'update'; name: string; status: RunStatus; elapsedSeconds?: number }
  /** HTCondor did not answer this poll; the watch goes on. */
  | { kind: 'no-answer'; message: string };

export interface StatusResult {
  ok: true;
  /** The run's name (its DAG's). */
  name: string;
  /** The status of the last poll: a final state after a watch, unless it was interrupted. */
  status: RunStatus;
  /** The watch was ended by `signal` before the run ended. */
  interrupted?: boolean;
}

/** Waits `ms`, or less when `signal` fires: true when it fired. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
    return false;
  } catch (e) {
    if ((e as Error).name === 'AbortError') return true;
    throw e;
  }
}

export async function runStatus(
  ctx: CondorContext,
  opts: StatusOptions,
  onEvent: (e: StatusEvent) => void = () => {},
): Promise<StatusResult | Failure> {
  const run = await findRun(ctx, opts.run, opts.cwd, opts.sites);
  if (!run.ok) return run;
  let failingSince: number | undefined;
  try {
    for (;;) {
      let gathered: Awaited<ReturnType<typeof gatherStatus>>;
      try {
        const place = await fetchIfEnded(ctx, run.layout.dir, run.record, run.target);
        gathered = await gatherStatus(ctx, run.layout, run.record.dagmanJobId, run.target, place);
        // DAGMan may have completed at the site between the two looks: fetch now, then look again.
        if (place.atSite && FINAL_STATES.has(gathered.status.state)) {
          const again = await fetchIfEnded(ctx, run.layout.dir, run.record, run.target);
          if (!again.atSite)
            gathered = await gatherStatus(ctx, run.layout, run.record.dagmanJobId, run.target, again);
        }
        failingSince = undefined;
      } catch (e) {
        const condor = e instanceof CondorCommandError || e instanceof CondorUnavailableError;
        if (!opts.watch || !condor) throw e;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > WATCH_PATIENCE_MS) throw e;
        onEvent({ kind: 'no-answer', message: (e as Error).message });
        await sleep(opts.intervalMs);
        continue;
      }
      const { status, inputs } = gathered;
      status.site = run.record.site;
      if (run.record.refusedBy) status.refusedBy = run.record.refusedBy;
      if (run.record.attempts && run.record.attempts.length > 1) status.attempts = run.record.attempts;
      if (!opts.watch) return { ok: true, name: run.layout.name, status };
      const qdate = inputs.dagman ? adNumber(inputs.dagman, 'QDate') : undefined;
      onEvent({
        kind: 'update',
        name: run.layout.name,
        status,
        ...(qdate === undefined ? {} : { elapsedSeconds: Date.now() / 1000 - qdate }),
      });
      if (FINAL_STATES.has(status.state)) return { ok: true, name: run.layout.name, status };
      if (await pause(opts.intervalMs, opts.signal)) {
        return { ok: true, name: run.layout.name, status, interrupted: true };
      }
    }
  } catch (e) {
    return siteFailureOf(e, run.record, 'its state is not known here');
  }
}
