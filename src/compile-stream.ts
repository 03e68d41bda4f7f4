/**
 * The streaming compile: FILE → run directory a batch of steps at a time, for a workflow written in the
 * plain shape whose `compute` list comes last (src/parse/step-stream.ts). Each batch goes through the same
 * stages as the whole file does — parse, validate (the schema and every rule that judges a step on its own),
 * plan, render — and emit writes its DAG nodes and plan.json lines before the next batch is read; only each
 * step's name and `after` are kept, for the rules over the whole DAG (duplicate names, unknown names, cycles)
 * and its edges, checked once every step is through. So a 10,000-step workflow is never one value, one
 * plan or one list of views in memory.
 *
 * Anything short of a written run directory — a file outside that shape, any diagnostic, a plan or render
 * issue, an emit failure — abandons it: its temporary folder is removed (nothing is written) and the result
 * is undefined. compile() then runs the pipeline on the whole file, which reports every problem at its
 * place, exactly as for any other file.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSites } from './commands/validate.js';
import { type CompileOptions, type CompileResult, isFile, planOptions } from './compile.js';
import { EmitError, writeRunDir } from './emit/emit-run-dir.js';
import type { ComputeStep } from './model/workflow.js';
import { NotStreamable, streamSteps } from './parse/step-stream.js';
import type { PlanIssue } from './plan/plan-workflow.js';
import { planDag, planHead, planSteps } from './plan/plan-workflow.js';
import { UnsafeValueError } from './render/quote.js';
import { renderStream } from './render/render-stream.js';
import type { Obj, ValidateEnv } from './validate/rule-context.js';
import { GraphStep, validateStepBatch, validateStepGraph } from './validate/validate-stream.js';
import { normaliseHead, stepNormaliser } from './validate/validate-workflow.js';

/** Steps per batch: their values, plans and views die young (a batch is ~300 KB of short-lived objects, a
 * third of the young generation V8 keeps here), and per-batch work (the head validated again) stays small. */
const BATCH = 32;

/** The streaming compile gives up: the whole-file pipeline takes over. */
class Abandon extends Error {}

export function compileStreaming(
  text: string,
  file: string,
  absFile: string,
  opts: CompileOptions,
  io: { cwd: string; env: Record<string, string | undefined> },
): CompileResult | undefined {
  const stream = streamSteps(text);
  if (!stream) return undefined;
  const sites = loadSites(opts.sites, io);
  if (sites.diagnostics.length > 0 || (sites.found && !sites.catalog)) return undefined;
  // Each distinct path is looked up once, as in a whole-file validation (not once per batch).
  const seen = new Map<string, boolean>();
  const fileExists = (p: string): boolean => {
    let r = seen.get(p);
    if (r === undefined) {
      r = isFile(p);
      seen.set(p, r);
    }
    return r;
  };
  const env: ValidateEnv = {
    dir: dirname(absFile),
    fileExists,
    ...(sites.catalog ? { sites: sites.catalog } : {}),
  };
  try {
    const batches = stream.batches(BATCH)[Symbol.iterator]();
    let next = batches.next();
    // The first batch validates the head too: nothing is created before it has.
    if (next.done || !validateStepBatch(stream.head, next.value, env)) return undefined;
    const workflow = normaliseHead(stream.head, file, env);
    const options = planOptions(workflow, sites.catalog, file, opts, io);
    if ('ok' in options) return undefined;
    const issues: PlanIssue[] = [];
    const head = planHead(workflow, options, issues);
    if (issues.length > 0) return undefined;
    const outDir = resolve(io.cwd, opts.outDir ?? `${head.name}.run`);
    // A missing parent would be made before the steps are all checked, and then stay: not streamed.
    if (!existsSync(dirname(outDir))) return undefined;
    const render = renderStream(head);
    const normalise = stepNormaliser(workflow.vm);
    const written = writeRunDir(outDir, (sink) => {
      sink.mkdir('outputs');
      sink.mkdir('logs');
      const paths: string[] = [];
      for (const f of render.headFiles) {
        const w = sink.open(f.path, f.mode);
        w.write(f.content);
        w.close();
        paths.push(f.path);
      }
      const dag = sink.open(render.dagFile, 0o644);
      const planJson = sink.open('plan.json', 0o644);
      try {
        dag.write(render.dagHead);
        planJson.write(render.planHead);
        const graph: GraphStep[] = [];
        for (let first = 0; !next.done; next = batches.next()) {
          const batch = next.value;
          if (first > 0 && !validateStepBatch(stream.head, batch, env)) throw new Abandon();
          const compute = (batch as Obj[]).map(normalise);
          for (let k = 0; k < compute.length; k++) {
            const s = compute[k] as ComputeStep;
            graph.push(new GraphStep(s.name, s.after, graph.length));
          }
          const planned = planSteps(compute, first, workflow, issues);
          if (issues.length > 0) throw new Abandon();
          const out = render.steps(planned);
          dag.write(out.dag);
          planJson.write(out.plan);
          first += batch.length;
        }
        if (!validateStepGraph(stream.head, graph, env)) throw new Abandon();
        const end = render.finish(planDag(head.name, graph, head.vm !== undefined, head.tuning));
        for (const piece of end.dagTail) dag.write(piece);
        for (const piece of end.planTail) planJson.write(piece);
        paths.push(render.dagFile);
        for (const f of end.files) {
          const w = sink.open(f.path, f.mode);
          w.write(f.content);
          w.close();
          paths.push(f.path);
        }
        paths.push('plan.json');
      } finally {
        dag.close();
        planJson.close();
      }
      return paths;
    });
    return {
      ok: true,
      diagnostics: [],
      outDir: written.outDir,
      dag: join(written.outDir, render.dagFile),
      files: written.files,
    };
  } catch (e) {
    if (
      e instanceof Abandon ||
      e instanceof NotStreamable ||
      e instanceof UnsafeValueError ||
      e instanceof EmitError
    )
      return undefined;
    throw e;
  }
}
