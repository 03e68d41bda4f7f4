/** Running the real `vmdag` CLI as a child process (bin/vmdag.js on the built dist/), timed, with a hard timeout. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/vmdag.js', import.meta.url));

export interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, node's start-up included, in milliseconds. */
  ms: number;
  /** Peak resident memory of the child in KiB (GNU time's %M), when /usr/bin/time is there. */
  maxRssKiB?: number;
}

const GNU_TIME = '/usr/bin/time';

/** The environment of a child: no site catalog from the caller's environment. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.VMDAG_SITES;
  return env;
}

export function runCli(
  args: string[],
  opts: { cwd: string; timeoutMs?: number; env?: Record<string, string> },
): ProcessResult {
  const rssDir = existsSync(GNU_TIME) ? mkdtempSync(path.join(tmpdir(), 'vmdag-rss-')) : undefined;
  const rssFile = rssDir ? path.join(rssDir, 'rss') : '';
  // coreutils timeout kills node itself (spawnSync's timeout would only kill GNU time, its parent).
  const limit = `${Math.ceil((opts.timeoutMs ?? 10_000) / 1000)}`;
  const argv = ['timeout', '-s', 'KILL', limit, process.execPath, BIN, ...args];
  const [cmd, ...rest] = rssDir ? [GNU_TIME, '-o', rssFile, '-f', '%M', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd as string, rest, {
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: (opts.timeoutMs ?? 10_000) + 5000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    env: childEnv(opts.env ?? {}),
  });
  const ms = performance.now() - t0;
  let maxRssKiB: number | undefined;
  if (rssDir) {
    try {
      maxRssKiB = Number.parseInt(readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '', 10);
    } catch {
      // killed before GNU time could write it
    }
    rmSync(rssDir, { recursive: true, force: true });
  }
  return {
    ...(maxRssKiB !== undefined && Number.isFinite(maxRssKiB) ? { maxRssKiB } : {}),
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    ms,
  };
}

/** Lines that betray a crash rather than a diagnostic: a JS stack frame or vmdag's own "internal error". */
export function crashLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s+at /.test(l) || /internal error|RangeError|TypeError/.test(l));
}

/** `FILE:LINE:COL: severity: MESSAGE [CODE]` */
export const DIAGNOSTIC_LINE = /^(.+?):(\d+):(\d+): (error|warning): (.+) \[([a-z0-9.-]+)\]$/;
