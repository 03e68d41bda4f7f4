/**
 * Kept only for src/commands/plan.ts, which the compile-pipeline work of issue 13 owns: once it takes the
 * context the CLI hands down (`io.condor()`, src/commands/condor-context.ts), this file goes, and nothing
 * under src/condor imports src/lab. Do not use it anywhere else.
 * @deprecated use the CommandIo's condor() (src/commands/types.ts)
 */
import { labCondorContext } from '../lab/status.js';
import type { CondorContext } from './exec.js';

export async function resolveCondorContext(env: NodeJS.ProcessEnv = process.env): Promise<CondorContext> {
  const fromEnv = env.VMDAG_CONDOR_PREFIX?.trim();
  if (fromEnv) return { prefix: fromEnv.split(/\s+/) };
  return (await labCondorContext()) ?? { prefix: [] };
}
