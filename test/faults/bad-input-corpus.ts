/**
 * The bad-input corpus: every malformed workflow (fixtures/bad-input/workflows/) and site catalog
 * (fixtures/bad-input/sites/) goes through `vmdag validate FILE`, `vmdag validate --json FILE` and
 * `vmdag compile FILE -o DIR` and must fail cleanly: exit 1, diagnostics FILE:LINE:COL with line and column
 * ≥ 1 naming the bad file, no stack trace, nothing written (DIR absent, no temporary folder beside it).
 * bad-input-in-process.test.ts (unit) runs the CLI's main() in-process; bad-input.test.ts (lab project) runs
 * the real CLI process per case and also holds each to 1 s of wall time and 256 MiB of memory.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labRequired } from '../lab/lab-context.js';
import { crashLines, DIAGNOSTIC_LINE, type ProcessResult, REPO } from './cli-process.js';

/** The cwd of every run: the case files are named relative to it. */
export const CORPUS = path.join(REPO, 'fixtures/bad-input');
/** Wall-time budget of one CLI process (node start-up included). */
const BUDGET_MS = 1000;
const MEMORY_KIB = 256 * 1024;

interface Case {
  kind: 'workflow' | 'sites';
  /** The bad file, relative to CORPUS (the cwd of every run). */
  file: string;
}

const cases: Case[] = [
  ...readdirSync(path.join(CORPUS, 'workflows'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ kind: 'workflow' as const, file: `workflows/${f}` })),
  ...readdirSync(path.join(CORPUS, 'sites'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ kind: 'sites' as const, file: `sites/${f}` })),
];

/** Arguments naming the input: the bad workflow, or a valid workflow with the bad catalog. */
function inputArgs(c: Case): string[] {
  return c.kind === 'workflow' ? [c.file] : ['--sites', c.file, 'valid/workflow.yaml'];
}

const timings: { name: string; ms: number; rss?: number }[] = [];

function record(name: string, r: ProcessResult): void {
  timings.push({ name, ms: r.ms, ...(r.maxRssKiB !== undefined ? { rss: r.maxRssKiB } : {}) });
}

/** The checks every run shares: exit 1, not killed, no crash text; within time and memory when `budget`. */
function expectCleanFailure(what: string, r: ProcessResult, budget: boolean): void {
  expect(r.signal, `${what}: killed (${r.signal}) after ${r.ms.toFixed(0)} ms`).toBeNull();
  expect(r.status, `${what}: exit status\n${r.stderr.slice(0, 2000)}`).toBe(1);
  expect(crashLines(r.stderr + r.stdout), `${what}: crash output`).toEqual([]);
  if (!budget) return;
  expect(r.ms, `${what}: wall time`).toBeLessThan(BUDGET_MS);
  // Peak memory is measured by GNU time (cli-process.ts); without it the budget is unchecked: a failure under
  // labRequired, else noted once in the summary of afterAll.
  if (r.maxRssKiB === undefined && labRequired)
    expect.fail(`${what}: peak memory not measured (/usr/bin/time missing: apt-get install time)`);
  if (r.maxRssKiB !== undefined) expect(r.maxRssKiB, `${what}: peak memory (KiB)`).toBeLessThan(MEMORY_KIB);
}

/** Every stderr line is a diagnostic (or "FILE: valid" for the good workflow); one error names the bad file. */
function expectTextDiagnostics(what: string, c: Case, stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines.length, `${what}: no diagnostics`).toBeGreaterThan(0);
  let located = 0;
  for (const line of lines) {
    if (line === 'valid/workflow.yaml: valid') continue;
    const m = DIAGNOSTIC_LINE.exec(line);
    expect(m, `${what}: not a FILE:LINE:COL diagnostic: ${line.slice(0, 300)}`).not.toBeNull();
    if (!m) continue;
    expect(Number(m[2]), `${what}: line of ${line.slice(0, 200)}`).toBeGreaterThanOrEqual(1);
    expect(Number(m[3]), `${what}: column of ${line.slice(0, 200)}`).toBeGreaterThanOrEqual(1);
    if (m[1] === c.file && m[4] === 'error') located++;
  }
  expect(located, `${what}: no error located in ${c.file}`).toBeGreaterThan(0);
}

/**
 * The corpus as a suite titled `title`: `vmdag` runs the CLI with the given arguments in CORPUS; with `budget`
 * each run is also held to the wall time and memory of one process, and the figures are printed at the end.
 */
export function badInputSuite(
  title: string,
  vmdag: (args: string[]) => ProcessResult | Promise<ProcessResult>,
  budget: boolean,
): void {
  describe(title, () => {
    it('the corpus holds at least 50 malformed files, workflows and site catalogs', () => {
      expect(cases.length).toBeGreaterThanOrEqual(50);
      expect(cases.filter((c) => c.kind === 'workflow').length).toBeGreaterThanOrEqual(40);
      expect(cases.filter((c) => c.kind === 'sites').length).toBeGreaterThanOrEqual(10);
    });

    it('the valid workflow used with the bad catalogs is itself valid', async () => {
      const r = await vmdag(['validate', 'valid/workflow.yaml']);
      expect(r.status, r.stderr).toBe(0);
    });

    for (const c of cases) {
      describe(c.file, () => {
        it(`validate: exit 1, FILE:LINE:COL diagnostics, no stack trace${budget ? ', within 1 s' : ''}`, async () => {
          const r = await vmdag(['validate', ...inputArgs(c)]);
          record(`validate ${c.file}`, r);
          expectCleanFailure(`validate ${c.file}`, r, budget);
          expect(r.stdout).toBe('');
          expectTextDiagnostics(`validate ${c.file}`, c, r.stderr);
        });

        it('validate --json: ok false, every diagnostic at line and column ≥ 1', async () => {
          const r = await vmdag(['validate', '--json', ...inputArgs(c)]);
          record(`validate --json ${c.file}`, r);
          expectCleanFailure(`validate --json ${c.file}`, r, budget);
          const j = JSON.parse(r.stdout) as {
            ok: boolean;
            diagnostics: { file: string; line: number; column: number; severity: string }[];
          };
          expect(j.ok).toBe(false);
          expect(j.diagnostics.some((d) => d.file === c.file && d.severity === 'error')).toBe(true);
          for (const d of j.diagnostics) {
            expect(Number.isInteger(d.line) && d.line >= 1, JSON.stringify(d).slice(0, 300)).toBe(true);
            expect(Number.isInteger(d.column) && d.column >= 1, JSON.stringify(d).slice(0, 300)).toBe(true);
          }
        });

        it('compile -o DIR: exit 1, diagnostics, DIR not created and nothing left beside it', async () => {
          const parent = mkdtempSync(path.join(tmpdir(), 'vmdag-bad-'));
          try {
            const out = path.join(parent, 'run');
            const r = await vmdag(['compile', ...inputArgs(c), '-o', out]);
            record(`compile ${c.file}`, r);
            expectCleanFailure(`compile ${c.file}`, r, budget);
            expect(r.stdout).toBe('');
            expectTextDiagnostics(`compile ${c.file}`, c, r.stderr);
            expect(existsSync(out)).toBe(false);
            expect(readdirSync(parent)).toEqual([]);
          } finally {
            rmSync(parent, { recursive: true, force: true });
          }
        });
      });
    }

    afterAll(() => {
      if (!budget || timings.length === 0) return;
      const ms = timings.map((t) => t.ms).sort((a, b) => a - b);
      const rss = timings.flatMap((t) => (t.rss !== undefined ? [t.rss] : [])).sort((a, b) => a - b);
      const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
      const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 3);
      process.stderr.write(
        `bad-input: ${cases.length} files (${cases.filter((c) => c.kind === 'workflow').length} workflows, ` +
          `${cases.filter((c) => c.kind === 'sites').length} site catalogs), ${timings.length} CLI runs; wall ms ` +
          `median ${q(ms, 0.5).toFixed(0)} p95 ${q(ms, 0.95).toFixed(0)} max ${q(ms, 1).toFixed(0)}` +
          (rss.length
            ? `; peak RSS MiB median ${(q(rss, 0.5) / 1024).toFixed(0)} max ${(q(rss, 1) / 1024).toFixed(0)}`
            : '; peak memory NOT checked (no /usr/bin/time)') +
          `; slowest: ${slowest.map((t) => `${t.name} ${t.ms.toFixed(0)} ms`).join(', ')}\n`,
      );
    });
  });
}
