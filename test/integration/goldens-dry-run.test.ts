/**
 * Every golden case, compiled afresh, is given to the real condor_submit -dry-run on the lab, node by node,
 * with the macros DAGMan would pass (its VARS, JOB, DAGManJobId): HTCondor must accept each submit file and
 * the job ads must say what the plan says.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { dryRunNode, parseDagNodes } from '../../src/condor/dry-run.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';
import { vmdag, workflowDir } from './cli-run.js';

const ctx = await labContext();
const cases = readdirSync('fixtures', { withFileTypes: true })
  .filter((d) => d.isDirectory() && readdirSync(path.join('fixtures', d.name)).includes('workflow.yaml'))
  .map((d) => d.name);

const UNIVERSE: Record<string, string> = { VMS: '13', GATE: '12', REAP: '12', STOP: '12' };

requireOrSkip(ctx, NO_LAB).describe('golden run directories through the real condor_submit -dry-run', () => {
  for (const name of cases) {
    it(name, { timeout: 120_000 }, async () => {
      if (!ctx) throw new Error('the lab is not running');
      const out = path.join(workflowDir({}), 'run');
      const c = await vmdag([
        'compile',
        path.resolve('fixtures', name, 'workflow.yaml'),
        '-o',
        out,
        '--json',
        // A case with its own site catalog (spool-site) compiles against it.
        ...(existsSync(path.join('fixtures', name, 'sites.yaml'))
          ? ['--sites', path.resolve('fixtures', name, 'sites.yaml')]
          : []),
      ]);
      expect(c.code, c.stderr + c.stdout).toBe(0);
      const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8')) as {
        mode: string;
        vm?: { count: number; memoryMiB: number; hypervisor: string };
        steps: { name: string; machineCount: number; requestCpus: number; requestMemoryMiB: number }[];
        dag: { file: string };
        send?: string[];
      };
      // A run that travels (transfer: spool) names the files it sends by base name: lay them out as the
      // site's spool folder holds them, beside the DAG.
      for (const f of plan.send ?? []) copyFileSync(f, path.join(out, path.basename(f)));
      const nodes = parseDagNodes(readFileSync(path.join(out, plan.dag.file), 'utf8'));
      expect(nodes.length).toBeGreaterThan(0);
      for (const node of nodes) {
        // The macros DAGMan would pass (VARS, JOB, DAGManJobId 4242): src/condor/dry-run.ts, as `vmdag check`.
        const r = await dryRunNode(ctx, out, node);
        expect(r.result.exitCode, `${name}/${node.name}: ${r.result.stderr}`).toBe(0);
        const ad = r.ads[0] ?? {};
        const step = plan.steps.find((s) => s.name === node.name);
        expect(ad.JobUniverse, `${name}/${node.name} universe`).toBe(UNIVERSE[node.name] ?? '11');
        if (node.name === 'VMS' && plan.vm) {
          expect(ad.JobVMMemory).toBe(String(plan.vm.memoryMiB));
          expect(ad.JobVMType).toBe(`"${plan.vm.hypervisor}"`);
          expect(ad.VmWorkflowId).toBe('"4242"');
          expect(r.ads.length).toBe(plan.vm.count);
        }
        if (step) {
          expect(ad.MaxHosts).toBe(String(step.machineCount));
          expect(ad.RequestCpus).toBe(String(step.requestCpus));
          expect(ad.RequestMemory).toBe(String(step.requestMemoryMiB));
          if (plan.mode === 'vm') expect(ad.Requirements).toMatch(/VmWorkflowId/);
        }
      }
    });
  }
});
