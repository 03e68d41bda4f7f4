/**
 * Which HTCondor vmdag talks to, resolved once: env VMDAG_CONDOR_PREFIX (argv words separated by spaces,
 * e.g. "/var/lib/vmdag/lab/current/bin/lab-exec --") > the running lab > none (the condor_* commands on
 * PATH, as on a real submit node).
 */
import { labCondorContext } from '../lab/status.js';
import type { CondorContext } from './exec.js';

export type CondorContextSource = 'env' | 'lab' | 'path';

export async function resolveCondorContext(
  env: NodeJS.ProcessEnv = process.env,
): Promise<CondorContext & { source: CondorContextSource }> {
  const fromEnv = env.VMDAG_CONDOR_PREFIX?.trim();
  if (fromEnv) return { prefix: fromEnv.split(/\s+/), source: 'env' };
  const lab = await labCondorContext();
  if (lab) return { ...lab, source: 'lab' };
  return { prefix: [], source: 'path' };
}
