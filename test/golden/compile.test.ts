import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { runCompile } from '../../src/commands/compile.js';
import { compile } from '../../src/compile.js';
import { capture } from '../capture-output.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmdag-compile-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a', 'x.dat'), '1');
  writeFileSync(join(dir, 'b', 'x.dat'), '2');
  writeFileSync(join(dir, 'run'), '#!/bin/sh\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const VALID = `version: 1
name: tiny
compute:
  cpus: 2
  executable: run
`;

describe('compile', () => {
  it('a problem only the plan sees is a diagnostic at its value, and nothing is written', async () => {
    writeFileSync(join(dir, 'wf.yaml'), `${VALID}  inputs: [a/x.dat, b/x.dat]\n`);
    const r = await compile('wf.yaml', { cwd: dir, env: {} });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: 'plan.sandbox-name-clash',
        file: 'wf.yaml',
        pointer: '/compute/inputs/1',
        line: 6,
        column: 21,
      }),
    ]);
    expect(existsSync(join(dir, 'tiny.run'))).toBe(false);
  });

  it('defaults the run directory to ./<name>.run', async () => {
    writeFileSync(join(dir, 'wf.yaml'), VALID);
    const r = await compile('wf.yaml', { cwd: dir, env: {} });
    expect(r.ok).toBe(true);
    expect(r.outDir).toBe(join(dir, 'tiny.run'));
    expect(r.dag).toBe(join(dir, 'tiny.run', 'tiny.dag'));
    expect(existsSync(join(dir, 'tiny.run', 'compute.sub'))).toBe(true);
  });

  it('a missing file is a diagnostic', async () => {
    const r = await compile('nope.yaml', { cwd: dir, env: {} });
    expect(r.diagnostics[0]).toMatchObject({ code: 'file.unreadable', file: 'nope.yaml' });
  });
});

describe('vmdag compile (CLI)', () => {
  it('--json prints {ok, outDir, dag, files} and exits 0', async () => {
    writeFileSync(join(dir, 'wf.yaml'), VALID);
    const o = capture();
    const code = await main(['compile', join(dir, 'wf.yaml'), '-o', join(dir, 'out'), '--json'], o);
    expect(code).toBe(0);
    const doc = JSON.parse(o.stdout);
    expect(doc).toMatchObject({ ok: true, outDir: join(dir, 'out'), dag: join(dir, 'out', 'tiny.dag') });
    expect(doc.files).toContain('compute.sub');
  });

  it('invalid input: exit 1 and the diagnostics JSON', async () => {
    writeFileSync(join(dir, 'wf.yaml'), 'version: 1\nname: tiny\n');
    const o = capture();
    const code = await main(['compile', join(dir, 'wf.yaml'), '--json'], o);
    expect(code).toBe(1);
    const doc = JSON.parse(o.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.diagnostics.length).toBeGreaterThan(0);
  });

  it('an invalid VMDAG_HOLD_TIMEOUT is a diagnostic on the workflow file: exit 1, nothing written', async () => {
    writeFileSync(join(dir, 'wf.yaml'), VALID);
    const o = capture();
    const code = await runCompile(['wf.yaml'], { json: true }, o, {
      cwd: dir,
      env: { VMDAG_HOLD_TIMEOUT: '5m' },
    });
    expect(code).toBe(1);
    expect(JSON.parse(o.stdout).diagnostics).toEqual([
      {
        severity: 'error',
        code: 'option.hold-timeout',
        message: 'VMDAG_HOLD_TIMEOUT must be a whole number of seconds between 1 and 9999999 (got "5m")',
        file: 'wf.yaml',
        line: 1,
        column: 1,
        pointer: '',
      },
    ]);
    expect(existsSync(join(dir, 'tiny.run'))).toBe(false);
  });

  it('--hold-timeout wins over VMDAG_HOLD_TIMEOUT; an invalid flag is a usage error (exit 2)', async () => {
    writeFileSync(join(dir, 'wf.yaml'), VALID);
    const env = { VMDAG_HOLD_TIMEOUT: '5m' };
    expect(await runCompile(['wf.yaml'], { holdTimeout: '45' }, capture(), { cwd: dir, env })).toBe(0);
    expect(readFileSync(join(dir, 'tiny.run', 'compute.sub'), 'utf8')).toMatch(/EnteredCurrentStatus > 45\)/);
    const o = capture();
    expect(await runCompile(['wf.yaml'], { holdTimeout: '0' }, o, { cwd: dir, env: {} })).toBe(2);
    expect(o.stderr).toBe(
      'vmdag compile: --hold-timeout must be a whole number of seconds between 1 and 9999999 (got "0")\n',
    );
  });

  it('no file: usage error, exit 2', async () => {
    const o = capture();
    expect(await main(['compile'], o)).toBe(2);
  });
});
