#!/usr/bin/env node
// Record a finished vmdag run on the lab as parser/status fixtures:
//   node scripts/record-run.mjs RUN_DIR NAME
// copies DAGMan's files of RUN_DIR (and GATE's logs/guests.json, logs/guests-seen.txt) and the run's
// condor_history -json into fixtures/recorded/runs/NAME/, with COMMAND.txt saying how they were produced.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [dirArg, name] = process.argv.slice(2);
if (!dirArg || !name) {
  console.error('usage: record-run.mjs RUN_DIR NAME');
  process.exit(2);
}
const dir = resolve(dirArg);
const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
const out = resolve('fixtures/recorded/runs', name);
mkdirSync(out, { recursive: true });
const prefix = (process.env.VMDAG_CONDOR_PREFIX ?? '/var/lib/vmdag/lab/current/bin/lab-exec --').split(/\s+/);
const keep = (f) =>
  f.endsWith('.dag') ||
  f === 'plan.json' ||
  /\.(nodes\.log|jobstate\.log|metrics|status|dagman\.log|dagman\.out)$/.test(f);
const copied = [];
for (const f of readdirSync(dir)) {
  if (keep(f)) {
    copyFileSync(join(dir, f), join(out, f));
    copied.push(f);
  }
}
// GATE's record of the guests (runs since issue 17): their startd ads and when it first saw each.
for (const f of ['logs/guests.json', 'logs/guests-seen.txt']) {
  if (existsSync(join(dir, f))) {
    mkdirSync(join(out, 'logs'), { recursive: true });
    copyFileSync(join(dir, f), join(out, f));
    copied.push(f);
  }
}
const id = run.dagmanJobId;
const constraint = `ClusterId == ${id} || DAGManJobId == ${id}`;
const [cmd, ...pre] = prefix;
const history = execFileSync(cmd, [...pre, 'condor_history', '-json', '-constraint', constraint], {
  cwd: dir,
});
writeFileSync(join(out, 'condor_history.json'), history);
const q = execFileSync(cmd, [...pre, 'condor_q', '-allusers', '-json', '-constraint', constraint], {
  cwd: dir,
});
writeFileSync(join(out, 'condor_q.json'), q);
const version = execFileSync(cmd, [...pre, 'condor_version'], { cwd: dir })
  .toString()
  .split('\n')[0];
writeFileSync(
  join(out, 'COMMAND.txt'),
  `Recorded by scripts/record-run.mjs on ${new Date().toISOString()} from ${dir}
(DAGMan job ${id}), ${version}, in the vmdag lab (commands through the lab prefix).
Files copied from the run directory as DAGMan left them: ${copied.join(', ')}
condor_history -json -constraint '${constraint}' > condor_history.json
condor_q -allusers -json -constraint '${constraint}' > condor_q.json
${existsSync(join(dir, 'README.record')) ? readFileSync(join(dir, 'README.record'), 'utf8') : ''}`,
);
console.log(`recorded ${copied.length + 2} files into ${out}`);
