// What the lab benchmarks (latency-bench.mjs, paper-bench.mjs) share: running the built CLI with its time,
// reading its JSON, and printing figures (median and min–max, the load average).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'vmdag.js');

/** `vmdag(args, cwd)` running bin/vmdag.js with `env`: exit code, output and seconds. */
export function vmdagWith(env) {
  return (args, cwd = ROOT) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      env,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds };
  };
}

export function json(r, what) {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what}: exit ${r.code}: ${r.stderr || r.stdout}`);
  }
}

/** `vmdag lab status --json` when the lab runs, else undefined. */
export function runningLab(vmdag) {
  const s = vmdag(['lab', 'status', '--json']);
  const lab = s.code === 0 ? json(s, 'lab status') : undefined;
  return lab?.running ? lab : undefined;
}

export const load = () => loadavg()[0].toFixed(2);
const isNumber = (x) => typeof x === 'number' && !Number.isNaN(x);
export const fmt = (x, d = 0) =>
  x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(d);
export const median = (xs) => {
  const v = xs.filter(isNumber).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
/** `median (min–max)` of the numbers among `xs`. */
export function spread(xs, d = 0) {
  const v = xs.filter(isNumber);
  if (v.length === 0) return '-';
  const m = fmt(median(v), d);
  return v.length === 1 ? m : `${m} (${fmt(Math.min(...v), d)}–${fmt(Math.max(...v), d)})`;
}
