/**
 * `restart`: a failed or removed run goes on from DAGMan's newest rescue file. The workflow file the run was
 * compiled from (plan.json's `source`) is compiled again in memory with the run's site and tuning; a change to a
 * step that succeeded (DONE in the rescue file) is refused with the step and what changed, any other change is
 * taken (the changed files are written into the run directory). The SERVICE node VMS and the FINAL node STOP
 * are never in a rescue file, so the VMs are booted afresh and torn down as always; a GATE that succeeded is
 * dropped from a rescue file vmdag writes (`<dag>.rescueNNN`, the next number) so that it waits for the new
 * guests. Submitted as submit does (G9): a marker with a token first, the DAG found again by its token when a
 * restart was interrupted. Before anything in the run directory changes, restarting.json holds what the
 * attempt records: a restart run again after one killed once it had written the changed files finds no change
 * left, and lists the killed one's from there. run.json gets the attempt.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderWorkflow } from '../compile.js';
import { resolveCompileSettings } from '../compile-options.js';
import { adNumber } from '../condor/classads.js';
import { findSubmittedDag, submitDag } from '../condor/dag-run.js';
import type { CondorContext } from '../condor/exec.js';
import { newestRescue, parseRescue, rescueName, rescueNumber, rescueWithout } from '../condor/rescue-file.js';
import { readSubmitMarker, removeSubmitMarker, writeSubmitMarker } from '../emit/submit-marker.js';
import { RESTARTING, writeAttempt, writeRescueFile } from '../emit/update-run-dir.js';
import { writeRunRecord } from '../emit/write-run-record.js';
import { loadSites } from '../load-workflow.js';
import type { RunAttempt, RunRecord, RunState } from '../model/run.js';
import type { PlannedSite, Tuning } from '../plan/plan-types.js';
import {
  attemptNodesLog,
  attemptOf,
  attemptsOf,
  changesTaken,
  parseRestarting,
  type Restarting,
  withAttempt,
} from '../restart/attempts.js';
import { type NodeChange, nodeInputs, restartChanges } from '../restart/node-changes.js';
import { gatherStatus } from '../status/gather-status.js';
import { readIfExists } from '../status/run-dir.js';
import { type Failure, fail, failureOf } from './failure.js';
import { findRun } from './find-run.js';

export interface RestartFlags {
  /** The run directory (or DAGMan job id). Default '' (a usage failure). */
  run?: string;
  /** Site catalog (`--sites`), as compile takes it. Default `$VMDAG_SITES`, else ./sites.yaml. */
  sites?: string;
}

export interface RestartOptions {
  run: string;
  cwd: string;
  env: Record<string, string | undefined>;
  sites?: string;
}

export function resolveRestartOptions(
  f: RestartFlags,
  io: { cwd: string; env: Record<string, string | undefined> },
): RestartOptions {
  return { run: f.run ?? '', cwd: io.cwd, env: io.env, ...(f.sites !== undefined ? { sites: f.sites } : {}) };
}

export interface RestartResult {
  ok: true;
  outDir: string;
  name: string;
  dagmanJobId: number;
  /** The attempt's number (2 for the first restart). */
  attempt: number;
  /** The rescue file DAGMan runs. */
  rescue: string;
  /** Steps that succeeded before and do not run again. */
  skipped: string[];
  /** Changes taken (steps that had not succeeded). */
  changed: NodeChange[];
  /** Files of the run directory rewritten from the recompiled workflow. */
  written: string[];
  /** An interrupted restart's DAG had reached the schedd and was taken up. */
  adopted: boolean;
}

export type RestartFailure =
  | Failure
  /** A step that succeeded changed: refused, nothing written or submitted. */
  | { ok: false; kind: 'changed'; message: string; refused: NodeChange[] };

interface PlanJson {
  source?: { file?: string; dir?: string };
  site?: PlannedSite;
  tuning?: Tuning;
  mode?: string;
  vm?: { image?: { staged?: { path: string }; sha256?: string } };
}

const RESTARTABLE: RunState[] = ['failed', 'removed'];

/** Why a run in `state` cannot be restarted, or undefined when it can. */
export function refusalOfState(state: RunState, id: number): string | undefined {
  if (RESTARTABLE.includes(state)) return undefined;
  if (state === 'succeeded') return `it succeeded (DAGMan job ${id}): nothing to restart`;
  return `it is still running (DAGMan job ${id}, ${state}): wait for it to end, or vmdag rm it first`;
}

/** The refusal's message: each changed step that already succeeded, and what changed. */
export function refusalOfChanges(refused: NodeChange[]): string {
  const each = refused.map((r) => `step ${r.node} already succeeded and changed: ${r.changes.join('; ')}`);
  return `${each.join('\n')}\nnothing was restarted: undo those changes, or compile the workflow to a new run directory to run it all again`;
}

export async function restartRun(
  ctx: CondorContext,
  opts: RestartOptions,
): Promise<RestartResult | RestartFailure> {
  const run = await findRun(ctx, opts.run, opts.cwd);
  if (!run.ok) return run;
  const { layout, record } = run;
  const dir = layout.dir;
  const shown = opts.run;
  try {
    if (record.transfer === 'spool' || record.pool)
      return fail(
        'usage',
        `${shown}: restart of a run at another site (${record.site}) is not supported yet`,
      );
    const attempts = attemptsOf(record);
    // An interrupted restart: the DAG it may have submitted, by its token.
    const interrupted = readSubmitMarker(dir);
    if (interrupted?.restart !== undefined) {
      const found = await findSubmittedDag(ctx, interrupted.token, { waitMs: 20_000 });
      if (found !== undefined) {
        const pending = parseRestarting(readIfExists(join(dir, RESTARTING)), interrupted.restart);
        const next: RunAttempt = pending
          ? attemptOf(pending, found, interrupted.startedAt)
          : { dagmanJobId: found, submittedAt: interrupted.startedAt };
        writeRunRecord(dir, withAttempt(record, pending?.ended, next));
        removeSubmitMarker(dir);
        rmSync(join(dir, RESTARTING), { force: true });
        return {
          ok: true,
          outDir: dir,
          name: layout.name,
          dagmanJobId: found,
          attempt: attempts.length + 1,
          rescue: next.rescue ?? '',
          skipped: next.skipped ?? [],
          changed: next.changed ?? [],
          written: [],
          adopted: true,
        };
      }
    }
    // Only a run that ended without success.
    const { status, inputs } = await gatherStatus(ctx, layout, record.dagmanJobId, run.target, {
      atSite: false,
    });
    const why = refusalOfState(status.state, record.dagmanJobId);
    if (why) return fail('usage', `${shown}: ${why}`);
    const rescueFile = newestRescue(readdirSync(dir), layout.dagFile);
    if (!rescueFile)
      return fail(
        'usage',
        `${shown}: no rescue file (${layout.dagFile}.rescueNNN): DAGMan writes one when a DAG fails or is removed; compile the workflow to a new run directory to run it again`,
      );
    const rescueText = readFileSync(join(dir, rescueFile), 'utf8');
    const rescue = parseRescue(rescueText, rescueNumber(rescueFile, layout.dagFile));
    // The workflow the run was compiled from, compiled again in memory.
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as PlanJson;
    const source = plan.source?.file ? resolve(plan.source.dir ?? dir, plan.source.file) : undefined;
    if (!source || !existsSync(source))
      return fail(
        'usage',
        `${shown}: its workflow file ${source ?? '(none in plan.json)'} is gone: nothing to compile it from`,
      );
    const io = { cwd: opts.cwd, env: opts.env };
    const settings = resolveCompileSettings({}, opts.env);
    const staged = plan.vm?.image?.staged;
    const rendered = renderWorkflow(
      source,
      loadSites(opts.sites, io),
      {
        ...settings,
        ...(plan.tuning ? { tuning: plan.tuning } : {}),
        ...(plan.site ? { site: plan.site } : {}),
        ...(staged && plan.vm?.image?.sha256
          ? { stagedImage: { path: staged.path, sha256: plan.vm.image.sha256, reused: true } }
          : {}),
      },
      io,
    );
    if (!rendered.ok)
      return fail(
        'invalid',
        `${shown}: its workflow ${source} does not compile: ${rendered.diagnostics.map((d) => `${d.line ?? ''}:${d.column ?? ''}: ${d.message}`).join('; ')}`,
      );
    const files = rendered.run.files.map((f) => ({
      path: f.path,
      text: [...f.parts].join(''),
      mode: f.mode,
    }));
    const newText = new Map(files.map((f) => [f.path, f.text]));
    const wasDag = readFileSync(join(dir, layout.dagFile), 'utf8');
    const nowDag = newText.get(layout.dagFile) ?? '';
    const gate = layout.nodes.find((n) => n.kind === 'gate')?.name;
    // An input's content is not recorded: one modified after the last attempt was submitted counts as changed
    // (an earlier restart refused any change to the inputs of the steps that had succeeded by then).
    const ranSince = Date.parse(attempts[attempts.length - 1]?.submittedAt ?? '') || 0;
    const changes = restartChanges({
      wasDag,
      nowDag,
      wasFile: (p) => readIfExists(join(dir, p)),
      nowFile: (p) => newText.get(p),
      // GATE runs again whatever it did before (below): a change to it is taken, never refused.
      done: rescue.done.filter((n) => n !== gate),
      changedInputs: (node) =>
        nodeInputs(nowDag, node).filter((f) => {
          const p = resolve(dir, f);
          return existsSync(p) && statSync(p).mtimeMs > ranSince;
        }),
    });
    if (changes.refused.length > 0)
      return {
        ok: false,
        kind: 'changed',
        message: `${shown}: ${refusalOfChanges(changes.refused)}`,
        refused: changes.refused,
      };
    // GATE waits for the guests of this attempt's VMs: it runs again even when it succeeded before.
    const rerunGate = gate !== undefined && rescue.done.includes(gate) ? gate : undefined;
    const runs = rerunGate ? rescueName(layout.dagFile, rescue.number + 1) : rescueFile;
    const ended: RunAttempt['ended'] = {
      state: status.state,
      at: (() => {
        const t = inputs.dagman
          ? adNumber(inputs.dagman, 'CompletionDate') || adNumber(inputs.dagman, 'EnteredCurrentStatus')
          : undefined;
        return t ? new Date(t * 1000).toISOString() : null;
      })(),
    };
    const skipped = rescue.done.filter((n) => layout.nodes.some((x) => x.name === n && x.kind === 'compute'));
    // A restart of this attempt killed after writing its changes: they are no change now; its marker has them.
    const attempt = attempts.length + 1;
    const killed = parseRestarting(readIfExists(join(dir, RESTARTING)), attempt);
    const marker: Restarting = {
      attempt,
      rescue: runs,
      skipped,
      changed: changesTaken(killed, changes.taken),
      ended,
    };
    // REAP waits for the last steps' terminate events in the nodes log, which the new DAGMan truncates: it
    // waits only for the last steps this attempt runs.
    const written = writeAttempt(
      dir,
      marker,
      files.map((f) => (f.path === REAP_STEPS ? { ...f, text: withoutSteps(f.text, rescue.done) } : f)),
    );
    // The new DAGMan truncates the nodes log: keep this attempt's for its report.
    const nodesLog = join(dir, `${layout.dagFile}.nodes.log`);
    const kept = attemptNodesLog(layout.dagFile, attempts.length);
    if (existsSync(nodesLog) && !existsSync(join(dir, kept))) copyFileSync(nodesLog, join(dir, kept));
    if (rerunGate) writeRescueFile(dir, runs, rescueWithout(rescueText, rescueFile, [rerunGate]));
    const token = randomUUID();
    const startedAt = new Date().toISOString();
    writeSubmitMarker(dir, { token, startedAt, pid: process.pid, restart: attempt });
    const { dagmanJobId } = await submitDag(ctx, dir, layout.dagFile, {
      batchName: layout.name,
      submitId: token,
      rescue: true,
    });
    const next = attemptOf(marker, dagmanJobId, startedAt);
    const updated: RunRecord = withAttempt(record, ended, next);
    writeRunRecord(dir, updated);
    removeSubmitMarker(dir);
    rmSync(join(dir, RESTARTING), { force: true });
    return {
      ok: true,
      outDir: dir,
      name: layout.name,
      dagmanJobId,
      attempt,
      rescue: runs,
      skipped,
      changed: marker.changed,
      written,
      adopted: false,
    };
  } catch (e) {
    return failureOf(e);
  }
}

const REAP_STEPS = 'vmdag-reap.steps';

/** The REAP steps file without the steps that already succeeded (`NAME` or `NAME:post` lines). */
export function withoutSteps(text: string, done: string[]): string {
  const gone = new Set(done);
  return text
    .split('\n')
    .filter((l) => l.startsWith('#') || !gone.has(l.trim().replace(/:post$/, '')))
    .join('\n');
}
