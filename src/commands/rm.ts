import { setTimeout as sleep } from 'node:timers/promises';
import { adNumber } from '../condor/classads.js';
import { queryQueue, removeRun } from '../condor/dag-run.js';
import { gatherStatus } from '../status/gather-status.js';
import { reportError, resolveRun } from './run-target.js';
import type { CommandSpec } from './spec.js';
import { ExitCode } from './types.js';

export const rmCommand: CommandSpec = {
  name: 'rm',
  summary: 'remove a run and wait until none of its jobs (VMs included) is left',
  configure(cmd) {
    cmd
      .argument('<run>', 'run directory or DAGMan job id')
      .option('--timeout <seconds>', 'how long to wait for the run to be gone', '300');
  },
  async run(args, opts, out, io) {
    const json = Boolean(opts.json);
    try {
      const ctx = await io.condor();
      const run = await resolveRun(ctx, args[0] ?? '');
      const id = run.record.dagmanJobId;
      const deadline = Date.now() + Number(opts.timeout ?? 300) * 1000;
      const started = Date.now();
      await removeRun(ctx, id, { target: run.target });
      // DAGMan runs the FINAL node, which stops the VMs; the schedd removes every job with this DAGManJobId.
      // Jobs left once DAGMan itself is gone are removed directly; a job stuck in X state is forced out.
      let escalated = 0;
      for (;;) {
        const left = await queryQueue(ctx, id, run.target);
        if (left.length === 0) break;
        if (Date.now() > deadline) {
          const ids = left.map((ad) => `${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId')}`).join(' ');
          throw new Error(`run ${id} not gone after ${opts.timeout} s: still queued ${ids}`);
        }
        const dagmanGone = !left.some((ad) => adNumber(ad, 'ClusterId') === id);
        const elapsed = Date.now() - started;
        if (dagmanGone && escalated === 0 && elapsed > 5_000) {
          await removeRun(ctx, id, { leftovers: true, target: run.target });
          escalated = 1;
        } else if (escalated === 1 && elapsed > 60_000) {
          await removeRun(ctx, id, { leftovers: true, force: true, target: run.target });
          escalated = 2;
        }
        await sleep(1000);
      }
      const { status } = await gatherStatus(ctx, run.layout, id, run.target);
      const vmsLeft = status.vms.filter(
        (v) => v.state === 'running' || v.state === 'idle' || v.state === 'held',
      );
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      if (json)
        out.out(
          `${JSON.stringify({ ok: true, dagmanJobId: id, state: status.state, seconds, vmsLeft: vmsLeft.length })}\n`,
        );
      else out.err(`run ${id} removed: no job of it is left (${seconds} s); state ${status.state}\n`);
      return ExitCode.ok;
    } catch (e) {
      return reportError(e, out, json);
    }
  },
};
