/**
 * HTCondor's own judgement of a run directory, with nothing queued: each DAG node's submit description through
 * `condor_submit -dry-run -` with the macros DAGMan would pass it (its VARS, `JOB`, `DAGManJobId`), and the DAG
 * through `condor_dag_checker` (DAGMan's own parser). `vmdag check` and the lab tests that hold the goldens to
 * HTCondor (test/integration/goldens-dry-run.test.ts) use these; the parsers are pure.
 */
import { type CondorContext, type CondorResult, CondorUnavailableError, runCondor } from './exec.js';

/** A node of a .dag file as DAGMan submits it: its declaration, submit file, VARS and where it is declared. */
export interface DagNodeSubmit {
  /** JOB, SERVICE, FINAL or PROVISIONER. */
  decl: string;
  name: string;
  submitFile: string;
  /** 1-based line of the declaration in the .dag file. */
  line: number;
  /** VARS name/value pairs in order, values unescaped (`\"` → `"`, `\\` → `\`). */
  vars: [string, string][];
}

/** Node declarations and their VARS (values: `"…"` with `\"` and `\\` escapes) of a .dag file. Pure. */
export function parseDagNodes(text: string): DagNodeSubmit[] {
  const nodes = new Map<string, DagNodeSubmit>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const d = /^\s*(JOB|SERVICE|FINAL|PROVISIONER)\s+(\S+)\s+(\S+)/i.exec(line);
    if (d) {
      const name = d[2] ?? '';
      nodes.set(name, {
        decl: (d[1] ?? '').toUpperCase(),
        name,
        submitFile: d[3] ?? '',
        line: i + 1,
        vars: [],
      });
      continue;
    }
    const v = /^\s*VARS\s+(\S+)\s+(.*)$/i.exec(line);
    if (!v) continue;
    const node = nodes.get(v[1] ?? '');
    for (const m of (v[2] ?? '').matchAll(/(\S+?)="((?:[^"\\]|\\.)*)"/g))
      node?.vars.push([m[1] ?? '', (m[2] ?? '').replace(/\\(.)/g, '$1')]);
  }
  return [...nodes.values()];
}

/** The DAGMan job id given to the dry runs (any number: nothing is queued). */
export const DRY_RUN_DAGMAN_JOB_ID = 4242;

/** The macros DAGMan passes a node's submit: `JOB`, `DAGManJobId`, then its VARS, as `NAME=value` arguments. */
export function nodeMacros(node: DagNodeSubmit, dagmanJobId = DRY_RUN_DAGMAN_JOB_ID): string[] {
  return [`JOB=${node.name}`, `DAGManJobId=${dagmanJobId}`, ...node.vars.map(([k, v]) => `${k}=${v}`)];
}

/** A job ad as condor_submit -dry-run prints it: attribute → the expression's text (strings keep their quotes). */
export type DryRunAd = Record<string, string>;

/**
 * `condor_submit -dry-run -` output: the cluster ad's `Attr=value` lines, then per proc `ProcId=N`, its own
 * lines and `.`. One ad per proc, each the cluster's attributes with the proc's. Pure.
 */
export function parseDryRun(stdout: string): DryRunAd[] {
  const cluster: DryRunAd = {};
  const procs: DryRunAd[] = [];
  let current: DryRunAd | undefined;
  for (const line of stdout.split('\n')) {
    if (line === '.') {
      current = undefined;
      continue;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/.exec(line);
    if (!m) continue;
    const [, attr = '', value = ''] = m;
    if (attr === 'ProcId' && current === undefined) {
      current = { ...cluster };
      procs.push(current);
    }
    (current ?? cluster)[attr] = value;
  }
  return procs.length > 0 ? procs : Object.keys(cluster).length > 0 ? [cluster] : [];
}

/** condor_submit's complaint without its noise: the ERROR lines (else every non-blank line), joined. */
export function submitError(r: Pick<CondorResult, 'stdout' | 'stderr' | 'exitCode'>): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'Dry-Run job(s)' && !/^Submitting job\(s\)/.test(l));
  const errors = lines.flatMap((l, i) =>
    /^ERROR\b/.test(l)
      ? [
          [
            l,
            ...lines
              .slice(i + 1)
              .filter((x) => !/^(ERROR|WARNING)\b/.test(x))
              .slice(0, 1),
          ],
        ]
      : [],
  );
  const shown = errors.length > 0 ? errors.map((e) => e.join(' ')) : lines.slice(0, 3);
  return shown.join(' | ') || `condor_submit exited with ${r.exitCode}`;
}

export interface NodeDryRun {
  node: DagNodeSubmit;
  ok: boolean;
  /** One ad per proc (`queue N`); empty when refused. */
  ads: DryRunAd[];
  /** What condor_submit said when it refused the submit file. */
  error?: string;
  result: CondorResult;
}

/** One node's submit file through the real `condor_submit -dry-run -`, in the run directory `dir`. */
export async function dryRunNode(ctx: CondorContext, dir: string, node: DagNodeSubmit): Promise<NodeDryRun> {
  const result = await runCondor(
    ctx,
    'condor_submit',
    ['-dry-run', '-', node.submitFile, ...nodeMacros(node)],
    {
      cwd: dir,
      allowFailure: true,
      timeout: 60_000,
    },
  );
  const ok = result.exitCode === 0;
  return {
    node,
    ok,
    ads: ok ? parseDryRun(result.stdout) : [],
    ...(ok ? {} : { error: submitError(result) }),
    result,
  };
}

/** One problem `condor_dag_checker` found in a DAG file. */
export interface DagIssue {
  message: string;
  /** The DAG command it is about (JOB, PARENT, VARS…). */
  command?: string;
  file: string;
  line?: number;
}

/** `condor_dag_checker -json` output: the issues of each DAG file given. Pure. */
export function parseDagChecker(stdout: string): DagIssue[] {
  if (stdout.trim() === '') return [];
  const raw = JSON.parse(stdout) as {
    DagFile?: string;
    Errors?: { Reason?: string; DagCommand?: string; SourceFile?: string; SourceLine?: number }[];
  }[];
  return raw.flatMap((dag) =>
    (dag.Errors ?? []).map((e) => ({
      message: e.Reason ?? 'unknown problem',
      ...(e.DagCommand ? { command: e.DagCommand } : {}),
      file: e.SourceFile ?? dag.DagFile ?? '',
      ...(typeof e.SourceLine === 'number' && e.SourceLine > 0 ? { line: e.SourceLine } : {}),
    })),
  );
}

/**
 * The DAG through DAGMan's own parser (`condor_dag_checker -json`, HTCondor 23.4 and later): its syntax, node
 * names, edges. `undefined` when this HTCondor has no checker. Reads only; run in `dir`.
 */
export async function checkDagFile(
  ctx: CondorContext,
  dir: string,
  dagFile: string,
): Promise<{ issues: DagIssue[]; result: CondorResult } | undefined> {
  const result = await runCondor(ctx, 'condor_dag_checker', ['-json', dagFile], {
    cwd: dir,
    allowFailure: true,
    timeout: 60_000,
  }).catch((e: unknown) => {
    if (e instanceof CondorUnavailableError && !/timed out/.test(e.message)) return undefined;
    throw e;
  });
  // Not there (no such binary: the shell of a prefix says 127).
  if (
    !result ||
    (result.stdout.trim() === '' && (result.exitCode === 127 || /not found/i.test(result.stderr)))
  )
    return undefined;
  try {
    return { issues: parseDagChecker(result.stdout), result };
  } catch {
    // Not JSON: the checker itself failed (an unknown option on an old HTCondor, say).
    if (result.exitCode === 0) return { issues: [], result };
    return {
      issues: [{ message: submitError(result), file: dagFile }],
      result,
    };
  }
}

/**
 * `condor_submit_dag -f -no_submit`: writes `<dag>.condor.sub` (the DAGMan job's submit description) and
 * queues nothing. Run it only in a folder that may be written (a scratch copy, or a run about to be spooled).
 */
export async function noSubmitDag(
  ctx: CondorContext,
  dir: string,
  dagFile: string,
  opts: { batchName?: string; appends?: readonly string[] } = {},
): Promise<CondorResult> {
  const args = [
    '-f',
    '-no_submit',
    ...(opts.batchName ? ['-batch-name', opts.batchName] : []),
    ...(opts.appends ?? []).flatMap((a) => ['-append', a]),
    dagFile,
  ];
  return runCondor(ctx, 'condor_submit_dag', args, { cwd: dir, allowFailure: true });
}
