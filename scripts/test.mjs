#!/usr/bin/env node
// npm test (after the build): make sure the lab pool runs — bring it up when it does not (needs root and
// Debian's mirror the first time) — then run vitest's unit and lab projects (VMDAG_LAB_TESTS=1) with
// VMDAG_CONDOR_PREFIX set to the lab's prefix. Installs Debian's chromium for the HTML report's test if missing.
// With CI=true a lab that cannot come up fails the suite; elsewhere the lab tests are skipped with a note.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vmdag = path.join(repo, 'bin/vmdag.js');
const ci = process.env.CI === 'true';
const say = (line) => process.stderr.write(`test: ${line}\n`);

function labStatus() {
  const r = spawnSync(process.execPath, [vmdag, 'lab', 'status', '--json'], { encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { running: false };
  }
}

const env = { ...process.env };
if (!env.VMDAG_CONDOR_PREFIX) {
  let st = labStatus();
  if (!st.running) {
    const t0 = Date.now();
    say('the lab is not running: vmdag lab up');
    const up = spawnSync(process.execPath, [vmdag, 'lab', 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
    say(`lab up: ${((Date.now() - t0) / 1000).toFixed(1)} s (exit ${up.status})`);
    st = labStatus();
  }
  if (st.running) {
    env.VMDAG_CONDOR_PREFIX = st.prefix.join(' ');
    say(`lab: HTCondor ${st.htcondorVersion}, prefix ${env.VMDAG_CONDOR_PREFIX}`);
  } else if (ci) {
    say('FAIL: the lab could not come up, and CI needs it (see the messages above)');
    process.exit(1);
  } else {
    say('the lab is not available: tests against the real pool are skipped (run as root: vmdag lab up)');
  }
}
// The lab project opens the HTML report in Debian's headless Chromium (test/report/html-chromium.test.ts);
// install the package when it is missing (root and Debian's mirror, as for the lab). Without it that test is
// skipped, or fails under CI.
function ensureChromium() {
  const bin = '/usr/bin/chromium'; // test/report/chromium.ts
  if (existsSync(bin)) return;
  const root = process.getuid?.() === 0;
  if (!root || spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) {
    say(
      `${bin} is missing and this is no root with apt-get: apt-get install -y --no-install-recommends chromium`,
    );
    return;
  }
  const t0 = Date.now();
  say(`${bin} is missing: apt-get install -y --no-install-recommends chromium`);
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) =>
    spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv }).status;
  const install = () => apt('install', '-y', '--no-install-recommends', 'chromium');
  // A fresh machine may have no package lists yet.
  let status = install();
  if (status !== 0 && apt('update') === 0) status = install();
  say(`apt-get install chromium: ${((Date.now() - t0) / 1000).toFixed(1)} s (exit ${status})`);
}
ensureChromium();

if (ci) env.VMDAG_LAB_REQUIRED = '1';
// The lab project of vitest.config.ts exists only with this set: a plain `npx vitest run` stays the unit loop.
env.VMDAG_LAB_TESTS = '1';

// The files run in a shuffled order (vitest.config.ts); the seed is printed so that a failing order can be
// repeated with VMDAG_TEST_SEED=N npm test.
const seed = process.env.VMDAG_TEST_SEED || String(Date.now() % 1_000_000_000);
say(`test files in a shuffled order, seed ${seed} (repeat it: VMDAG_TEST_SEED=${seed} npm test)`);
// The run's own temporary folder is vitest's globalSetup (test/run-tmpdir.ts): it prints and removes it.
const t0 = Date.now();
const args = ['vitest', 'run', '--sequence.seed', seed, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { stdio: 'inherit', env, cwd: repo });
say(`vitest: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(r.status ?? 1);
