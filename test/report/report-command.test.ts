/** `vmdag report`: exit codes (no HTCondor needed; report-run.test.ts reports a run of the lab pool). */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { capture } from '../capture-output.js';
import { RECORDED } from './recorded.js';

/** A copy of a recorded run directory, with a run.json when `submitted`. */
function recordedDir(name: string, submitted: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmdag-report-'));
  for (const f of ['plan.json', 'diamond.dag']) copyFileSync(join(RECORDED, name, f), join(dir, f));
  if (submitted)
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ dagmanJobId: 27, site: 'local', submittedAt: '' }));
  return dir;
}

describe('vmdag report: exit codes', () => {
  const saved = process.env.VMDAG_CONDOR_PREFIX;
  afterEach(() => {
    if (saved === undefined) delete process.env.VMDAG_CONDOR_PREFIX;
    else process.env.VMDAG_CONDOR_PREFIX = saved;
  });
  it('1 when DIR is not a run directory', async () => {
    const o = capture();
    expect(await main(['report', tmpdir(), '--json'], o)).toBe(1);
    expect(JSON.parse(o.stdout)).toEqual({ ok: false, error: expect.stringMatching(/no plan\.json/) });
  });
  it('1 when the run directory was never submitted', async () => {
    const o = capture();
    expect(await main(['report', recordedDir('native-diamond', false)], o)).toBe(1);
    expect(o.stderr).toMatch(/never submitted \(no run\.json\)/);
  });
  it('3 when HTCondor cannot be run', async () => {
    process.env.VMDAG_CONDOR_PREFIX = '/nonexistent/condor-prefix';
    const o = capture();
    expect(await main(['report', recordedDir('native-diamond', true)], o)).toBe(3);
  });
});
