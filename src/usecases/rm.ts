/**
 * `rm`: remove a run and wait until none of its jobs — VM jobs included — is left. DAGMan runs the FINAL
 * node, which stops the VMs; the schedd removes every job with this DAGManJobId. Jobs left once DAGMan itself
 * is gone are removed directly after 5 s; a job stuck in X state is forced out after 150 s (a VM removed in its first minute may take 60 s: the site kit's MachineMaxVacateTime).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { adNumber } from '../condor/classads.js';
import { queryQueue, removeRun } from '../condor/dag-run.js';
import type { CondorContext } from '../condor/exec.js';
import { type LoadedSites, loadSites } from '../load-workflow.js';
import type { RunState } from '../model/run.js';
import { gatherStatus } from '../status/gather-status.js';
import { type Failure, fail, siteFailureOf } from './failure.js';
import { fetchIfEnded } from './fetch-run.js';
import { findRun } from './find-run.js';

/** What `rm` may be given (flags); every field optional. */
export interface RmFlags {
  /** Run directory or DAGMan job id. Default '' (a usage failure: neither). */
  run?: string;
  /** Seconds to wait for the run to be gone (`--timeout`). Default 300. */
  timeout?: string | number;
  /** Site catalog for a run named `SITE:ID` (`--sites`). Default `$VMDAG_SITES`, else ./sites.yaml. */
  sites?: string;
}

/** The options of rmRun, every one resolved. */
export interface RmOptions {
  run: string;
  /** The folder a relative run directory is taken from. */
  cwd: string;
  timeoutSeconds: number;
  /** Reads the site catalog, for a run named `SITE:ID`. */
  sites?: () => LoadedSites;
}

/** The one place rm's options get their defaults. */
export function resolveRmOptions(
  f: RmFlags,
  io: { cwd: string; env?: Record<string, string | undefined> },
): RmOptions {
  return {
    run: f.run ?? '',
    cwd: io.cwd,
    timeoutSeconds: Number(f.timeout ?? 300),
    sites: () => loadSites(f.sites, { cwd: io.cwd, env: io.env ?? {} }),
  };
}

export interface RmResult {
  ok: true;
  dagmanJobId: number;
  /** The run's state once it is gone (normally `removed`). */
  state: RunState;
  /** Seconds from the removal to the last job gone. */
  seconds: number;
  /** VM jobs HTCondor still shows running, idle or held. */
  vmsLeft: number;
}

export async function rmRun(ctx: CondorContext, opts: RmOptions): Promise<RmResult | Failure> {
  const run = await findRun(ctx, opts.run, opts.cwd, opts.sites);
  if (!run.ok) return run;
  let removed = false;
  try {
    const id = run.record.dagmanJobId;
    const deadline = Date.now() + opts.timeoutSeconds * 1000;
    const started = Date.now();
    // A run at its site that has ended: its files first (a removed spooled job's folder goes with it).
    let place = await fetchIfEnded(ctx, run.layout.dir, run.record, run.target);
    await removeRun(ctx, id, { target: run.target });
    removed = true;
    let escalated = 0;
    for (;;) {
      const left = await queryQueue(ctx, id, run.target);
      if (left.length === 0) break;
      if (Date.now() > deadline) {
        const ids = left.map((ad) => `${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId')}`).join(' ');
        return fail('invalid', `run ${id} not gone after ${opts.timeoutSeconds} s: still queued ${ids}`);
      }
      const dagmanGone = !left.some((ad) => adNumber(ad, 'ClusterId') === id);
      const elapsed = Date.now() - started;
      if (dagmanGone && escalated === 0 && elapsed > 5_000) {
        await removeRun(ctx, id, { leftovers: true, target: run.target });
        escalated = 1;
      } else if (escalated === 1 && elapsed > 150_000) {
        await removeRun(ctx, id, { leftovers: true, force: true, target: run.target });
        escalated = 2;
      }
      await sleep(1000);
    }
    place = { ...place, atSite: false };
    const { status } = await gatherStatus(ctx, run.layout, id, run.target, place);
    const vmsLeft = status.vms.filter(
      (v) => v.state === 'running' || v.state === 'idle' || v.state === 'held',
    );
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    return { ok: true, dagmanJobId: id, state: status.state, seconds, vmsLeft: vmsLeft.length };
  } catch (e) {
    return siteFailureOf(
      e,
      run.record,
      removed
        ? 'the removal was asked, but whether the run is gone is not known here'
        : 'nothing was removed',
    );
  }
}
