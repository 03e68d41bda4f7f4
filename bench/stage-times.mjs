#!/usr/bin/env node
// Child of compile-bench.mjs, one fresh process per sample: `node bench/stage-times.mjs WORKFLOW OUTDIR`
// runs the pipeline's stages in-process, each timed cold, and prints one JSON line {importMs, readMs,
// parseMs, validateMs, planMs, renderMs, emitMs, maxRssMiB}. The DAG's nodes and plan.json's step lines
// are made while emit writes them: their time is in emitMs.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const [file, outDir] = process.argv.slice(2);
const t0 = performance.now();
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
