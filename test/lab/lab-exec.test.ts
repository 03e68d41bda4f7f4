import { chownSync, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { labContext, NO_LAB, requireOrSkip, runDir } from './lab-context.js';

const ctx = await labContext();

requireOrSkip(ctx, NO_LAB).describe('lab exec (real lab)', () => {
  it('runs the command in the same directory, as an unprivileged user who can write there', async () => {
    if (!ctx) throw new Error('the lab is not running: vmdag lab up');
    const dir = runDir({ 'in.txt': 'from the host\n' });
    const r = await runCondor(ctx, 'sh', ['-c', 'pwd -P; id -u; cat in.txt; echo written > out.txt'], {
      cwd: dir,
    });
    const [pwd, uid, line] = r.stdout.split('\n');
    expect(pwd).toBe(realpathSync(dir));
    expect(Number(uid)).toBeGreaterThan(0);
    expect(line).toBe('from the host');
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('written\n');
    expect(statSync(dir).uid).toBe(0); // nothing was chowned: access comes from an ACL
  });

  it('runs as the owner of a working directory that is not root’s', async () => {
    if (!ctx) throw new Error('the lab is not running: vmdag lab up');
    const dir = runDir({});
    chownSync(dir, 4321, 4321);
    const r = await runCondor(ctx, 'sh', ['-c', 'id -u; id -g; touch made-here'], { cwd: dir });
    expect(r.stdout).toBe('4321\n4321\n');
    expect(statSync(path.join(dir, 'made-here')).uid).toBe(4321);
  });

  it('passes stdin through and returns the command’s exit code', async () => {
    if (!ctx) throw new Error('the lab is not running: vmdag lab up');
    const cat = await runCondor(ctx, 'cat', [], { cwd: '/', input: 'line one\nline two\n' });
    expect(cat.stdout).toBe('line one\nline two\n');
    const failed = await runCondor(ctx, 'sh', ['-c', 'echo oops >&2; exit 7'], {
      cwd: '/',
      allowFailure: true,
    });
    expect(failed.exitCode).toBe(7);
    expect(failed.stderr).toBe('oops\n');
  });

  it('reaches the pool over the lab’s bridge address, not the host’s loopback', async () => {
    if (!ctx) throw new Error('the lab is not running: vmdag lab up');
    const r = await runCondor(ctx, 'condor_config_val', ['CONDOR_HOST', 'NETWORK_INTERFACE'], { cwd: '/' });
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['10.213.7.1', '10.213.7.1']);
    expect(existsSync('/var/run/netns/vmdag-lab') || existsSync('/run/netns/vmdag-lab')).toBe(true);
  });
});
