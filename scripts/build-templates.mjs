#!/usr/bin/env node
// Precompiles the run directory's Handlebars templates (templates/*.hbs) into src/render/generated/templates.ts.
// Why: compiling them at run time needs the whole Handlebars compiler (~40 modules, ~25 ms and ~5 MiB to
// load, plus the compile itself); the precompiled specs run on `handlebars/runtime` alone, with the very
// same options (strict, noEscape, no @data, known helpers only). `--check` exits 1 when the generated file
// is stale (used by test/render/generated-templates.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'src/render/generated/templates.ts';
/** Must match TEMPLATE_NAMES and KNOWN_HELPERS in src/render/templates.ts (checked by the test). */
export const NAMES = ['dag', 'dagman.config', 'vms.sub', 'gate.sub', 'compute.sub', 'stop.sub', 'reap.sub'];
export const OPTIONS = {
  strict: true,
  noEscape: true,
  data: false,
  knownHelpers: {
    submitArgs: true,
    submitValue: true,
    classAdString: true,
    fileList: true,
    nodeName: true,
    dagFile: true,
    comment: true,
  },
  knownHelpersOnly: true,
};

/** A source location the precompiled code passes with every strict lookup (for its error message). */
const LOC = /\{"start":\{"line":\d+,"column":\d+\},"end":\{"line":\d+,"column":\d+\}\}/g;

/**
 * The body of an `{{#each}}` block as one plain function of the item, when the body is only text, `{{field}}`
 * and `{{#if field}}…{{else}}…{{/if}}` over the item's own fields; else undefined. Why: Handlebars' runtime
 * renders each item through strict lookups, a lambda check per value and an options object per `if` — for
 * a 10,000-step DAG ~230 M instructions (callgrind), ~7 % of a whole `vmdag compile`. The function gives
 * exactly Handlebars' text (its whitespace control already applied by Handlebars.parse; strict: a field
 * the item lacks throws, null or undefined prints nothing; `if` is Handlebars' `if`: false for a falsy value
 * and an empty list); test/render/each-bodies.test.ts renders the templates both ways.
 */
function compileEachBody(program) {
  const lines = [];
  const single = (path) =>
    path.type === 'PathExpression' && path.parts.length === 1 && path.depth === 0 && !path.data && !path.this_
      ? path.parts[0]
      : undefined;
  const emit = (body, pad) => {
    for (const st of body) {
      if (st.type === 'ContentStatement') {
        if (st.value !== '') lines.push(`${pad}t += ${JSON.stringify(st.value)};`);
      } else if (st.type === 'CommentStatement') {
        // nothing
      } else if (st.type === 'MustacheStatement' && st.params.length === 0 && !st.hash && single(st.path)) {
        const f = JSON.stringify(single(st.path));
        lines.push(`${pad}if ((x = v[${f}]) != null) t += x; else if (!(${f} in v)) missing(${f}, v);`);
      } else if (
        st.type === 'BlockStatement' &&
        st.path.original === 'if' &&
        st.params.length === 1 &&
        !st.hash &&
        single(st.params[0]) &&
        !st.program.blockParams
      ) {
        const f = JSON.stringify(single(st.params[0]));
        lines.push(`${pad}if ((x = v[${f}]) && !(Array.isArray(x) && x.length === 0)) {`);
        if (!emit(st.program.body, `${pad}  `)) return false;
        if (st.inverse) {
          lines.push(`${pad}} else {`);
          if (!emit(st.inverse.body, `${pad}  `)) return false;
        }
        lines.push(`${pad}}`);
      } else {
        return false;
      }
    }
    return true;
  };
  if (program.blockParams || !emit(program.body, '      ')) return undefined;
  return ['function (v) {', '      let t = "";', '      let x;', ...lines, '      return t;', '    }'].join(
    '\n',
  );
}

/** The compiled bodies of a template's `{{#each}}` blocks, keyed by the block's line:column. */
function eachBodies(text) {
  const out = [];
  const walk = (program) => {
    for (const st of program.body) {
      if (st.type !== 'BlockStatement') continue;
      if (st.path.original === 'each') {
        const fn = compileEachBody(st.program);
        if (fn) out.push(`    ${JSON.stringify(`${st.loc.start.line}:${st.loc.start.column}`)}: ${fn},`);
      } else {
        walk(st.program);
        if (st.inverse) walk(st.inverse);
      }
    }
  };
  walk(Handlebars.parse(text));
  return out;
}

export function generate() {
  // Each location is written once, at the top, and referenced: in the precompiled code every lookup
  // builds its three-object literal anew (300,000 objects for a 10,000-step DAG). Handlebars only reads
  // them, to say where a missing field was used.
  const locs = new Map();
  const bodies = [];
  const specs = NAMES.map((name) => {
    const text = readFileSync(join(root, 'templates', `${name}.hbs`), 'utf8');
    const each = eachBodies(text);
    if (each.length > 0) bodies.push(`  ${JSON.stringify(name)}: {`, ...each, '  },');
    const code = Handlebars.precompile(text, OPTIONS).replace(LOC, (loc) => {
      if (!locs.has(loc)) locs.set(loc, `L${locs.size}`);
      return locs.get(loc);
    });
    return `  ${JSON.stringify(name)}: ${code},`;
  });
  return [
    '// generated by vmdag — do not edit: `npm run templates` writes it from templates/*.hbs',
    '// @ts-nocheck',
    ...[...locs].map(([loc, id]) => `const ${id} = ${loc};`),
    'export const templateSpecs = {',
    ...specs,
    '};',
    '',
    '/** The `{{#each}}` bodies compiled to plain functions (scripts/build-templates.mjs), by template and line:column. */',
    'export const eachBodies = {',
    ...bodies,
    '};',
    '',
    'function missing(field, item) {',
    "  throw new Error('\"' + field + '\" not defined in ' + item);",
    '}',
    '',
  ].join('\n');
}

function main() {
  const check = process.argv.includes('--check');
  const text = generate();
  const path = join(root, OUT);
  if (!check) {
    writeFileSync(path, text);
    return 0;
  }
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch {}
  if (old === text) return 0;
  process.stderr.write(`${OUT} is stale: run npm run templates\n`);
  return 1;
}

// Run when executed (npm run templates, the build); imported by the test, it only exports.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
