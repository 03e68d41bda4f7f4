/**
 * The bad-input corpus (bad-input-corpus.ts) through the CLI's main() in this process, on the sources as they
 * are (no build): the same exit codes, diagnostics and untouched disk as the real process of
 * bad-input.test.ts, without its per-process time and memory budget.
 */
import { afterAll, beforeAll } from 'vitest';
import { main } from '../../src/cli.js';
import { capture } from '../capture-output.js';
import { badInputSuite, CORPUS } from './bad-input-corpus.js';

const cwd = process.cwd();
const sites = process.env.VMDAG_SITES;
beforeAll(() => {
  // As the real process runs: in the corpus folder, with no site catalog from the caller's environment.
  process.chdir(CORPUS);
  delete process.env.VMDAG_SITES;
});
afterAll(() => {
  process.chdir(cwd);
  if (sites !== undefined) process.env.VMDAG_SITES = sites;
});

badInputSuite(
  'bad input through the CLI in-process',
  async (args) => {
    const o = capture();
    const t0 = performance.now();
    const status = await main(args, o);
    return { status, signal: null, stdout: o.stdout, stderr: o.stderr, ms: performance.now() - t0 };
  },
  false,
);
