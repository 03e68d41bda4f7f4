#!/usr/bin/env node
// Record the three `condor_status -pool P … -json` queries that `vmdag sites` makes (src/site-catalog/query-site.ts)
// for every pool of the running lab's site catalog (`vmdag lab up --orgs 3` runs org-a, org-b and org-c) into
// test/site-catalog/recorded/<site>-{slots,schedds,collector}.stdout, and say how in <site>.COMMAND.txt. The parser
// tests read these files, never invented text.
// usage (root, lab up, after npm run build): node scripts/lab-record-sites.mjs [site…]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { siteQueries } from '../dist/site-catalog/query-site.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const state = JSON.parse(
  readFileSync(`${process.env.VMDAG_LAB_DIR || '/var/lib/vmdag/lab'}/current/state.json`, 'utf8'),
);
const prefix = (process.env.VMDAG_CONDOR_PREFIX || `${state.wrapper} --`).split(/\s+/);
const wanted = process.argv.slice(2);
const dest = path.join(repo, 'test/site-catalog/recorded');

for (const pool of state.pools) {
  if (wanted.length > 0 && !wanted.includes(pool.name)) continue;
  const q = siteQueries(pool.collector);
  const lines = [`# ${new Date().toISOString()}, HTCondor ${state.htcondorVersion}, lab pool ${pool.name}`];
  for (const [kind, args] of Object.entries(q)) {
    const [file, ...rest] = [...prefix, 'condor_status', ...args];
    const r = spawnSync(file, rest, { cwd: '/', encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`condor_status ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    writeFileSync(path.join(dest, `${pool.name}-${kind}.stdout`), r.stdout);
    lines.push(`condor_status ${args.join(' ')} > ${pool.name}-${kind}.stdout`);
  }
  writeFileSync(path.join(dest, `${pool.name}.COMMAND.txt`), `${lines.join('\n')}\n`);
  process.stderr.write(`recorded ${pool.name} (${pool.collector})\n`);
}
