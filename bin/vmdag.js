#!/usr/bin/env node
// dist/bundle/: the CLI bundled by scripts/build-bundle.mjs (`npm run build`), so that a start loads a few
// files instead of ~40 modules.
import { setFlagsFromString } from 'node:v8';

// V8 settings for a short, allocation-heavy run, set by the program before any of it runs (never by a library
// function); they change only how V8 collects garbage and optimises code, never a result. Measured on the
// 10,000-step benchmark (docs/architecture.md, Performance), together: ~113 -> ~86 MiB peak RSS and ~10 %
// less CPU (user + sys).
// - V8 doubles its young generation (to 2 × 16 MiB) whenever many objects survive a scavenge, as the parsed
//   workflow, its plan and its views do: kept at its starting size (~113 -> ~92 MiB alone).
// - TurboFan, V8's optimising compiler, works on a background thread and in a run this short optimises
//   hundreds of functions: without inlining, and only after 8× V8's default interrupt budget of bytecode
//   (the loops that run 10,000 times still are), less CPU and several MiB less memory.
setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--no-turbo-inlining');
setFlagsFromString('--interrupt-budget=540672');

const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv.slice(2));
