/**
 * Organisations that share nothing but the network (issue 15), on the real lab: `vmdag lab up --orgs 3`
 * brings up org-b (native slots) and org-c (VMs), each in its own network namespace and root, with its own
 * keys and the IDTOKENS it issued to the lab's user; the catalog names them with `transfer: spool` and their
 * token folders. From the user's side only — the run directories here are never seen by either
 * organisation — vmdag checks who may submit, sends the run with the DAGMan job, follows it and brings the
 * results back. No mocks.
 */

import { spawnSync } from 'node:child_process';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAdsJson } from '../../src/condor/classads.js';
import { type CondorContext, runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { resolveLabSettings } from '../../src/lab/options.js';
import { organisation } from '../../src/lab/organisation.js';
import { asLabRoot } from '../faults/lab-runs.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';
import { helloScript, vmdag, workflowDir } from './cli-run.js';

const ctx = (await labContext()) as CondorContext;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pool {
  name: string;
  collector: string;
  schedd: string;
  vm?: boolean;
  tokens?: string;
  transfer?: string;
}

/** A condor command against one organisation, with the token it issued to the lab's user. */
function asUser(pool: Pool) {
  return { ...ctx, env: { ...ctx.env, _CONDOR_SEC_TOKEN_DIRECTORY: pool.tokens ?? '' } };
}

async function historyOf(pool: Pool, constraint: string, attrs: string[]) {
  const r = await runCondor(
    asUser(pool),
    'condor_history',
    [
      '-pool',
      pool.collector,
      '-name',
      pool.schedd,
      '-json',
      '-constraint',
      constraint,
      '-attributes',
      attrs.join(','),
    ],
    { cwd: '/', retryTransientMs: 30_000 },
  );
  return parseAdsJson(r.stdout);
}

async function queueOf(pool: Pool, constraint: string): Promise<string[]> {
  const r = await runCondor(
    asUser(pool),
    'condor_q',
    [
      '-pool',
      pool.collector,
      '-name',
      pool.schedd,
      '-allusers',
      '-constraint',
      constraint,
      '-af',
      'ClusterId',
    ],
    { cwd: '/', retryTransientMs: 30_000 },
  );
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/** `vmdag run` of a workflow folder (submit, follow to the end, report), as a user types it. */
async function run(dir: string, sites: string) {
  return vmdag([
    'run',
    '--json',
    '--sites',
    sites,
    path.join(dir, 'workflow.yaml'),
    '-o',
    path.join(dir, 'run'),
  ]);
}

requireOrSkip(ctx, NO_LAB).describe('organisations apart from the user (lab up --orgs 3)', () => {
  let pools: Pool[] = [];
  let sitesFile = '';
  let guestImage = '';
  const byName = (n: string) => pools.find((p) => p.name === n) as Pool;

  // The organisations go when this file is done: the other lab tests (VMs under emulation on 2 cores) run
  // without their daemons' load; the next file that needs them brings them up again (about 25 s).
  afterAll(async () => {
    for (const org of ['org-b', 'org-c']) await vmdag(['lab', 'down', '--org', org]);
  }, 120_000);

  beforeAll(async () => {
    const t0 = Date.now();
    const up = await vmdag(['lab', 'up', '--orgs', '3', '--json']);
    expect(up.code, `vmdag lab up --orgs 3 failed: ${up.stderr}`).toBe(0);
    const st = JSON.parse(up.stdout) as { pools: Pool[]; sitesFile?: string; guestImage?: string };
    process.stderr.write(`orgs-travel: lab up --orgs 3 took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    pools = st.pools;
    sitesFile = st.sitesFile ?? '';
    guestImage = st.guestImage ?? '';
  }, 600_000);

  it('each organisation is apart: its own namespace, root and collector; nothing of the user side bound in', async () => {
    const st = await labStatus();
    expect(byName('org-b')).toMatchObject({
      collector: '10.213.31.1:9618',
      schedd: 'org-b@org-b-gw',
      transfer: 'spool',
    });
    expect(byName('org-c')).toMatchObject({
      collector: '10.213.32.1:9618',
      schedd: 'org-c@org-c-gw',
      vm: true,
    });
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    for (const name of ['org-b', 'org-c'] as const) {
      const root = organisation(resolveLabSettings(), name).root;
      expect(resolveLabSettings().sharedPaths.some((p) => root.startsWith(`${p}/`))).toBe(false);
      expect(existsSync(path.join(root, 'etc/condor'))).toBe(true);
      // Inside its root: only /proc, /sys, /dev and its own /run — no host folder (/tmp, /home, /work …).
      const inside = mounts.map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(`${root}/`));
      const extra = inside
        .map((p) => p.slice(root.length))
        .filter((p) => !/^\/(proc|sys|dev|run)(\/|$)/.test(p));
      expect(extra, `${name} mounts`).toEqual([]);
      // Its own signing key, not the lab's.
      const own = readFileSync(path.join(root, 'etc/condor/passwords.d/POOL'));
      expect(own.equals(readFileSync(path.join(st.root ?? '', 'etc/condor/passwords.d/POOL')))).toBe(false);
    }
  });

  it('sites: each organisation says who the user is there and that the user may submit', async () => {
    const r = await vmdag(['sites', '--json', '--sites', sitesFile]);
    expect(r.code, r.stderr).toBe(0);
    const sites = (
      JSON.parse(r.stdout) as {
        sites: { name: string; reachable: boolean; access?: Record<string, unknown> }[];
      }
    ).sites;
    const of = (n: string) => sites.find((s) => s.name === n);
    expect(of('org-b')?.access).toEqual({ allowed: true, identity: 'vmdag@org-b.lab', method: 'IDTOKENS' });
    expect(of('org-c')?.access).toEqual({ allowed: true, identity: 'vmdag@org-c.lab', method: 'IDTOKENS' });
  });

  it("a wrong token (org-b's for org-c) is refused before anything is sent, naming the site and the fix", async () => {
    const dir = workflowDir({
      'bin/hello.sh': helloScript('hello.out'),
      'workflow.yaml':
        'version: 1\nname: wrong-token\nsite: org-c\ncompute:\n  cpus: 1\n  memory: 64MiB\n  executable: bin/hello.sh\n  mpi: none\n  outputs: [hello.out]\n',
    });
    // A token folder of the user's own, named in the catalog: first org-c's token, then org-b's in its place.
    const tokens = path.join(dir, 'tokens');
    mkdirSync(tokens, { mode: 0o700 });
    const orgC = byName('org-c').tokens ?? '';
    copyFileSync(path.join(orgC, 'org-c.token'), path.join(tokens, 'token'));
    chownSync(tokens, statSync(orgC).uid, statSync(orgC).gid);
    chownSync(path.join(tokens, 'token'), statSync(orgC).uid, statSync(orgC).gid);
    const mine = path.join(dir, 'sites.yaml');
    writeFileSync(mine, readFileSync(sitesFile, 'utf8').replace(orgC, tokens));
    const wf = path.join(dir, 'workflow.yaml');
    const runDir = path.join(dir, 'run');
    const ok = await vmdag(['compile', '--sites', mine, wf, '-o', runDir]);
    expect(ok.code, ok.stderr).toBe(0);
    copyFileSync(path.join(byName('org-b').tokens ?? '', 'org-b.token'), path.join(tokens, 'token'));
    // Choosing: org-c does not fit, saying why and what to do.
    const plan = await vmdag(['plan', '--sites', mine, wf]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(1);
    expect(plan.stderr).toMatch(
      /site org-c .*this user may not submit here: AUTHENTICATE:1003:Failed to authenticate/,
    );
    expect(plan.stderr).toMatch(/ask org-c's administrators for a token .*\(tokens: \/tmp\//);
    // Submitting the run directory compiled before: refused at submit time, nothing sent or recorded.
    const r = await vmdag(['submit', runDir]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /site org-c \(schedd org-c@org-c-gw, pool 10\.213\.32\.1:9618\) does not let this user submit: AUTHENTICATE:1003/,
    );
    expect(r.stderr).toMatch(/nothing was sent — ask org-c's administrators for a token/);
    expect(existsSync(path.join(runDir, 'run.json'))).toBe(false);
    expect(await queueOf(byName('org-c'), 'JobBatchName == "wrong-token"')).toEqual([]);
  });

  it('a native run placed on org-b travels there and its outputs and records come back', {
    timeout: 600_000,
  }, async () => {
    const dir = workflowDir({
      'bin/hello.sh': helloScript('hello.out'),
      'workflow.yaml':
        'version: 1\nname: travel-native\nsite: org-b\ncompute:\n  cpus: 2\n  memory: 256MiB\n  executable: bin/hello.sh\n  mpi: openmpi\n  outputs: [hello.out]\n',
    });
    const r = await run(dir, sitesFile);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runDir = path.join(dir, 'run');
    const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ site: 'org-b', transfer: 'spool', schedd: 'org-b@org-b-gw' });
    expect(record.fetchedAt).toBeDefined();
    expect(readFileSync(path.join(runDir, 'outputs', 'hello.out'), 'utf8')).toMatch(
      /^hello from rank 0 of 2/,
    );
    for (const f of ['travel-native.dag.dagman.out', 'travel-native.dag.nodes.log', 'logs/compute.0.out'])
      expect(existsSync(path.join(runDir, f)), f).toBe(true);
    // The jobs ran at org-b, in the spool folder of the DAGMan job (not in this directory).
    const id = record.dagmanJobId as number;
    // Its nodes (the parallel job and the SERVICE node REAP, local universe) are in org-b's history, run in
    // the DAGMan job's spool folder; the DAGMan job itself stays in org-b's queue, completed, until the
    // schedd's next clean-up after the fetch.
    let ads = await historyOf(byName('org-b'), `DAGManJobId == ${id}`, ['ClusterId', 'Iwd', 'JobUniverse']);
    for (let i = 0; i < 30 && ads.length < 2; i++) {
      await sleep(1000);
      ads = await historyOf(byName('org-b'), `DAGManJobId == ${id}`, ['ClusterId', 'Iwd', 'JobUniverse']);
    }
    expect(ads.map((ad) => Number(ad.JobUniverse)).sort()).toEqual([11, 12]);
    for (const ad of ads)
      expect(String(ad.Iwd)).toMatch(
        new RegExp(`^/var/spool/condor/${id}/0/cluster${id}\\.proc0\\.subproc0$`),
      );
    const report = await vmdag(['report', '--json', runDir]);
    expect(report.code, report.stderr).toBe(0);
    // By an id that names the site: org-b's job id (cluster ids repeat from pool to pool).
    const byId = await vmdag(['status', '--json', '--sites', sitesFile, `org-b:${id}`]);
    expect(byId.code, byId.stdout + byId.stderr).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ dagmanJobId: id, state: 'succeeded' });
    const nowhere = await vmdag(['status', '--json', '--sites', sitesFile, `org-x:${id}`]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stdout + nowhere.stderr).toMatch(/no site org-x in the catalog/);
  });

  it("the paper's experiment on org-c: the local image sent with the run, 2 VMs booted there, MPI across both, outputs back, VMs gone", {
    timeout: 900_000,
  }, async () => {
    expect(guestImage, 'the lab has no guest image').not.toBe('');
    const qcow2 = path.join(path.dirname(guestImage), 'guest.qcow2');
    const dir = workflowDir({
      'bin/ranks.sh': helloScript('ranks.out'),
      'workflow.yaml': [
        'version: 1',
        'name: travel-vm',
        'site: org-c',
        'vm:',
        '  hypervisor: kvm',
        `  image: {path: ${qcow2}, location: local, format: qcow2, differential: true}`,
        '  count: 2',
        '  cpus: 1',
        '  memory: 512MiB',
        '  lease: 30m',
        'compute:',
        '  cpus: 2',
        '  memory: 128MiB',
        '  executable: bin/ranks.sh',
        '  mpi: openmpi',
        '  outputs: [ranks.out]',
        '',
      ].join('\n'),
    });
    const t0 = Date.now();
    const r = await run(dir, sitesFile);
    process.stderr.write(
      `orgs-travel: the VM run at org-c took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runDir = path.join(dir, 'run');
    const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
      dagmanJobId: number;
      sent?: { files: number; bytes: number; seconds: number };
    };
    expect(record.sent?.bytes).toBeGreaterThan(100 << 20);
    process.stderr.write(`orgs-travel: sent ${JSON.stringify(record.sent)}\n`);
    expect(readFileSync(path.join(runDir, 'outputs', 'ranks.out'), 'utf8')).toMatch(
      /^hello from rank 0 of 2/,
    );
    // Both ranks ran, each in its own guest (host names vmdag-<address> of org-c's bridge).
    const ranks = `${readFileSync(path.join(runDir, 'logs', 'compute.0.out'), 'utf8')}`;
    const hosts = new Set([...ranks.matchAll(/host (vmdag-10-213-32-\d+)/g)].map((m) => m[1]));
    expect(hosts.size, ranks).toBe(2);
    // No guest of the run is left in org-c's collector, and org-c runs no domain.
    const id = record.dagmanJobId;
    let guests: string[] = ['?'];
    for (let i = 0; i < 30 && guests.length > 0; i++) {
      const g = await runCondor(
        asUser(byName('org-c')),
        'condor_status',
        ['-pool', byName('org-c').collector, '-const', `VmWorkflowId =?= "${id}"`, '-af', 'Name'],
        { cwd: '/' },
      );
      guests = g.stdout.split('\n').filter(Boolean);
      if (guests.length > 0) await sleep(2000);
    }
    expect(guests).toEqual([]);
    expect((await labStatus()).domains).toEqual([]);
    const report = await vmdag(['report', '--json', runDir]);
    expect(report.code, report.stderr).toBe(0);
    const rep = JSON.parse(report.stdout) as {
      travel?: Record<string, unknown>;
      phases: Record<string, number>;
    };
    expect(rep.travel).toMatchObject({ site: 'org-c', files: 2, bytes: record.sent?.bytes });
    expect(rep.phases.vmBoot).toBeGreaterThan(0);
    process.stderr.write(`orgs-travel: report phases ${JSON.stringify(rep.phases)}\n`);
  });

  it('the link to org-b down during a run: status says the site does not answer, rm is refused, nothing is lost; back up, the run is followed to its end', {
    timeout: 600_000,
  }, async () => {
    const dir = workflowDir({
      'bin/slow.sh': '#!/bin/sh\nsleep 30\necho done > slow.out\n',
      'workflow.yaml':
        'version: 1\nname: travel-link\nsite: org-b\ncompute:\n  cpus: 1\n  memory: 64MiB\n  executable: bin/slow.sh\n  mpi: none\n  outputs: [slow.out]\n',
    });
    const runDir = path.join(dir, 'run');
    const s = await vmdag([
      'submit',
      '--json',
      '--sites',
      sitesFile,
      path.join(dir, 'workflow.yaml'),
      '-o',
      runDir,
    ]);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    let state = '';
    for (let i = 0; i < 60 && state !== 'running'; i++) {
      const st = await vmdag(['status', '--json', runDir]);
      state = (JSON.parse(st.stdout) as { state?: string }).state ?? '';
      if (state !== 'running') await sleep(2000);
    }
    expect(state).toBe('running');
    const link = (how: 'up' | 'down') => {
      const r = spawnSync('ip', ['-n', 'vmdag-lab', 'link', 'set', 'vx-org-b', how]);
      expect(r.status, String(r.stderr)).toBe(0);
    };
    // HTCondor's tools wait 60 s for a collector that does not answer (QUERY_TIMEOUT); 5 here, to keep it short.
    const saved = process.env._CONDOR_QUERY_TIMEOUT;
    process.env._CONDOR_QUERY_TIMEOUT = '5';
    link('down');
    try {
      const st = await vmdag(['status', '--json', runDir]);
      expect(st.code, st.stdout + st.stderr).toBe(3);
      expect(st.stdout + st.stderr).toMatch(
        /site org-b \(pool 10\.213\.31\.1:9618\) did not answer: .*its state is not known here; the run goes on at the site/,
      );
      const rm = await vmdag(['rm', '--json', runDir]);
      expect(rm.code, rm.stdout + rm.stderr).toBe(3);
      expect(rm.stdout + rm.stderr).toMatch(/site org-b .*did not answer: .*nothing was removed/);
    } finally {
      link('up');
      if (saved === undefined) delete process.env._CONDOR_QUERY_TIMEOUT;
      else process.env._CONDOR_QUERY_TIMEOUT = saved;
    }
    const w = await vmdag(['status', '--watch', '--json', '--interval', '2', runDir]);
    expect(w.code, w.stdout + w.stderr).toBe(0);
    expect((JSON.parse(w.stdout) as { state: string }).state).toBe('succeeded');
    expect(readFileSync(path.join(runDir, 'outputs', 'slow.out'), 'utf8')).toBe('done\n');
    const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { fetchedAt?: string };
    expect(record.fetchedAt).toBeDefined();
  });

  it('the chosen site refuses the run at submit time (its quota spent): the next fitting site takes it, and run.json and status say so', {
    timeout: 300_000,
  }, async () => {
    // org-b's administrator refuses DAGs of this name (a submit requirement, as a quota would); the plan
    // still chooses org-b (4 free cores against org-c's 3; org-a's slots are too small for 4 GiB ranks).
    const root = organisation(resolveLabSettings(), 'org-b').root;
    const conf = path.join(root, 'etc/condor/config.d/95-vmdag-test.conf');
    const reconfig = () => {
      asLabRoot({ netns: 'vmdag-org-b', root }, ['condor_reconfig', '-daemon', 'schedd']);
    };
    const dir = workflowDir({
      'bin/hello.sh': helloScript('hello.out'),
      'workflow.yaml':
        'version: 1\nname: travel-fallback\ncompute:\n  cpus: 2\n  memory: 4GiB\n  executable: bin/hello.sh\n  mpi: openmpi\n  outputs: [hello.out]\n',
    });
    // org-b's slots free again (a dedicated scheduler keeps a finished job's claims for UNUSED_CLAIM_TIMEOUT,
    // 30 s here), so that the choice is org-b's to refuse.
    for (let i = 0; i < 60; i++) {
      const free = await runCondor(
        ctx,
        'condor_status',
        ['-pool', byName('org-b').collector, '-const', 'State == "Unclaimed"', '-af', 'Name'],
        { cwd: '/' },
      );
      if (free.stdout.split('\n').filter(Boolean).length >= 4) break;
      await sleep(2000);
    }
    const plan = await vmdag(['plan', '--json', '--sites', sitesFile, path.join(dir, 'workflow.yaml')]);
    expect((JSON.parse(plan.stdout) as { site: { name: string } }).site.name, plan.stdout).toBe('org-b');
    writeFileSync(
      conf,
      'SUBMIT_REQUIREMENT_NAMES = $(SUBMIT_REQUIREMENT_NAMES) NotFallback\nSUBMIT_REQUIREMENT_NotFallback = JobBatchName =!= "travel-fallback"\nSUBMIT_REQUIREMENT_NotFallback_REASON = "org-b takes no run named travel-fallback: its quota is spent"\n',
    );
    reconfig();
    await sleep(2000);
    try {
      const r = await run(dir, sitesFile);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /site org-b refused the run: .*quota is spent.*; trying the next fitting site/,
      );
      const runDir = path.join(dir, 'run');
      const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
        site: string;
        refusedBy?: { site: string; error: string }[];
      };
      expect(record.site).toBe('org-c');
      expect(record.refusedBy?.map((x) => x.site)).toEqual(['org-b']);
      expect(record.refusedBy?.[0]?.error).toMatch(/quota is spent/);
      expect(readFileSync(path.join(runDir, 'outputs', 'hello.out'), 'utf8')).toMatch(
        /^hello from rank 0 of 2/,
      );
      const st = await vmdag(['status', '--json', runDir]);
      expect(JSON.parse(st.stdout)).toMatchObject({
        site: 'org-c',
        refusedBy: [{ site: 'org-b' }],
        state: 'succeeded',
      });
      expect(await queueOf(byName('org-b'), 'JobBatchName == "travel-fallback"')).toEqual([]);
    } finally {
      rmSync(conf, { force: true });
      reconfig();
    }
  });
});
