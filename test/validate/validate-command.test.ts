import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnosticText } from '../../src/commands/format-diagnostics.js';
import { runValidate } from '../../src/commands/validate.js';
import { findSitesFile } from '../../src/validate/find-sites.js';
import { capture } from '../capture-output.js';

const invalidDir = resolve(import.meta.dirname, '../../fixtures/invalid');
const work = mkdtempSync(join(tmpdir(), 'vmdag-validate-'));
writeFileSync(join(work, 'app'), '#!/bin/sh\n');
writeFileSync(
  join(work, 'ok.yaml'),
  'version: 1\nname: ok\ncompute:\n  cpus: 1\n  executable: app\nsite: org-a\n',
);
writeFileSync(join(work, 'sites.yaml'), 'version: 1\nsites:\n  - name: org-a\n    pool: cm.example:9618\n');
writeFileSync(join(work, 'bad-sites.yaml'), 'version: 1\nsites: []\n');

describe('vmdag validate', () => {
  it('exits 2 without a file', async () => {
    const o = capture();
    expect(await runValidate([], {}, o, { cwd: work, env: {} })).toBe(2);
    expect(o.stderr).toContain('usage: vmdag validate');
  });
  it('prints each mistake as FILE:LINE:COL: error: MESSAGE [CODE] on stderr and exits 1', async () => {
    const o = capture();
    const code = await runValidate(['many-mistakes-single.yaml'], {}, o, { cwd: invalidDir, env: {} });
    expect(code).toBe(1);
    expect(o.stdout).toBe('');
    const lines = o.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const line of lines)
      expect(line).toMatch(/^many-mistakes-single\.yaml:\d+:\d+: error: .+ \[[a-z]+\.[a-z-]+\]$/);
    expect(lines).toContain(
      'many-mistakes-single.yaml:1:10: error: version must be 1 (got 2) [schema.const]',
    );
  });
  it('--json prints one document on stdout', async () => {
    const o = capture();
    const code = await runValidate(['version-2.yaml'], { json: true }, o, { cwd: invalidDir, env: {} });
    expect(code).toBe(1);
    expect(JSON.parse(o.stdout)).toEqual({
      ok: false,
      diagnostics: [
        {
          severity: 'error',
          code: 'schema.const',
          message: 'version must be 1 (got 2)',
          file: 'version-2.yaml',
          line: 1,
          column: 10,
          pointer: '/version',
        },
      ],
    });
  });
  it('finds ./sites.yaml and accepts a valid file (exit 0)', async () => {
    const o = capture();
    expect(await runValidate(['ok.yaml'], { json: true }, o, { cwd: work, env: {} })).toBe(0);
    expect(JSON.parse(o.stdout)).toEqual({ ok: true, diagnostics: [] });
  });
  it('an invalid catalog is reported in its own file, not as an unknown site', async () => {
    const o = capture();
    expect(await runValidate(['ok.yaml'], { sites: 'bad-sites.yaml' }, o, { cwd: work, env: {} })).toBe(1);
    expect(o.stderr).toContain(
      'bad-sites.yaml:2:8: error: sites must list at least 1 item(s) [schema.min-items]',
    );
    expect(o.stderr).not.toContain('rule.unknown-site');
  });
  it('a missing file is a diagnostic (exit 1)', async () => {
    const o = capture();
    expect(await runValidate(['nope.yaml'], {}, o, { cwd: work, env: {} })).toBe(1);
    expect(o.stderr).toBe('nope.yaml:1:1: error: cannot read nope.yaml: no such file [file.unreadable]\n');
  });
});

describe('findSitesFile', () => {
  const exists = (p: string) => p === '/cwd/sites.yaml';
  const rows: [string, { flag?: string; env: Record<string, string>; want?: [string, string] }][] = [
    ['--sites wins', { flag: 'a.yaml', env: { VMDAG_SITES: '/b.yaml' }, want: ['/cwd/a.yaml', 'flag'] }],
    ['then VMDAG_SITES', { env: { VMDAG_SITES: '/b.yaml' }, want: ['/b.yaml', 'env'] }],
    ['then ./sites.yaml', { env: {}, want: ['/cwd/sites.yaml', 'cwd'] }],
  ];
  for (const [name, row] of rows)
    it(name, () => {
      const r = findSitesFile({ flag: row.flag, env: row.env, cwd: '/cwd', fileExists: exists });
      expect(r && [r.absPath, r.from]).toEqual(row.want);
    });
  it('else none', () => {
    expect(findSitesFile({ env: {}, cwd: '/elsewhere', fileExists: exists })).toBeUndefined();
  });
});

describe('formatDiagnosticText', () => {
  it('keeps one diagnostic on one line', () => {
    const text = formatDiagnosticText({
      severity: 'error',
      code: 'rule.file-missing',
      message: 'input "a\nb" does not exist',
      file: 'w.yaml',
      line: 3,
      column: 7,
      pointer: '/compute/inputs/0',
    });
    expect(text).toBe('w.yaml:3:7: error: input "a\\nb" does not exist [rule.file-missing]');
  });
});
