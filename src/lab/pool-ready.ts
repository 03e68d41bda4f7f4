/** Waiting until a pool the lab started is ready: its schedd and every slot of its dedicated scheduler listed. */
import { runCondor } from '../condor/exec.js';
import type { LabState } from './state.js';
import { LabError } from './sys.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until the pool's collector lists `schedd` and at least `slots` slots naming its dedicated scheduler,
 * asked through the lab's lab-exec wrapper (like every condor command of vmdag), or through `prefix` from
 * inside another root (an organisation's, whose own configuration names its collector). `name` is for the
 * error message.
 */
export async function waitForPool(
  state: LabState,
  where: { name?: string; schedd?: string; slots: number; logs: string; prefix?: string[] },
  timeoutMs = 120_000,
): Promise<string> {
  const ctx = { prefix: where.prefix ?? [state.wrapper, '--'] };
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const schedd = await runCondor(ctx, 'condor_status', ['-schedd', '-af', 'Name'], {
      allowFailure: true,
      cwd: '/',
    });
    const slots = await runCondor(
      ctx,
      'condor_status',
      ['-const', '!isUndefined(DedicatedScheduler)', '-af', 'Name', 'DedicatedScheduler'],
      { allowFailure: true, cwd: '/' },
    );
    const names = schedd.stdout.trim().split('\n').filter(Boolean);
    const name = where.schedd ? names.find((n) => n === where.schedd) : names[0];
    const nslots = slots.stdout.trim().split('\n').filter(Boolean).length;
    last =
      `schedd '${name ?? names.join(', ')}', ${nslots} dedicated slots; ${schedd.stderr.trim()} ${slots.stderr.trim()}`.trim();
    if (name && nslots >= where.slots && slots.stdout.includes(`DedicatedScheduler@${name}`)) return name;
    await sleep(500);
  }
  throw new LabError(
    `the pool${where.name ? ` ${where.name}` : ''} did not come up within ${timeoutMs / 1000} s (${last}); logs: ${where.logs}`,
  );
}
