/**
 * DAG runs on a schedd: submit with condor_submit_dag, query the run's jobs (one condor_q, and one
 * condor_history once the DAGMan job has left the queue), remove it.
 */
import { type ClassAd, parseAdsJson } from './classads.js';
import { CondorCommandError, type CondorContext, runCondor } from './exec.js';

/** Where a run's DAG was sent: nothing for the local schedd, else the pool and schedd names. */
export interface Target {
  pool?: string;
  schedd?: string;
}

function targetArgs(t: Target, nameFlag = '-name'): string[] {
  return [...(t.pool ? ['-pool', t.pool] : []), ...(t.schedd ? [nameFlag, t.schedd] : [])];
}

const SUBMITTED = /(\d+) job\(s\) submitted to cluster (\d+)\./;

export async function submitDag(
  ctx: CondorContext,
  dir: string,
  dagFile: string,
  opts: { batchName?: string; force?: boolean; target?: Target } = {},
): Promise<{ dagmanJobId: number; stdout: string }> {
  const args = [
    ...(opts.force ? ['-f'] : []),
    ...(opts.batchName ? ['-batch-name', opts.batchName] : []),
    ...(opts.target?.schedd ? ['-remote', opts.target.schedd] : []),
    dagFile,
  ];
  const env = opts.target?.pool
    ? { ...ctx, env: { ...ctx.env, _CONDOR_COLLECTOR_HOST: opts.target.pool } }
    : ctx;
  const r = await runCondor(env, 'condor_submit_dag', args, { cwd: dir });
  const m = SUBMITTED.exec(r.stdout);
  if (!m) throw new CondorCommandError({ ...r, exitCode: r.exitCode || 1 });
  return { dagmanJobId: Number(m[2]), stdout: r.stdout };
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
  'RemoteHost',
  'LastRemoteHost',
  'QDate',
  'JobStartDate',
  'JobCurrentStartDate',
  'JobCurrentStartExecutingDate',
  'EnteredCurrentStatus',
  'CompletionDate',
  'Iwd',
  'Owner',
  'RemoveReason',
  // The schedd's clock at query time (condor_q only): how far a running run's report reaches.
  'ServerTime',
];

function runConstraint(id: number): string {
  return `ClusterId == ${id} || DAGManJobId == ${id}`;
}

/** Every queued job of the run (the DAGMan job and its nodes), in one query. */
export async function queryQueue(ctx: CondorContext, id: number, target: Target = {}): Promise<ClassAd[]> {
  const r = await runCondor(ctx, 'condor_q', [
    ...targetArgs(target),
    '-allusers',
    '-json',
    '-constraint',
    runConstraint(id),
    '-attributes',
    RUN_ATTRS.join(','),
  ]);
  return parseAdsJson(r.stdout);
}

/** Every finished job of the run, in one query. */
export async function queryHistory(ctx: CondorContext, id: number, target: Target = {}): Promise<ClassAd[]> {
  const r = await runCondor(ctx, 'condor_history', [
    ...targetArgs(target),
    '-json',
    '-constraint',
    runConstraint(id),
    '-attributes',
    RUN_ATTRS.join(','),
  ]);
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
    ctx,
    'condor_rm',
    [...targetArgs(opts.target ?? {}), ...(opts.force ? ['-forcex'] : []), ...what],
    { allowFailure: true },
  );
  // condor_rm exits non-zero when nothing matched; that is fine here, the caller verifies the queue.
  if (r.exitCode !== 0 && !/Couldn't find|no jobs|nothing to remove|not found/i.test(r.stdout + r.stderr)) {
    throw new CondorCommandError(r);
  }
}
