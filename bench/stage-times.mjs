#!/usr/bin/env node
// Child of compile-bench.mjs, one fresh process per sample. Two modes:
// - `node bench/stage-times.mjs WORKFLOW OUTDIR`: the whole-file pipeline's stages in-process, each timed
//   cold, one JSON line {importMs, readMs, parseMs, validateMs, planMs, renderMs, emitMs, maxRssMiB}. This
//   is the pipeline `vmdag compile` runs for a file it cannot stream, and to report any problem.
// - `node bench/stage-times.mjs WORKFLOW OUTDIR --streamed`: compile() as `vmdag compile` runs it (a
//   plain-shaped workflow is streamed a batch of steps at a time, its stages interleaved), one JSON line
//   {importMs, compileMs, streamed, maxRssMiB}.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const [file, outDir, mode] = process.argv.slice(2);
const t0 = performance.now();
if (mode === '--streamed') {
  const { compile } = await import('../dist/compile.js');
  const importMs = performance.now() - t0;
  const t1 = performance.now();
  const r = await compile(file, { outDir });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  const compileMs = performance.now() - t1;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ importMs, compileMs, streamed: r.plan === undefined, maxRssMiB }));
  process.exit(0);
}
const { parseYaml } = await import('../dist/parse/parse-yaml.js');
const { validateWorkflow } = await import('../dist/validate/validate-workflow.js');
const { planWorkflow } = await import('../dist/plan/plan-workflow.js');
const { renderRunDir } = await import('../dist/render/render-run-dir.js');
const { emitRunDir } = await import('../dist/emit/emit-run-dir.js');
const out = { importMs: performance.now() - t0 };
const timed = (name, fn) => {
  const t = performance.now();
  const r = fn();
  out[name] = performance.now() - t;
  return r;
};
const abs = resolve(file);
const isFile = (p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};
const text = timed('readMs', () => readFileSync(abs, 'utf8'));
const doc = timed('parseMs', () => parseYaml(text, file));
const v = timed('validateMs', () => validateWorkflow(doc, { dir: dirname(abs), fileExists: isFile }));
const plan = timed('planMs', () => planWorkflow(v.workflow, {}));
const r = timed('renderMs', () => renderRunDir(plan));
timed('emitMs', () => emitRunDir(outDir, r.run));
out.maxRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
