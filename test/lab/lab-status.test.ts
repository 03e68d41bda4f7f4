import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { findCondorContext } from '../../src/commands/condor-context.js';
import type { Output } from '../../src/commands/types.js';
import { runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { bridgeMac } from '../../src/lab/netns.js';
import { labContext, NO_LAB, requireOrSkip } from './lab-context.js';

const ctx = await labContext();

function capture(): Output & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out: (t: string) => {
      o.stdout += t;
    },
    err: (t: string) => {
      o.stderr += t;
    },
  };
  return o;
}

requireOrSkip(ctx, NO_LAB).describe('lab status (real pool)', () => {
  it('status --json names the running pool, and its schedd is the one the collector lists', async () => {
    const o = capture();
    expect(await main(['lab', 'status', '--json'], o)).toBe(0);
    const st = JSON.parse(o.stdout) as {
      running: boolean;
      htcondorVersion: string;
      pools: { name: string; collector: string; schedd: string; vm?: boolean }[];
      domains: string[];
      prefix: string[];
      leftoverGuests: unknown[];
    };
    expect(st.running).toBe(true);
    // No test leaves a guest behind (files run in a shuffled order, so this is checked after different ones).
    expect(st.leftoverGuests).toEqual([]);
    expect(st.htcondorVersion).toMatch(/^(23|25)\.\d+\.\d+$/);
    // org-a, the lab's own pool, first; the organisations apart from it once `lab up --orgs 2|3` ran
    // (test/integration/two-orgs, orgs-travel), each with its own collector, schedd, tokens.
    expect(st.pools[0]).toMatchObject({ name: 'org-a', collector: '10.213.7.1:9618' });
    const known: Record<string, object> = {
      'org-b': {
        collector: '10.213.31.1:9618',
        schedd: 'org-b@org-b-gw',
        vm: false,
        master: 'org-b/condor_master',
      },
      'org-c': { collector: '10.213.32.1:9618', schedd: 'org-c@org-c-gw', master: 'org-c/condor_master' },
    };
    for (const p of st.pools.slice(1)) {
      expect(Object.keys(known)).toContain(p.name);
      expect(p).toMatchObject({
        ...known[p.name],
        transfer: 'spool',
        tokens: expect.stringMatching(/\/tokens\/org-[bc]$/),
      });
    }
    expect(Array.isArray(st.domains)).toBe(true);
    expect(existsSync(st.prefix[0] ?? '')).toBe(true);
    if (!ctx) throw new Error(NO_LAB);
    const schedds = await runCondor(ctx, 'condor_status', ['-schedd', '-af', 'Name'], { cwd: '/' });
    expect(schedds.stdout.trim()).toBe(st.pools[0]?.schedd);
    const version = await runCondor(ctx, 'condor_version', [], { cwd: '/' });
    expect(version.stdout).toContain(`$CondorVersion: ${st.htcondorVersion} `);
  });

  it('every slot belongs to the schedd’s dedicated scheduler (parallel universe)', async () => {
    if (!ctx) throw new Error(NO_LAB);
    // The lab's own slots; VM guests of running workflows join the same pool and advertise VmGuest.
    const r = await runCondor(
      ctx,
      'condor_status',
      ['-const', 'VmGuest =!= true', '-af', 'Name', 'DedicatedScheduler', 'SlotType'],
      { cwd: '/' },
    );
    const rows = r.stdout.trim().split('\n');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) expect(row).toMatch(/^slot\d+@vmdag-lab DedicatedScheduler@vmdag-lab Static$/);
  });

  it("the bridge keeps its own MAC when a port leaves (not its lowest port's, which left with each VM)", async () => {
    const lab = await labStatus();
    const ns = lab.netns ?? '';
    const sh = (...a: string[]) => execFileSync('ip', ['-n', ns, ...a], { encoding: 'utf8' });
    const mac = () => /link\/ether (\S+)/.exec(sh('link', 'show', 'vmdagbr0'))?.[1];
    expect(mac()).toBe(bridgeMac('10.213.7.1'));
    // A port with a lower MAC than the bridge's joins and leaves, as a VM's tap (fe:54:00:…) would.
    const port = `vmdagt${process.pid % 100000}`;
    sh('link', 'add', port, 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', `${port}p`);
    try {
      sh('link', 'set', port, 'master', 'vmdagbr0');
      expect(mac()).toBe(bridgeMac('10.213.7.1'));
    } finally {
      sh('link', 'del', port);
    }
    expect(mac()).toBe(bridgeMac('10.213.7.1'));
  });

  it('the condor context resolves VMDAG_CONDOR_PREFIX first, then the running lab', async () => {
    const fromEnv = await findCondorContext({ VMDAG_CONDOR_PREFIX: ' /x/lab-exec  -- ' });
    expect(fromEnv).toEqual({ prefix: ['/x/lab-exec', '--'], source: 'env' });
    const fromLab = await findCondorContext({});
    expect(fromLab.source).toBe('lab');
    expect(fromLab.prefix[0]).toMatch(/\/current\/bin\/lab-exec$/);
  });
});
