#!/usr/bin/env node
// npm run test:compat (not in CI): the lab project against Debian trixie's HTCondor 23.9 instead of the
// default 25 — the lab is brought down and up again with `--htcondor 23`, vitest's lab project runs against
// it, and the lab is put back as `vmdag lab up` makes it (HTCondor 25) at the end unless --keep is given.
// Prints the HTCondor version, vitest's own summary and how long each part took; exits with vitest's status.
// The known difference is 23.9.6's schedd crash with two parallel jobs queued at once (docs/lab.md); the tests
// that restart the schedd during a VM step do it with -fast before HTCondor 25.10.1 (docs/lab.md, HTCONDOR-3499).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vmdag = path.join(repo, 'bin/vmdag.js');
const keep = process.argv.includes('--keep');
// Anything else goes to vitest: `npm run test:compat -- --keep test/faults/scenarios.test.ts`.
const vitestArgs = process.argv.slice(2).filter((a) => a !== '--keep');
const say = (line) => process.stderr.write(`compat: ${line}\n`);
const timed = (what, argv, opts = {}) => {
  const t0 = Date.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit'],
    cwd: repo,
    ...opts,
  });
  say(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s (exit ${r.status})`);
  return r.status ?? 1;
};
const node = process.execPath;

timed('lab down', [node, vmdag, 'lab', 'down']);
if (timed('lab up --htcondor 23', [node, vmdag, 'lab', 'up', '--htcondor', '23']) !== 0) process.exit(1);
const st = JSON.parse(spawnSync(node, [vmdag, 'lab', 'status', '--json'], { encoding: 'utf8' }).stdout);
say(`lab: HTCondor ${st.htcondorVersion}, prefix ${st.prefix.join(' ')}`);
const env = {
  ...process.env,
  VMDAG_LAB_TESTS: '1',
  VMDAG_LAB_REQUIRED: '1',
  VMDAG_CONDOR_PREFIX: st.prefix.join(' '),
  VMDAG_LAB_HTCONDOR: '23',
};
const status = timed('vitest --project lab', ['npx', 'vitest', 'run', '--project', 'lab', ...vitestArgs], {
  env,
});
if (!keep) {
  timed('lab down', [node, vmdag, 'lab', 'down']);
  timed('lab up (HTCondor 25)', [node, vmdag, 'lab', 'up'], {
    env: { ...process.env, VMDAG_LAB_HTCONDOR: '25' },
  });
}
process.exit(status);
