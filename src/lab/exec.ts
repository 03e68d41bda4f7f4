/** `lab exec -- CMD…`: run CMD through the running lab's wrapper, passing stdio through; CMD's exit code. */
import { spawn } from 'node:child_process';
import { readLabState } from './state.js';
import { LabError } from './sys.js';

export async function labExec(argv: readonly string[], labDir?: string): Promise<number> {
  const state = readLabState(labDir);
  if (!state) throw new LabError("the vmdag lab is not running (start it with 'vmdag lab up')");
  return await new Promise<number>((resolve, reject) => {
    const child = spawn(state.wrapper, ['--', ...argv], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 + 15 : 1)));
  });
}
