/**
 * Which HTCondor the CLI talks to, found once per command and handed down to the use cases and src/condor:
 * env VMDAG_CONDOR_PREFIX (argv words separated by spaces, e.g. "/var/lib/vmdag/lab/current/bin/lab-exec --")
 * > the running lab (`vmdag lab up`; in VMDAG_LAB_DIR, default /var/lib/vmdag/lab) > none (the condor_* commands on PATH, as on a real submit node).
 * src/condor itself knows nothing of the lab: it runs `[...prefix, command, ...args]`.
 */
import type { CondorContext } from '../condor/exec.js';
import { defaultLabDir } from '../lab/options.js';
import { labCondorContext } from '../lab/status.js';

export type CondorContextSource = 'env' | 'lab' | 'path';

export async function findCondorContext(
  env: Record<string, string | undefined>,
): Promise<CondorContext & { source: CondorContextSource }> {
  const fromEnv = env.VMDAG_CONDOR_PREFIX?.trim();
  if (fromEnv) return { prefix: fromEnv.split(/\s+/), source: 'env' };
  const lab = await labCondorContext(defaultLabDir(env));
  if (lab) return { ...lab, source: 'lab' };
  return { prefix: [], source: 'path' };
}
