import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { capture } from './capture-output.js';

describe('cli', () => {
  it('exits 2 with usage when given no command', async () => {
    const o = capture();
    expect(await main([], o)).toBe(2);
    expect(o.stderr).toContain('Usage: vmdag');
  });
  it('exits 2 on an unknown command', async () => {
    const o = capture();
    expect(await main(['frobnicate'], o)).toBe(2);
    expect(o.stderr).toMatch(/unknown command|too many arguments/);
  });
  it('prints the version and exits 0 with --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const o = capture();
      expect(await main([flag], o)).toBe(0);
      expect(o.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
  it('still lists every command in the help', async () => {
    const o = capture();
    expect(await main(['--help'], o)).toBe(0);
    for (const name of ['validate', 'compile', 'submit', 'status', 'report', 'rm', 'lab']) {
      expect(o.stdout).toContain(name);
    }
  });
});
