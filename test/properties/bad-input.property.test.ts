/**
 * Property tests of issue 14 (fast-check): generated workflows and mutations of the golden fixtures go
 * through validate and compile; check-run.ts holds the invariants. A fixed seed by default, printed with the
 * shrunk counterexample on failure; VMDAG_PROPERTY_SEED=N repeats a run, VMDAG_PROPERTY_RUNS=N makes it
 * longer (default 200 generated workflows and 200 mutations, about 3 s).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../faults/cli-process.js';
import { checkRun, makeFolder } from './check-run.js';
import { generatedCase, mutate, mutation } from './workflow-arbitrary.js';

const SEED = Number(process.env.VMDAG_PROPERTY_SEED ?? 20_260_214);
const RUNS = Number(process.env.VMDAG_PROPERTY_RUNS ?? 200);
const root = mkdtempSync(path.join(tmpdir(), 'vmdag-prop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FIXTURES = readdirSync(path.join(REPO, 'fixtures'), { withFileTypes: true })
  .filter(
    (d) => d.isDirectory() && readdirSync(path.join(REPO, 'fixtures', d.name)).includes('workflow.yaml'),
  )
  .map((d) => d.name)
  .sort();

let n = 0;
const fresh = (): string => path.join(root, String(n++));

/** fast-check's own report on failure: the seed, the path and the shrunk counterexample, with the error. */
function hold<T extends unknown[]>(property: fc.IAsyncPropertyWithHooks<T>): Promise<void> {
  return fc.assert(property, { seed: SEED, numRuns: RUNS });
}

describe('properties of validate and compile (fast-check)', () => {
  it(`generated workflows (seed ${SEED}, ${RUNS} runs)`, { timeout: 120_000 }, async () => {
    const statuses: number[] = [];
    await hold(
      fc.asyncProperty(generatedCase, async (c) => {
        const base = fresh();
        const dir = path.join(base, c.folder);
        makeFolder(dir);
        writeFileSync(path.join(dir, 'wf.yaml'), c.text);
        const r = await checkRun(dir, 'wf.yaml', path.join(base, 'out'), c.doc);
        statuses.push(r.status);
      }),
    );
    // Both outcomes are exercised, or the generator drifted.
    expect(statuses.filter((s) => s === 0).length).toBeGreaterThan(RUNS / 10);
    expect(statuses.filter((s) => s === 1).length).toBeGreaterThan(RUNS / 10);
  });

  it(`mutated golden fixtures (seed ${SEED}, ${RUNS} runs)`, { timeout: 120_000 }, async () => {
    const copies = new Map<string, string>();
    await hold(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), mutation, async (fixture, m) => {
        let dir = copies.get(fixture);
        if (!dir) {
          dir = path.join(root, `fixture-${fixture}`);
          cpSync(path.join(REPO, 'fixtures', fixture), dir, {
            recursive: true,
            filter: (src) => !src.includes(`${path.sep}expected`),
          });
          copies.set(fixture, dir);
        }
        const text = mutate(readFileSync(path.join(dir, 'workflow.yaml'), 'utf8'), m);
        const file = `m${n}.yaml`;
        writeFileSync(path.join(dir, file), text);
        await checkRun(dir, file, path.join(fresh(), 'out'));
      }),
    );
  });
});
