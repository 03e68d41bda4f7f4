/**
 * The helper scripts' own logic, run with /bin/sh in a scratch folder. What HTCondor does around them (chirp,
 * the parallel universe, DAGMan) is exercised by the lab tests; here only what the scripts decide by
 * themselves: the POST script's choice of node 0's outputs, the launcher's placeholders and exit status in
 * `none` mode (with the environment variables the starter sets), argument checks.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../src/render/templates.js';

const script = (name: string) => join(TEMPLATES_DIR, 'scripts', name);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmdag-scripts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sh(args: string[], env: Record<string, string> = {}) {
  return spawnSync('/bin/sh', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('vmdag-collect.sh', () => {
  beforeEach(() => {
    mkdirSync(join(dir, 'outputs'));
    writeFileSync(join(dir, 'outputs', '.hpl.0.HPL.out'), 'from node 0');
    writeFileSync(join(dir, 'outputs', '.hpl.1.HPL.out'), '');
    writeFileSync(join(dir, 'outputs', '.hpl.2.HPL.out'), '');
    writeFileSync(join(dir, 'outputs', '.other.0.HPL.out'), 'another step');
  });
  it("keeps node 0's file, drops the placeholders, and passes success on", () => {
    const r = sh([script('vmdag-collect.sh'), '0', 'hpl', 'HPL.out']);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'outputs', 'HPL.out'), 'utf8')).toBe('from node 0');
    expect(readdirSync(join(dir, 'outputs')).sort()).toEqual(['.other.0.HPL.out', 'HPL.out']);
  });
  it('passes a failure on (still collecting)', () => {
    const r = sh([script('vmdag-collect.sh'), '-1002', 'hpl', 'HPL.out']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('step hpl failed (return -1002)');
    expect(existsSync(join(dir, 'outputs', 'HPL.out'))).toBe(true);
  });
});

describe('vmdag-mpi.sh none', () => {
  beforeEach(() => {
    writeFileSync(join(dir, 'job.ad'), 'Owner = "nobody"\nTransferOutput = "r.txt,s.txt"\n');
    writeFileSync(join(dir, 'ok'), '#!/bin/sh\necho "ran with $# args: $*"\necho out > r.txt\n');
    writeFileSync(join(dir, 'fail'), '#!/bin/sh\nexit 7\n');
  });
  const env = (node: string) => ({
    _CONDOR_PROCNO: node,
    _CONDOR_NPROCS: '2',
    _CONDOR_SCRATCH_DIR: dir,
    _CONDOR_JOB_AD: join(dir, 'job.ad'),
  });
  it('node 0: runs the command (execute bit set), HOME is the scratch dir, no placeholders on success', () => {
    const r = sh([script('vmdag-mpi.sh'), 'none', '2', '1', './ok', 'a b', 'c'], env('0'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ran with 2 args: a b c\n');
    expect(existsSync(join(dir, 's.txt'))).toBe(false);
  });
  it('other nodes: empty placeholders for missing outputs, existing ones kept', () => {
    const r = sh([script('vmdag-mpi.sh'), 'none', '2', '1', './ok'], env('1'));
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'r.txt'), 'utf8')).toBe('out\n');
    expect(readFileSync(join(dir, 's.txt'), 'utf8')).toBe('');
  });
  it("node 0: the command's exit status, and placeholders so the failure is not hidden by a hold", () => {
    const r = sh([script('vmdag-mpi.sh'), 'none', '2', '1', './fail'], env('0'));
    expect(r.status).toBe(7);
    expect(existsSync(join(dir, 'r.txt'))).toBe(true);
  });
  it('an unknown MPI kind is refused', () => {
    const r = sh([script('vmdag-mpi.sh'), 'lam', '2', '1', './ok'], env('0'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown MPI kind 'lam'");
  });
});

describe('gate and stop argument checks', () => {
  it.each([['vmdag-gate.sh'], ['vmdag-stop.sh']])(
    '%s refuses a non-numeric id before any HTCondor call',
    (name) => {
      const r = sh([script(name), '12; rm -rf /', '1', '5']);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('bad arguments');
    },
  );
});
