/**
 * DAG runs on a schedd: submit with condor_submit_dag, query the run's jobs (one condor_q, and one
 * condor_history once the DAGMan job has left the queue), remove it.
 */
import { type ClassAd, parseAdsJson } from './classads.js';
import { CondorCommandError, type CondorContext, isTransient, runCondor } from './exec.js';

/** Where a run's DAG was sent: nothing for the local schedd, else the pool and schedd names. */
export interface Target {
  pool?: string;
  schedd?: string;
  /** The schedd's sinful string: condor_q/condor_rm reach it with `-addr` (works whatever its Name). */
  address?: string;
  /** Files naming the schedd for condor_submit_dag and DAGMan (`-schedd-address-file`, `-schedd-daemon-ad-file`). */
  addressFile?: string;
  adFile?: string;
  /** A folder of IDTOKENS for this schedd's organisation (the catalog's `tokens`): its commands run with
   * `_CONDOR_SEC_TOKEN_DIRECTORY` set to it. */
  tokens?: string;
}

/** The context for commands to `t`'s schedd: with its organisation's tokens when the catalog names them. */
export function targetContext(ctx: CondorContext, t: Target = {}): CondorContext {
  return t.tokens ? { ...ctx, env: { ...ctx.env, _CONDOR_SEC_TOKEN_DIRECTORY: t.tokens } } : ctx;
}

function targetArgs(t: Target, nameFlag = '-name'): string[] {
  const who = t.address && nameFlag === '-name' ? ['-addr', t.address] : t.schedd ? [nameFlag, t.schedd] : [];
  return [...(t.pool ? ['-pool', t.pool] : []), ...who];
}

/**
 * condor_history has no `-addr`, and `-name` takes a Name without `@` for a host name (a bare `vmdag-lab`
 * fails with "unknown host"): such a schedd's history is read locally (same machine, as in the lab).
 */
function historyTargetArgs(t: Target): string[] {
  if (!t.schedd || !/[@.]/.test(t.schedd)) return [];
  return [...(t.pool ? ['-pool', t.pool] : []), '-name', t.schedd];
}

/**
 * The schedd of another pool as its collector knows it: the ad (`-long`, the format of SCHEDD_DAEMON_AD_FILE)
 * and its address (ScheddIpAddr), for submitting there with condor_submit_dag.
 */
export async function locateSchedd(
  ctx: CondorContext,
  target: { pool: string; schedd: string },
): Promise<{ address: string; ad: string }> {
  const name = target.schedd.replace(/["\\]/g, '');
  const r = await runCondor(ctx, 'condor_status', [
    '-pool',
    target.pool,
    '-schedd',
    '-long',
    '-constraint',
    `Name == "${name}"`,
  ]);
  const m = /^ScheddIpAddr\s*=\s*"([^"]+)"/m.exec(r.stdout);
  if (!m?.[1])
    throw new CondorCommandError({
      ...r,
      exitCode: 1,
      stderr: `no schedd ${target.schedd} in ${target.pool}`,
    });
  return { address: m[1], ad: r.stdout };
}

const SUBMITTED = /(\d+) job\(s\) submitted to cluster (\d+)\./;

/** The cluster condor_submit or condor_submit_dag names on stdout ("1 job(s) submitted to cluster 234."). */
export function submittedCluster(stdout: string): number | undefined {
  const m = SUBMITTED.exec(stdout);
  return m ? Number(m[2]) : undefined;
}

export async function submitDag(
  ctx: CondorContext,
  dir: string,
  dagFile: string,
  opts: {
    batchName?: string;
    force?: boolean;
    target?: Target;
    submitId?: string;
    /**
     * The DAG is run from its newest rescue file (restart): never -f, which would rename the rescue files
     * away and run the whole DAG again; condor_submit_dag overwrites its own files when it runs a rescue DAG.
     */
    rescue?: boolean;
  } = {},
): Promise<{ dagmanJobId: number; stdout: string }> {
  const args = [
    ...(opts.force && !opts.rescue ? ['-f'] : []),
    ...(opts.rescue ? ['-AutoRescue', '1'] : []),
    ...(opts.batchName ? ['-batch-name', opts.batchName] : []),
    // Names this submit attempt on the DAGMan job, so an interrupted submit can be found again.
    ...(opts.submitId ? ['-append', `My.VmdagSubmitId = "${opts.submitId.replace(/[^0-9a-f-]/g, '')}"`] : []),
    // A schedd restart stops DAGMan (exit 3, requeued); the schedd then holds it back for
    // SCHEDULER_UNIVERSE_COOL_DOWN_DURATION (300 s) before starting it again. The run resumes at once
    // instead; past 10 starts the cool-down applies again (it guards against a DAGMan restart loop).
    '-append',
    'My.DisableCoolDown = NumJobStarts < 10',
    // Not -remote: it spools (condor_submit -remote) and resolves the Name as a host name. The address and
    // ad files name the schedd for condor_submit and, through its environment, for DAGMan's node submits.
    ...(opts.target?.addressFile ? ['-schedd-address-file', opts.target.addressFile] : []),
    ...(opts.target?.adFile ? ['-schedd-daemon-ad-file', opts.target.adFile] : []),
    dagFile,
  ];
  const env = opts.target?.pool
    ? { ...ctx, env: { ...ctx.env, _CONDOR_COLLECTOR_HOST: opts.target.pool } }
    : ctx;
  let r = await runCondor(env, 'condor_submit_dag', args, { cwd: dir, allowFailure: true });
  // A schedd that is briefly unreachable (restarting) rejected nothing: try again, with -f since
  // condor_submit_dag already wrote its .condor.sub and would refuse to overwrite it.
  for (let i = 0; i < 8 && isTransient(r); i++) {
    await new Promise((res) => setTimeout(res, 1000 * (i + 1)));
    const again = opts.rescue ? args : ['-f', ...args.filter((a) => a !== '-f')];
    r = await runCondor(env, 'condor_submit_dag', again, {
      cwd: dir,
      allowFailure: true,
    });
  }
  if (r.exitCode !== 0) throw new CondorCommandError(r);
  const id = submittedCluster(r.stdout);
  if (id === undefined) throw new CondorCommandError({ ...r, exitCode: r.exitCode || 1 });
  return { dagmanJobId: id, stdout: r.stdout };
}

/** The attributes status and report read; projection keeps condor_q cheap at scale. */
export const RUN_ATTRS = [
  'ClusterId',
  'ProcId',
  'JobStatus',
  'JobUniverse',
  'DAGNodeName',
  'DAGManJobId',
  'DAG_Status',
  'DAG_NodesTotal',
  'DAG_NodesDone',
  'DAG_NodesFailed',
  'ExitCode',
  'ExitBySignal',
  'HoldReason',
  'HoldReasonCode',
  'HoldReasonSubCode',
  // A VM job's disk (file:device:access[:format]): tells a relative path from a missing file in its hold.
  'VMPARAM_vm_Disk',
  'RemoteHost',
  'LastRemoteHost',
  'QDate',
  'JobStartDate',
  'JobCurrentStartDate',
  'JobCurrentStartExecutingDate',
  'EnteredCurrentStatus',
  'CompletionDate',
  'Iwd',
  // Where a spooled job was submitted from (its Iwd is then the schedd's spool folder).
  'SUBMIT_Iwd',
  'Owner',
  'RemoveReason',
  // The schedd's clock at query time (condor_q only): how far a running run's report reaches.
  'ServerTime',
];

/** How long a query rides out a schedd that is restarting. */
const QUERY_RETRY_MS = 30_000;

function runConstraint(id: number): string {
  return `ClusterId == ${id} || DAGManJobId == ${id}`;
}

/** One projected `-json` query for every job of the run (the DAGMan job and its nodes). */
async function queryRunAds(
  ctx: CondorContext,
  tool: string,
  id: number,
  where: string[],
): Promise<ClassAd[]> {
  const args = [...where, '-json', '-constraint', runConstraint(id), '-attributes', RUN_ATTRS.join(',')];
  const r = await runCondor(ctx, tool, args, { retryTransientMs: QUERY_RETRY_MS });
  return parseAdsJson(r.stdout);
}

/** Every queued job of the run, in one query. */
export function queryQueue(ctx: CondorContext, id: number, target: Target = {}): Promise<ClassAd[]> {
  return queryRunAds(targetContext(ctx, target), 'condor_q', id, [...targetArgs(target), '-allusers']);
}

/** Every finished job of the run, in one query. */
export function queryHistory(ctx: CondorContext, id: number, target: Target = {}): Promise<ClassAd[]> {
  return queryRunAds(targetContext(ctx, target), 'condor_history', id, historyTargetArgs(target));
}

/**
 * The startd ads of the run's VM guests in the run's pool (they advertise the DAGMan job id as VmWorkflowId):
 * Name, State, Activity. One condor_status.
 */
export async function queryGuests(ctx: CondorContext, id: number, target: Target = {}): Promise<ClassAd[]> {
  const args = [
    ...(target.pool ? ['-pool', target.pool] : []),
    '-json',
    '-constraint',
    `VmGuest =?= true && VmWorkflowId =?= "${id}"`,
    '-attributes',
    'Name,State,Activity,VmWorkflowId',
  ];
  const r = await runCondor(targetContext(ctx, target), 'condor_status', args, {
    retryTransientMs: QUERY_RETRY_MS,
  });
  return parseAdsJson(r.stdout);
}

/** Remove the DAGMan job (DAGMan then runs the FINAL node) or, with `leftovers`, every job of the run. */
export async function removeRun(
  ctx: CondorContext,
  id: number,
  opts: { leftovers?: boolean; force?: boolean; target?: Target } = {},
): Promise<void> {
  const what = opts.leftovers ? ['-constraint', `DAGManJobId == ${id}`] : [String(id)];
  const r = await runCondor(
    targetContext(ctx, opts.target),
    'condor_rm',
    [...targetArgs(opts.target ?? {}), ...(opts.force ? ['-forcex'] : []), ...what],
    { allowFailure: true, retryTransientMs: QUERY_RETRY_MS },
  );
  // condor_rm exits non-zero when nothing matched; that is fine here, the caller verifies the queue.
  if (r.exitCode !== 0 && !/Couldn't find|no jobs|nothing to remove|not found/i.test(r.stdout + r.stderr)) {
    throw new CondorCommandError(r);
  }
}

/**
 * The DAGMan job a submit attempt made (`VmdagSubmitId`), in the queue or the history; polled for `waitMs`
 * in case the interrupted attempt's condor_submit_dag is still on its way.
 */
export async function findSubmittedDag(
  ctx: CondorContext,
  submitId: string,
  opts: { target?: Target; waitMs?: number } = {},
): Promise<number | undefined> {
  const constraint = `VmdagSubmitId == "${submitId.replace(/[^0-9a-f-]/g, '')}"`;
  ctx = targetContext(ctx, opts.target);
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (;;) {
    const q = await runCondor(
      ctx,
      'condor_q',
      [...targetArgs(opts.target ?? {}), '-allusers', '-constraint', constraint, '-af', 'ClusterId'],
      { retryTransientMs: QUERY_RETRY_MS },
    );
    const h = await runCondor(
      ctx,
      'condor_history',
      [...historyTargetArgs(opts.target ?? {}), '-constraint', constraint, '-af', 'ClusterId'],
      { retryTransientMs: QUERY_RETRY_MS, allowFailure: true },
    );
    const ids = `${q.stdout}\n${h.stdout}`.split('\n').filter((l) => /^\d+$/.test(l.trim()));
    if (ids[0] !== undefined) return Number(ids[0]);
    if (Date.now() >= deadline) return undefined;
    await new Promise((res) => setTimeout(res, 2000));
  }
}
