import type { Output } from '../src/commands/types.js';

/** An Output that keeps what a command writes, for tests that run the CLI in-process. */
export function capture(): Output & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
  };
  return o;
}
