/**
 * `vmdag sites` and `vmdag plan` against the REAL lab pool: a catalog lists it by its collector address,
 * plus a site whose collector cannot answer (127.0.0.1:1 refuses at once on loopback).
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { findCondorContext } from '../../src/commands/condor-context.js';
import { runPlan } from '../../src/commands/plan.js';
import { runSites } from '../../src/commands/sites.js';
import { runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/status.js';
import { capture } from '../capture-output.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';

const ctx = await labContext();

/**
 * What the pool itself says of its VM support (condor_status, not vmdag's parser), which decides what plan must
 * answer for a kvm workflow: 'kvm' (a machine with HasVM and VM_Type kvm), 'other' (HasVM, other types only)
 * or 'none' (no machine with HasVM).
 */
async function poolVmSupport(): Promise<'kvm' | 'other' | 'none'> {
  if (!ctx) throw new Error(NO_LAB);
  const r = await runCondor(ctx, 'condor_status', ['-const', 'HasVM =?= true', '-af', 'Machine', 'VM_Type'], {
    cwd: '/',
  });
  const types = r.stdout.split('\n').flatMap((l) => l.trim().split(/\s+/).slice(1, 2));
  if (types.some((t) => t.toLowerCase() === 'kvm')) return 'kvm';
  return types.length > 0 ? 'other' : 'none';
}
/** plan's reason for a site without kvm VMs, by what the pool says. */
const NO_KVM = {
  other: /no machine runs kvm VMs \(VM_Type here: /,
  none: /no VM-capable machine: HasVM is not true/,
};

requireOrSkip(ctx, NO_LAB).describe('sites and plan on the lab pool', () => {
  let dir = '';
  let env: Record<string, string | undefined> = {};
  beforeAll(async () => {
    const status = await labStatus();
    const collector = status.pools[0]?.collector;
    expect(collector, 'lab status --json pools[0].collector').toBeTruthy();
    dir = mkdtempSync(join(tmpdir(), 'vmdag-sites-'));
    writeFileSync(
      join(dir, 'sites.yaml'),
      `version: 1\nsites:\n  - name: lab\n    pool: "${collector}"\n  - name: gone\n    pool: "127.0.0.1:1"\n`,
    );
    cpSync(join(import.meta.dirname, '../../fixtures/one-vm'), join(dir, 'wf'), { recursive: true });
    env = { ...process.env, VMDAG_SITES: join(dir, 'sites.yaml') };
  });

  it('sites --json: the lab with its figures, the dead gateway unreachable (not empty, not fatal)', async () => {
    const o = capture();
    const code = await runSites({ json: true }, o, { cwd: dir, env, condor: () => findCondorContext(env) });
    expect(code, o.stderr).toBe(0);
    const doc = JSON.parse(o.stdout);
    expect(doc.ok).toBe(true);
    const [lab, gone] = doc.sites;
    expect(lab).toMatchObject({ name: 'lab', reachable: true, schedd: expect.any(String) });
    expect(lab.totals.cpus).toBeGreaterThan(0);
    expect(lab.condorVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(gone.reachable).toBe(false);
    expect(gone.error).toMatch(/127\.0\.0\.1:1/);
    expect(gone.machines).toBeUndefined();
  });

  it('plan --json: the lab chosen for a workflow that fits, the image transferred with its sha256', async () => {
    const o = capture();
    const code = await runPlan(['wf/workflow.yaml'], { json: true }, o, {
      cwd: dir,
      env,
      condor: () => findCondorContext(env),
    });
    const doc = JSON.parse(o.stdout);
    // The pool's VM support decides: with kvm VMs the lab fits, without them the refusal names what is missing.
    const vms = await poolVmSupport();
    const reasons = doc.sites.find((v: { site: string }) => v.site === 'lab').reasons.join(' ');
    if (vms === 'kvm') {
      expect(code, `the pool has kvm VM machines, yet: ${reasons}`).toBe(0);
      expect(doc.ok).toBe(true);
      expect(doc.site.name).toBe('lab');
      expect(doc.vms.perHost.length).toBe(1);
      expect(doc.why.join('\n')).toMatch(/not gone: unreachable/);
    } else {
      expect(code).toBe(1);
      expect(doc.ok).toBe(false);
      expect(reasons).toMatch(NO_KVM[vms]);
    }
    expect(doc.image).toMatchObject({
      transferred: true,
      location: 'local',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('plan: more VMs than the pool holds is refused, saying what is missing where', async () => {
    const o = capture();
    const wf = join(dir, 'wf', 'big.yaml');
    writeFileSync(
      wf,
      'version: 1\nname: big\nvm:\n  hypervisor: kvm\n  image: {path: images/guest.qcow2, location: local}\n  count: 64\n  cpus: 1\n  memory: 512MiB\ncompute: {cpus: 64, memory: 256MiB, executable: bin/hello}\n',
    );
    const code = await runPlan([wf], {}, o, { cwd: dir, env, condor: () => findCondorContext(env) });
    expect(code).toBe(1);
    expect(o.stderr).toMatch(/refused: no site fits this workflow/);
    const vms = await poolVmSupport();
    expect(o.stderr).toMatch(
      vms === 'kvm'
        ? /lab: needs 64 VMs of 1 core and 512 MiB \(kvm\); its kvm machines hold \d+/
        : NO_KVM[vms],
    );
    expect(o.stderr).toMatch(/gone: unreachable/);
  });

  it('plan: a wrong sha256 is a clear error, exit 1', async () => {
    const o = capture();
    const wf = join(dir, 'wf', 'badsum.yaml');
    writeFileSync(
      wf,
      `version: 1\nname: badsum\nvm:\n  hypervisor: kvm\n  image: {path: images/guest.qcow2, location: local, sha256: "${'0'.repeat(64)}"}\n  count: 1\n  cpus: 1\n  memory: 512MiB\ncompute: {cpus: 1, memory: 256MiB, executable: bin/hello}\n`,
    );
    const code = await runPlan([wf], { json: true }, o, {
      cwd: dir,
      env,
      condor: () => findCondorContext(env),
    });
    expect(code).toBe(1);
    const doc = JSON.parse(o.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatch(/sha256 mismatch: the workflow says 0{64}, the file is [0-9a-f]{64}/);
    expect(doc.image.sha256Verified).toBe(false);
  });

  it('plan: native workflow without a catalog uses the local pool', async () => {
    const o = capture();
    const local = { ...process.env, VMDAG_SITES: undefined };
    const bare = mkdtempSync(join(tmpdir(), 'vmdag-sites-local-'));
    cpSync(join(import.meta.dirname, '../../fixtures/native'), join(bare, 'native'), { recursive: true });
    const code = await runPlan(['native/workflow.yaml'], { json: true }, o, {
      cwd: bare,
      env: local,
      condor: () => findCondorContext(local),
    });
    const doc = JSON.parse(o.stdout);
    expect(doc.sites.map((v: { site: string }) => v.site)).toEqual(['local']);
    // 4 ranks on 1-core dedicated slots: the lab has 4 of them (6026 MiB each) — fits, now or later.
    expect(code, JSON.stringify(doc)).toBe(0);
    expect(doc.site.name).toBe('local');
    expect(doc.nodesPerHost.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(4);
  });
});
