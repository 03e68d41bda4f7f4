/**
 * How the lab runs system commands (debootstrap, mount, ip, chroot): execa with argv arrays, never a shell
 * string. Failures become LabError with the command's last stderr lines.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

/** A lab problem the user can act on; `code` 3 = the environment (root, mirror, HTCondor) is missing. */
export class LabError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 3 = 3,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

export type Log = (line: string) => void;

export interface SysResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface SysOptions {
  input?: string;
  timeout?: number;
  allowFailure?: boolean;
  env?: Record<string, string>;
  cwd?: string;
}

const BASE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  DEBIAN_FRONTEND: 'noninteractive',
};

export async function sys(argv: readonly string[], opts: SysOptions = {}): Promise<SysResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty argv');
  const r = await execa(file, args, {
    input: opts.input,
    timeout: opts.timeout ?? 600_000,
    reject: false,
    cwd: opts.cwd,
    env: { ...BASE_ENV, ...opts.env },
    extendEnv: false,
  });
  const res: SysResult = {
    exitCode: r.exitCode ?? -1,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
  };
  if (res.exitCode !== 0 && !opts.allowFailure) {
    const tail = `${res.stderr}\n${res.stdout}`.trim().split('\n').slice(-8).join('\n  ');
    throw new LabError(
      `${argv.join(' ')} failed (exit ${res.exitCode}${r.timedOut ? ', timed out' : ''}):\n  ${tail}`,
    );
  }
  return res;
}

/** Run `fn`, then log how long it took: `lab: <what> … 12.3 s`. */
export async function timed<T>(log: Log, what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const v = await fn();
  log(`lab: ${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return v;
}

/** Write a file of the lab (its folder made when missing) with exactly this mode, whatever the umask. */
export function writeLabFile(file: string, text: string, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}
