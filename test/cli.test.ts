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
});
