/**
 * Several organisations on the real lab (issues 6 and 15): `vmdag lab up --orgs 3` (beforeAll: idempotent and
 * additive, a running org-a is left as it is) runs org-b and org-c apart from the lab pool org-a (their own
 * namespaces, roots and tokens; runs travel to them), and its site catalog (`lab status --json` sitesFile)
 * names all three. `vmdag sites`, `plan` and `submit` are run against them as a
 * user would; the figures are checked against each collector, and the native run's jobs against each
 * schedd's history. No mocks. When the lab is required (CI) a failed `lab up --orgs 2` fails the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAdsJson } from '../../src/condor/classads.js';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labStatus, stateFilePath } from '../../src/lab/index.js';
import { guestLeftovers } from '../lab/guests-left.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';
import { vmdag, workflowDir } from './cli-run.js';

const ctx = (await labContext()) as CondorContext;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pool {
  name: string;
  collector: string;
  schedd: string;
  vm?: boolean;
  tokens?: string;
}

/** The context for one pool's commands: with the tokens its organisation issued to the lab's user. */
const poolCtx = (pool: Pool): CondorContext =>
  pool.tokens ? { ...ctx, env: { ...ctx.env, _CONDOR_SEC_TOKEN_DIRECTORY: pool.tokens } } : ctx;
interface Slot {
  name: string;
  kind: string;
  cpus: number;
  memoryMiB: number;
  dedicated: boolean;
}
interface Machine {
  machine: string;
  totalCpus: number;
  totalMemoryMiB: number;
  hasVm: boolean;
  vmType?: string;
  slots: Slot[];
}
interface Site {
  name: string;
  pool?: string;
  reachable: boolean;
  error?: string;
  schedd?: string;
  scheddAddress?: string;
  condorVersion?: string;
  machines?: Machine[];
  totals?: { cpus: number; vmMachines: number; hypervisors: string[]; slots: number };
}
interface Verdict {
  site: string;
  reachable: boolean;
  fits: boolean;
  reasons: string[];
}
interface Plan {
  ok: boolean;
  site: { name: string; pool?: string; schedd?: string } | null;
  mode: string;
  why: string[];
  error?: string;
  sites: Verdict[];
}

const hello = `#!/bin/sh
r=\${OMPI_COMM_WORLD_RANK:-none}
echo "rank $r of \${OMPI_COMM_WORLD_SIZE:-none} node \${_CONDOR_PROCNO:-?} slot \${_CONDOR_SLOT:-?}"
if [ "$r" = 0 ] || [ "$r" = none ]; then echo "hello from rank $r" > hello.out; fi
exit 0
`;

/** A native workflow whose ranks need 4 GiB: org-b's slots hold ~6 GiB, org-a's ~3 GiB (8 slots). */
const nativeBig =
  'version: 1\nname: orgs-native\ncompute:\n  cpus: 2\n  memory: 4GiB\n  executable: bin/hello.sh\n  mpi: openmpi\n  outputs: [hello.out]\n';

function vmWorkflow(image: string): string {
  return [
    'version: 1',
    'name: orgs-vm',
    'vm:',
    '  hypervisor: kvm',
    `  image: {path: ${image}, location: cluster, format: raw, differential: false}`,
    '  count: 1',
    '  cpus: 1',
    '  memory: 512MiB',
    '  lease: 30m',
    'compute:',
    '  cpus: 1',
    '  memory: 128MiB',
    '  mpi: none',
    '  executable: bin/hello.sh',
    '  outputs: [hello.out]',
    '',
  ].join('\n');
}

/** `condor_history` of one schedd of one pool, projected. */
async function history(pool: Pool, constraint: string, attrs: string[]) {
  const args = ['-pool', pool.collector, '-name', pool.schedd, '-json', '-constraint', constraint];
  const r = await runCondor(poolCtx(pool), 'condor_history', [...args, '-attributes', attrs.join(',')], {
    cwd: '/',
    retryTransientMs: 30_000,
  });
  return parseAdsJson(r.stdout);
}

/** org-a's history read as `vmdag status` reads it for a schedd Name without '@' (the local schedd). */
async function localHistory(constraint: string) {
  const r = await runCondor(
    ctx,
    'condor_history',
    ['-json', '-constraint', constraint, '-attributes', 'ClusterId,GlobalJobId'],
    { cwd: '/', retryTransientMs: 30_000 },
  );
  return parseAdsJson(r.stdout);
}

/** Who org-a's daemons are: its master's pid, the master's and the startd's DaemonStartTime (its collector's ad has none). */
async function orgAIdentity(): Promise<string | undefined> {
  const state = labState();
  const master = state?.daemons.find((d) => d.name === 'condor_master');
  if (!master) return undefined;
  const r = await runCondor(
    ctx,
    'condor_status',
    [
      '-pool',
      '10.213.7.1:9618',
      '-any',
      '-const',
      '(MyType == "DaemonMaster" || MyType == "StartD") && Machine == "vmdag-lab"',
      '-af',
      'MyType',
      'DaemonStartTime',
    ],
    { cwd: '/', retryTransientMs: 10_000 },
  );
  return `master ${master.pid}; ${r.stdout.trim().split('\n').sort().join('; ')}`;
}

function labState(): { daemons: { name: string; pid: number }[] } | undefined {
  try {
    return JSON.parse(readFileSync(stateFilePath(), 'utf8'));
  } catch {
    return undefined;
  }
}

async function watch(runDir: string): Promise<{ code: number; status: Record<string, unknown> }> {
  let w = await vmdag(['status', '--watch', '--interval', '2', '--json', runDir]);
  for (let i = 0; i < 10 && (JSON.parse(w.stdout) as { ok?: boolean }).ok === false; i++) {
    await sleep(5000);
    w = await vmdag(['status', '--watch', '--interval', '2', '--json', runDir]);
  }
  return { code: w.code, status: JSON.parse(w.stdout) as Record<string, unknown> };
}

requireOrSkip(ctx, NO_LAB).describe('organisations on the lab (lab up --orgs 3)', () => {
  let pools: Pool[] = [];
  const orgA = () => pools.find((p) => p.name === 'org-a') as Pool;
  const orgB = () => pools.find((p) => p.name === 'org-b') as Pool;
  let sitesFile = '';
  let guestImage: string | undefined;
  /** The lab's catalog plus a gateway nobody answers on (a closed loopback port). */
  let withGone = '';

  /** org-a's master pid and its master's and startd's start times, before and after `lab up --orgs 2`. */
  let orgABefore: string | undefined;
  let orgAAfter: string | undefined;

  // The organisations go when this file is done: the other lab tests (VMs under emulation on 2 cores) run
  // without their daemons' load; the next file that needs them brings them up again (about 25 s).
  afterAll(async () => {
    for (const org of ['org-b', 'org-c']) await vmdag(['lab', 'down', '--org', org]);
  }, 120_000);

  beforeAll(async () => {
    orgABefore = ctx ? await orgAIdentity() : undefined;
    const t0 = Date.now();
    const up = await vmdag(['lab', 'up', '--orgs', '3', '--json']);
    expect(up.code, `vmdag lab up --orgs 3 failed: ${up.stderr}`).toBe(0);
    const st = JSON.parse(up.stdout) as { pools: Pool[]; sitesFile?: string; guestImage?: string };
    process.stderr.write(`two-orgs: lab up --orgs 3 took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    pools = st.pools;
    sitesFile = st.sitesFile ?? '';
    guestImage = st.guestImage;
    orgAAfter = await orgAIdentity();
    const dir = workflowDir({});
    withGone = path.join(dir, 'sites.yaml');
    writeFileSync(withGone, `${readFileSync(sitesFile, 'utf8')}  - name: gone\n    pool: "127.0.0.1:1"\n`);
  });

  it('lab up --orgs 3 is additive: org-a’s master and startd are the same ones after it', () => {
    // The lab runs before this file (npm test brings org-a up first): it must come through untouched.
    expect(orgABefore, 'org-a was not running before lab up --orgs 3').toBeDefined();
    expect(orgAAfter).toBe(orgABefore);
    expect(orgABefore).toMatch(/^master \d+; DaemonMaster \d+; StartD \d+$/);
  });

  it('lab status --json: the three pools, and the catalog that names them', async () => {
    expect(pools.map((p) => [p.name, p.collector, p.schedd]).sort()).toEqual([
      ['org-a', '10.213.7.1:9618', 'vmdag-lab'],
      ['org-b', '10.213.31.1:9618', 'org-b@org-b-gw'],
      ['org-c', '10.213.32.1:9618', 'org-c@org-c-gw'],
    ]);
    expect(orgB().vm).toBe(false);
    const st = await vmdag(['lab', 'status', '--json']);
    expect(JSON.parse(st.stdout).sitesFile).toBe(sitesFile);
    const catalog = readFileSync(sitesFile, 'utf8');
    expect(catalog).toMatch(/- name: org-a\n {4}pool: "10\.213\.7\.1:9618"\n {4}schedd: "vmdag-lab"/);
    expect(catalog).toMatch(
      /- name: org-b\n {4}pool: "10\.213\.31\.1:9618"\n {4}schedd: "org-b@org-b-gw"\n {4}transfer: spool\n {4}tokens: "/,
    );
    // A second `lab up --orgs 3` changes nothing: the same masters keep running.
    const masters = () => labState()?.daemons.filter((d) => d.name.endsWith('condor_master'));
    const before = masters();
    expect(before?.map((d) => d.name).sort()).toEqual([
      'condor_master',
      'org-b/condor_master',
      'org-c/condor_master',
    ]);
    const again = await vmdag(['lab', 'up', '--orgs', '3']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/org-b already running/);
    expect(masters()).toEqual(before);
  });

  it('sites --json: the organisations with the figures their collectors give; org-a runs VMs, org-b not', async () => {
    const r = await vmdag(['sites', '--sites', sitesFile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; sitesFile: string; sites: Site[] };
    expect(doc.sitesFile).toBe(sitesFile);
    const a = doc.sites.find((x) => x.name === 'org-a');
    const b = doc.sites.find((x) => x.name === 'org-b');
    expect(a).toMatchObject({ name: 'org-a', reachable: true, schedd: 'vmdag-lab' });
    expect(b).toMatchObject({ name: 'org-b', reachable: true, schedd: 'org-b@org-b-gw' });
    expect(b?.scheddAddress).toMatch(/^<10\.213\.31\.1:9618\?/);
    expect(a?.scheddAddress).toMatch(/^<10\.213\.7\.1:9618\?/);
    // Each pool's gateway host (VM guests of running workflows join org-a as machines of their own).
    const gateway: Record<string, string> = { 'org-a': 'vmdag-lab', 'org-b': 'org-b-gw' };
    const host = (s: Site | undefined) => s?.machines?.find((m) => m.machine === gateway[s?.name ?? '']);
    expect(host(a)).toMatchObject({ hasVm: true, vmType: 'kvm' });
    expect(a?.totals?.hypervisors).toEqual(['kvm']);
    expect(b?.machines).toHaveLength(1);
    expect(host(b)).toMatchObject({ hasVm: false, totalCpus: 4 });
    expect(b?.totals).toMatchObject({ vmMachines: 0, hypervisors: [], cpus: 4, slots: 4 });
    expect(
      host(b)?.slots.every((s) => s.kind === 'static' && s.dedicated && /^slot\d+@org-b-gw$/.test(s.name)),
    ).toBe(true);
    // Cores and memory as each collector advertises them for the lab host.
    for (const [site, pool] of [
      [a, orgA()],
      [b, orgB()],
    ] as const) {
      const q = await runCondor(
        ctx,
        'condor_status',
        [
          '-pool',
          pool?.collector ?? '',
          '-const',
          `Machine == "${gateway[pool.name]}"`,
          '-af',
          'TotalCpus',
          'TotalMemory',
          'Memory',
        ],
        { cwd: '/' },
      );
      const rows = q.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ').map(Number));
      expect(host(site)?.totalCpus).toBe(rows[0]?.[0]);
      expect(host(site)?.totalMemoryMiB).toBe(rows[0]?.[1]);
      expect(host(site)?.slots.map((s) => s.memoryMiB)).toEqual(rows.map((x) => x[2]));
    }
    process.stderr.write(
      `two-orgs: sites: org-a ${a?.totals?.cpus} cores (${host(a)?.slots.length} slots of ${host(a)?.slots[0]?.memoryMiB} MiB, kvm), org-b ${b?.totals?.cpus} cores (${host(b)?.slots.length} slots of ${host(b)?.slots[0]?.memoryMiB} MiB, no VMs)\n`,
    );
  });

  it('an unreachable gateway is listed as such, not fatal: sites exits 0, plan still chooses', async () => {
    const r = await vmdag(['sites', '--sites', withGone, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const gone = (JSON.parse(r.stdout) as { sites: Site[] }).sites.find((x) => x.name === 'gone');
    expect(gone).toMatchObject({ name: 'gone', reachable: false });
    expect(gone?.error).toMatch(/Failed to connect to <127\.0\.0\.1:1>/);
    expect(gone?.machines).toBeUndefined();
    const dir = workflowDir({ 'bin/hello.sh': hello, 'workflow.yaml': nativeBig });
    const p = await vmdag(['plan', 'workflow.yaml', '--sites', withGone], dir);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^site: org-b /);
    expect(p.stdout).toMatch(/not gone: unreachable: .*127\.0\.0\.1:1/);
  });

  it('plan: a native workflow whose ranks need 4 GiB goes to org-b, saying why org-a does not fit', async () => {
    const dir = workflowDir({ 'bin/hello.sh': hello, 'workflow.yaml': nativeBig });
    const r = await vmdag(['plan', 'workflow.yaml', '--sites', sitesFile, '--json'], dir);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(plan.mode).toBe('native');
    expect(plan.site).toMatchObject({ name: 'org-b', pool: '10.213.31.1:9618', schedd: 'org-b@org-b-gw' });
    expect(plan.why.join('\n')).toMatch(/step compute: 2 dedicated slots of 1 core and 4 GiB/);
    const a = plan.sites.find((v) => v.site === 'org-a');
    expect(a).toMatchObject({ reachable: true, fits: false });
    expect(a?.reasons.join(' ')).toMatch(/needs 2 dedicated slots of 1 core and 4 GiB; there are 0/);
  });

  it('plan: a VM workflow goes to org-a; org-b is refused for having no VM-capable machine', async () => {
    expect(guestImage, 'lab status --json guestImage').toBeTruthy();
    const dir = workflowDir({ 'bin/hello.sh': hello, 'workflow.yaml': vmWorkflow(guestImage ?? '') });
    const r = await vmdag(['plan', 'workflow.yaml', '--sites', sitesFile, '--json'], dir);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(r.code, r.stdout).toBe(0);
    expect(plan.mode).toBe('vm');
    expect(plan.site).toMatchObject({ name: 'org-a', pool: '10.213.7.1:9618', schedd: 'vmdag-lab' });
    expect(plan.why.join('\n')).toMatch(/1 VM of 1 core and 512 MiB \(kvm\) fit on 1 host/);
    const b = plan.sites.find((v) => v.site === 'org-b');
    expect(b).toMatchObject({ reachable: true, fits: false });
    expect(b?.reasons.join(' ')).toMatch(/no VM-capable machine: HasVM is not true on any of its 1 machine/);
  });

  it('plan and submit: a workflow that fits neither is refused with what is missing where, exit 1', async () => {
    const dir = workflowDir({
      'bin/hello.sh': hello,
      'workflow.yaml':
        'version: 1\nname: orgs-none\ncompute:\n  cpus: 16\n  memory: 8GiB\n  executable: bin/hello.sh\n',
    });
    const r = await vmdag(['plan', 'workflow.yaml', '--sites', withGone], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused: no site fits this workflow/);
    expect(r.stderr).toMatch(/org-a: step compute needs 16 dedicated slots of 1 core and 8 GiB; there are 0/);
    expect(r.stderr).toMatch(/org-b: step compute needs 16 dedicated slots of 1 core and 8 GiB; there are 0/);
    expect(r.stderr).toMatch(/gone: unreachable/);
    const s = await vmdag(['submit', 'workflow.yaml', '--sites', sitesFile], dir);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/no site fits/);
  });

  it('submit: the 4 GiB native workflow travels to org-b — its jobs in org-b’s history, none in org-a’s — and status, report, rm follow it there', {
    timeout: 300_000,
  }, async () => {
    const dir = workflowDir({ 'bin/hello.sh': hello, 'workflow.yaml': nativeBig });
    const t0 = Date.now();
    const s = await vmdag(['submit', 'workflow.yaml', '--sites', sitesFile, '--json'], dir);
    expect(s.code, s.stderr + s.stdout).toBe(0);
    const sub = JSON.parse(s.stdout) as { dagmanJobId: number; outDir: string; site: string };
    expect(sub.site).toBe('org-b');
    const runDir = sub.outDir;
    expect(JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8'))).toMatchObject({
      site: 'org-b',
      pool: '10.213.31.1:9618',
      schedd: 'org-b@org-b-gw',
      transfer: 'spool',
    });
    const { code, status } = await watch(runDir);
    const seconds = (Date.now() - t0) / 1000;
    expect(status.state, JSON.stringify(status)).toBe('succeeded');
    expect(code).toBe(0);
    expect(status.dagmanJobId).toBe(sub.dagmanJobId);
    expect(readFileSync(path.join(runDir, 'outputs/hello.out'), 'utf8')).toBe('hello from rank 0\n');
    // Where it ran: its node in org-b's schedd history, on org-b's slots, in the DAGMan job's spool folder
    // at org-b (the DAGMan job stays in org-b's queue, completed, until the schedd's clean-up after the fetch).
    const id = sub.dagmanJobId;
    let b = await history(orgB(), `DAGManJobId == ${id}`, [
      'ClusterId',
      'GlobalJobId',
      'JobUniverse',
      'LastRemoteHost',
      'Iwd',
    ]);
    for (let i = 0; i < 30 && b.length < 2; i++) {
      await sleep(1000);
      b = await history(orgB(), `DAGManJobId == ${id}`, [
        'ClusterId',
        'GlobalJobId',
        'JobUniverse',
        'LastRemoteHost',
        'Iwd',
      ]);
    }
    // The step (parallel universe) and the SERVICE node REAP (local universe, run by org-b's schedd).
    expect(b.map((ad) => Number(ad.JobUniverse)).sort()).toEqual([11, 12]);
    expect(b.every((ad) => String(ad.GlobalJobId).startsWith('org-b@org-b-gw#'))).toBe(true);
    expect(b.every((ad) => String(ad.Iwd).startsWith(`/var/spool/condor/${id}/0/`))).toBe(true);
    const step = b.find((ad) => Number(ad.JobUniverse) === 11);
    expect(step?.LastRemoteHost).toMatch(/^slot\d+@org-b-gw$/);
    const mine = `Iwd == "${runDir}"`;
    expect(await localHistory(mine)).toEqual([]);
    const q = await runCondor(ctx, 'condor_q', ['-allusers', '-constraint', mine, '-af', 'ClusterId'], {
      cwd: '/',
    });
    expect(q.stdout.trim()).toBe('');
    // report reads org-b's records through the run directory; rm verifies with org-b's schedd.
    const rep = await vmdag(['report', runDir, '--json']);
    expect(rep.code, rep.stderr).toBe(0);
    const phases = (JSON.parse(rep.stdout) as { phases: { total: number } }).phases;
    expect(phases.total).toBeGreaterThan(0);
    const text = await vmdag(['report', runDir]);
    expect(text.stdout).toMatch(/on slot\d+@org-b-gw/);
    const rm = await vmdag(['rm', runDir, '--json']);
    expect(rm.code, rm.stderr + rm.stdout).toBe(0);
    process.stderr.write(
      `two-orgs: native run on org-b: ${seconds.toFixed(1)} s submit → succeeded, report total ${phases.total} s\n`,
    );
  });

  it('submit: a small VM workflow via the two-site catalog runs on org-a in a guest, and no VM is left', {
    timeout: 900_000,
  }, async () => {
    const dir = workflowDir({ 'bin/hello.sh': hello, 'workflow.yaml': vmWorkflow(guestImage ?? '') });
    const t0 = Date.now();
    const s = await vmdag(['submit', 'workflow.yaml', '--sites', sitesFile, '--json'], dir);
    expect(s.code, s.stderr + s.stdout).toBe(0);
    const sub = JSON.parse(s.stdout) as { dagmanJobId: number; outDir: string; site: string };
    expect(sub.site).toBe('org-a');
    const runDir = sub.outDir;
    const { status } = await watch(runDir);
    const seconds = (Date.now() - t0) / 1000;
    try {
      expect(status.state, JSON.stringify(status)).toBe('succeeded');
      // The step ran inside the guest (a machine of org-a named after its bridge address).
      const ads = await localHistory(`Iwd == "${runDir}" && JobUniverse == 11`);
      expect(ads.length).toBeGreaterThan(0);
      const hosts = await runCondor(
        ctx,
        'condor_history',
        ['-constraint', `Iwd == "${runDir}" && JobUniverse == 11`, '-af', 'LastRemoteHost'],
        { cwd: '/' },
      );
      expect(hosts.stdout).toMatch(/@vmdag-10-213-7-\d+/);
      const b = await history(orgB(), `Iwd == "${runDir}"`, ['ClusterId']);
      expect(b).toEqual([]);
    } finally {
      const rm = await vmdag(['rm', runDir, '--json']);
      expect(rm.code, rm.stderr + rm.stdout).toBe(0);
    }
    // No libvirt domain of its VM jobs is left (rm verified the queue).
    const vmClusters = ((status.vms ?? []) as { jobId: string | null }[])
      .map((v) => (v.jobId ?? '').split('.')[0])
      .filter(Boolean);
    expect(vmClusters.length).toBe(1);
    for (let i = 0; ; i++) {
      const left = (await labStatus()).domains.filter((d) => vmClusters.some((c) => d.endsWith(`_${c}.0`)));
      if (left.length === 0) break;
      expect(i, `domains left: ${left.join(' ')}`).toBeLessThan(60);
      await sleep(2000);
    }
    expect(await guestLeftovers(ctx as CondorContext, vmClusters as string[], t0)).toEqual([]);
    process.stderr.write(`two-orgs: VM run on org-a via the catalog: ${seconds.toFixed(1)} s submit → end\n`);
  });
  it('lab down --org org-b stops org-b alone (org-a and org-c untouched, catalog without it); lab up --orgs 3 brings it back', {
    timeout: 180_000,
  }, async () => {
    const before = await orgAIdentity();
    const down = await vmdag(['lab', 'down', '--org', 'org-b']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/stopped org-b\/condor_master \(pid \d+\)/);
    const st = JSON.parse((await vmdag(['lab', 'status', '--json'])).stdout) as {
      running: boolean;
      pools: Pool[];
    };
    expect(st.running).toBe(true);
    expect(st.pools.map((p) => p.name).sort()).toEqual(['org-a', 'org-c']);
    expect(readFileSync(sitesFile, 'utf8')).not.toMatch(/org-b/);
    // Its namespace (and the link with it) is gone: the user's side has no route to it any more.
    const ns = await runCondor({ prefix: [] }, 'ip', ['netns', 'list'], { cwd: '/' });
    expect(ns.stdout).not.toMatch(/vmdag-org-b/);
    const gone = await vmdag(['sites', '--sites', withGone, '--json']);
    const b = (JSON.parse(gone.stdout) as { sites: Site[] }).sites.find((x) => x.name === 'org-b');
    expect(b).toMatchObject({ name: 'org-b', reachable: false });
    const up = await vmdag(['lab', 'up', '--orgs', '3', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect((JSON.parse(up.stdout) as { pools: Pool[] }).pools.map((p) => p.name).sort()).toEqual([
      'org-a',
      'org-b',
      'org-c',
    ]);
    expect(await orgAIdentity()).toBe(before);
  });
});
