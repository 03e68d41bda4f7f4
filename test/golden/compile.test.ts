import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { runCompile } from '../../src/commands/compile.js';
import { compile } from '../../src/compile.js';
import { capture } from '../capture-output.js';
import { writeQcow2 } from '../image-files.js';

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

/**
 * A site the run travels to (catalog `transfer: spool`, the default): compile names every file the DAG's
 * jobs take from the submit host by its base name (it will sit flat in the DAG's working directory at the
 * site) and lists the absolute paths to send in plan.json. fixtures/spool-site is the golden of a VM run.
 */
describe('compile for a site the run travels to (transfer: spool)', () => {
  const CATALOG = (extra = '') =>
    `version: 1\nsites:\n  - name: org-b\n    pool: cm.b:9618\n    tokens: /etc/tokens.d/org-b\n${extra}`;
  const NATIVE = `version: 1
name: tiny
site: org-b
compute:
  - name: one
    cpus: 2
    executable: run
    inputs: [a/x.dat, c/in.csv]
  - name: two
    after: [one]
    cpus: 1
    executable: run
    inputs: [c/in.csv]
`;
  const VM = `version: 1
name: tiny
site: org-b
vm:
  hypervisor: kvm
  image: {path: img/guest.qcow2, location: local}
  count: 2
  cpus: 1
  memory: 512MiB
compute:
  cpus: 2
  executable: run
  inputs: [a/x.dat]
`;
  const compiled = async (workflow: string, catalog = CATALOG()) => {
    mkdirSync(join(dir, 'c'));
    mkdirSync(join(dir, 'img'));
    writeFileSync(join(dir, 'c', 'in.csv'), 'x\n');
    writeQcow2(join(dir, 'img', 'guest.qcow2'));
    writeFileSync(join(dir, 'sites.yaml'), catalog);
    writeFileSync(join(dir, 'wf.yaml'), workflow);
    const r = await compile('wf.yaml', { cwd: dir, env: {}, outDir: join(dir, 'out') });
    const read = (f: string) => readFileSync(join(dir, 'out', f), 'utf8');
    return { r, read, plan: () => JSON.parse(read('plan.json')) };
  };

  it('native: the DAG VARS name the executable and inputs by base name; plan.json sends each once, absolute', async () => {
    const { r, read, plan } = await compiled(NATIVE);
    expect(r.diagnostics).toEqual([]);
    expect(r.plan?.site).toEqual({
      name: 'org-b',
      pool: 'cm.b:9618',
      transfer: 'spool',
      tokens: '/etc/tokens.d/org-b',
    });
    const vars = read('tiny.dag')
      .split('\n')
      .filter((l) => l.startsWith('VARS '));
    expect(vars.map((l) => /vmdag_inputs="([^"]*)"/.exec(l)?.[1])).toEqual([
      'run,x.dat,in.csv',
      'run,in.csv',
    ]);
    expect(read('tiny.dag')).not.toContain(dir);
    expect(read('compute.sub')).not.toContain(dir);
    expect(plan().site).toEqual({
      name: 'org-b',
      pool: 'cm.b:9618',
      transfer: 'spool',
      tokens: '/etc/tokens.d/org-b',
    });
    expect(plan().send).toEqual([join(dir, 'run'), join(dir, 'a', 'x.dat'), join(dir, 'c', 'in.csv')]);
  });

  it('VM with a local image: vms.sub transfers and boots it by its bare name; it is sent first', async () => {
    const { r, read, plan } = await compiled(VM);
    expect(r.diagnostics).toEqual([]);
    const vms = read('vms.sub');
    expect(vms).toMatch(/^transfer_input_files = guest\.qcow2$/m);
    expect(vms).toMatch(/^vm_disk = guest\.qcow2:vda:w:qcow2$/m);
    expect(vms).not.toContain(dir);
    expect(read('tiny.dag')).toMatch(/vmdag_inputs="run,x\.dat"/);
    expect(plan().vm.image).toMatchObject({ delivery: 'per-vm', transferred: true, dagPath: 'guest.qcow2' });
    expect(plan().send).toEqual([join(dir, 'img', 'guest.qcow2'), join(dir, 'run'), join(dir, 'a', 'x.dat')]);
  });

  it('transfer: shared keeps absolute paths and writes no send', async () => {
    const { r, read, plan } = await compiled(NATIVE, CATALOG('    transfer: shared\n'));
    expect(r.diagnostics).toEqual([]);
    expect(read('tiny.dag')).toContain(`vmdag_inputs="${join(dir, 'run')},${join(dir, 'a', 'x.dat')},`);
    expect(plan().site.transfer).toBe('shared');
    expect(plan().send).toBeUndefined();
  });

  it('two files with one base name: a diagnostic at the second, with line:column, and nothing written', async () => {
    const { r } = await compiled(NATIVE.replace('inputs: [c/in.csv]', 'inputs: [b/x.dat]'));
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: 'plan.spool-name-clash',
        file: 'wf.yaml',
        pointer: '/compute/1/inputs/0',
        line: 13,
        column: 14,
        message: `input ${join(dir, 'b', 'x.dat')} of step "two" and input ${join(dir, 'a', 'x.dat')} of step "one" would land in the same place at the site: the run travels with its files (transfer: spool) and both go into its folder there as 'x.dat'; rename one`,
      }),
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
