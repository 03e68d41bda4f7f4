#!/usr/bin/env node
// Bundles the CLI (dist/cli.js, after tsc) into dist/bundle/: what bin/vmdag.js runs. Why: Node 20 loads
// each ES module and CommonJS file on its own (resolve, read, compile); the ~40 of them a `vmdag compile`
// loads (the pipeline, handlebars/runtime, commander, js-yaml, the ajv runtime) cost ~25 ms and ~7 MiB at
// every start, and Node 20 has no module compile cache (module.enableCompileCache is Node 22+).
//
// - esbuild (bundles and splits ESM; its binary comes with the npm package), ESM out, code splitting: every
//   lazy `import()` (the command loaders of src/commands/index.ts) stays a chunk of its own, loaded on use.
// - The chunks sit in dist/bundle/, as deep in the package as dist/render/: the `import.meta.url`-relative
//   lookups (templates/ from src/render/templates.ts and src/site-kit/render-site-config.ts, the package root
//   from src/lab/guest/recipe.ts, `yaml` through createRequire) resolve from there as they do from dist/.
// - Packages that only other commands use, or that are loaded on demand, stay external (imported from
//   node_modules when used): `yaml` (positions of a diagnostic), execa, fast-xml-parser, log-update, and the
//   full Handlebars compiler (reports, site configs; handlebars/runtime is bundled).
// - CommonJS packages inside an ES module bundle call `require` for Node's built-ins: the banner gives them
//   one (createRequire of the chunk).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'dist', 'bundle');
const EXTERNAL = new Set(['yaml', 'execa', 'fast-xml-parser', 'log-update', 'handlebars']);

/** Only the bare names above are external: `handlebars/runtime.js` is bundled, `handlebars` is not. */
const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      EXTERNAL.has(args.path) ? { path: args.path, external: true } : undefined,
    );
  },
};

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'cli.js')],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [externals],
  banner: {
    js: "import { createRequire as __vmdagCreateRequire } from 'node:module'; const require = __vmdagCreateRequire(import.meta.url);",
  },
});

// The relative lookups must land where they do from dist/<stage>/ (see above).
for (const dir of ['templates', 'templates/scripts', 'templates/site']) {
  if (!existsSync(join(OUT, '..', '..', dir)))
    throw new Error(`bundle: ${dir} is not two levels above ${OUT}`);
}
const chunks = readdirSync(OUT).filter((f) => f.endsWith('.js'));
if (!chunks.includes('cli.js')) throw new Error('bundle: no dist/bundle/cli.js');
const bad = chunks.filter((f) => /\brequire\("(?:\.|\/)/.test(readFileSync(join(OUT, f), 'utf8')));
if (bad.length > 0) throw new Error(`bundle: relative require() left in ${bad.join(', ')}`);
