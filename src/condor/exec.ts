/**
 * The one seam through which vmdag runs HTCondor commands: execa with an argv array, never a shell string.
 * A command prefix (e.g. the lab's `lab-exec` wrapper) may stand before the real command, so the same code
 * runs against a real submit node (no prefix) and against the lab pool on this machine.
 */
import { execa } from 'execa';

export interface CondorContext {
  /** argv placed before every condor command, e.g. ['/var/lib/vmdag/lab/bin/lab-exec', '--']. */
  prefix: readonly string[];
  /** Extra environment for the commands. */
  env?: Record<string, string>;
}

export interface CondorResult {
  command: string;
  argv: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** HTCondor could not be run at all (binary missing, lab down): exit code 3 territory. */
export class CondorUnavailableError extends Error {
  constructor(
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'CondorUnavailableError';
  }
}

/** A condor command ran and failed. */
export class CondorCommandError extends Error {
  constructor(readonly result: CondorResult) {
    super(
      `${result.command} exited with ${result.exitCode}${result.stderr ? `: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
    );
    this.name = 'CondorCommandError';
  }
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  /** Milliseconds; default 120 s. */
  timeout?: number;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /**
   * Milliseconds during which a failure that says the daemon could not be reached (a schedd restarting,
   * say) is retried with backoff; 0 = no retry. Only for commands that are safe to repeat.
   */
  retryTransientMs?: number;
}

/** What HTCondor's tools print when a daemon is briefly unreachable (restarting, overloaded). */
export const TRANSIENT =
  /Failed to connect to (local )?queue manager|Failed to fetch ads|SECMAN:20(07|11)|Connection refused|Can't find address of (local )?schedd|Failed to end classad message/i;

export function isTransient(r: Pick<CondorResult, 'exitCode' | 'stdout' | 'stderr'>): boolean {
  return r.exitCode !== 0 && TRANSIENT.test(`${r.stderr}\n${r.stdout}`);
}

/**
 * How many HTCondor commands this process has run, by command name (each attempt of a retried command
 * counts). Read by the benchmark that shows `vmdag status` needs a constant number of queries.
 */
export const condorCallCounts = new Map<string, number>();

export async function runCondor(
  ctx: CondorContext,
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CondorResult> {
  const deadline = Date.now() + (opts.retryTransientMs ?? 0);
  let wait = 500;
  for (;;) {
    const r = await runOnce(ctx, command, args, { ...opts, allowFailure: true });
    if (isTransient(r) && Date.now() + wait < deadline) {
      await new Promise((res) => setTimeout(res, wait));
      wait = Math.min(wait * 2, 4000);
      continue;
    }
    if (r.exitCode !== 0 && !opts.allowFailure) throw new CondorCommandError(r);
    return r;
  }
}

async function runOnce(
  ctx: CondorContext,
  command: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<CondorResult> {
  const argv = [...ctx.prefix, command, ...args];
  condorCallCounts.set(command, (condorCallCounts.get(command) ?? 0) + 1);
  const [file, ...rest] = argv;
  if (file === undefined) throw new Error('empty argv');
  let r: Awaited<ReturnType<typeof execa>>;
  try {
    r = await execa(file, rest, {
      cwd: opts.cwd,
      input: opts.input,
      timeout: opts.timeout ?? 120_000,
      reject: false,
      env: ctx.env,
      stripFinalNewline: false,
    });
  } catch (e) {
    throw new CondorUnavailableError(`${command}: ${(e as Error).message}`);
  }
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  if ((r as { code?: string }).code === 'ENOENT' || (r.failed && r.exitCode === undefined && !r.timedOut)) {
    throw new CondorUnavailableError(
      ctx.prefix.length === 0
        ? `HTCondor not found on PATH (${command}); start the lab with 'vmdag lab up' or set VMDAG_CONDOR_PREFIX`
        : `could not run ${argv.join(' ')}: ${r.shortMessage ?? 'failed'}`,
      stderr,
    );
  }
  if (r.timedOut) {
    throw new CondorUnavailableError(
      `${command} timed out after ${(opts.timeout ?? 120_000) / 1000} s`,
      stderr,
    );
  }
  const result: CondorResult = { command, argv, exitCode: r.exitCode ?? -1, stdout, stderr };
  if (result.exitCode !== 0 && !opts.allowFailure) throw new CondorCommandError(result);
  return result;
}
