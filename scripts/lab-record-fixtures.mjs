#!/usr/bin/env node
// Record real HTCondor output from the running vmdag lab into fixtures/recorded/<name>/, each folder with a
// COMMAND.txt saying how it was produced. Parsers are tested on these files, never on invented text.
// usage (root, lab up): node scripts/lab-record-fixtures.mjs [name…]   names: vanilla-job, dag-mixed, dag-removed,
// guest-ads (a VM run of examples/hpl-2vm: its guests' startd ads while they serve it, and after it ended);
// only when named: orgs-ping (needs lab up --orgs 3), dagman-no-submit, check-dry-run (nothing queued: what
// `vmdag check` reads — condor_submit -dry-run per node, a refused value, condor_dag_checker -json),
// vm-holds (VM jobs held for their disk: the gahp's own checks and the site kit's; the node keeps HasVM),
// rescue-dag (a native DAG with a SERVICE and a FINAL node whose node F fails; its rescue file; F's submit
// file fixed and the DAG submitted again without -f: DAGMan runs the rescue DAG), vm-runs (a real 2-VM run
// recorded while its step runs, then after condor_rm: runs/vm-running, runs/vm-removed)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const state = JSON.parse(
  readFileSync(`${process.env.VMDAG_LAB_DIR || '/var/lib/vmdag/lab'}/current/state.json`, 'utf8'),
);
const prefix = (process.env.VMDAG_CONDOR_PREFIX || `${state.wrapper} --`).split(/\s+/);
const sleep = (s) => spawnSync('sleep', [String(s)]);

/** Run a lab command in `cwd`; returns stdout (throws on failure unless allowed). */
function lab(cwd, argv, { allowFailure = false } = {}) {
  const [file, ...rest] = [...prefix, ...argv];
  const r = spawnSync(file, rest, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && !allowFailure) {
    throw new Error(`${argv.join(' ')} (in ${cwd}) exited ${r.status}: ${r.stderr}`);
  }
  return r.stdout;
}

/** vmdag (this checkout's) in `cwd`; returns stdout, throws on a non-zero exit. */
function vmdagIn(cwd, argv) {
  const r = spawnSync(process.execPath, [path.join(repo, 'bin/vmdag.js'), ...argv], {
    cwd,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vmdag ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function workDir(name) {
  const dir = `/tmp/vmdag-fixtures/${name}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function waitFor(what, fn, timeoutS = 300) {
  const end = Date.now() + timeoutS * 1000;
  while (Date.now() < end) {
    if (fn()) return;
    sleep(1);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Jobs of a DAG (DAGMan itself and its nodes) still in the queue. */
function queued(dir, dagmanId) {
  const out = lab(dir, [
    'condor_q',
    '-af',
    'ClusterId',
    `-constraint`,
    `ClusterId == ${dagmanId} || DAGManJobId == ${dagmanId}`,
  ]);
  return out.trim().split('\n').filter(Boolean).length;
}

function record(name, dir, files, commands) {
  const dest = path.join(repo, 'fixtures/recorded', name);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const f of files) {
    if (existsSync(path.join(dir, f))) copyFileSync(path.join(dir, f), path.join(dest, f));
  }
  const lines = [
    `Recorded by scripts/lab-record-fixtures.mjs ${name} on ${new Date().toISOString()}`,
    `HTCondor ${state.htcondorVersion} (Debian ${state.suite}) in the vmdag lab; working directory ${dir};`,
    `every command ran through the lab prefix (${prefix.join(' ')}) as the lab's submitting user.`,
    '',
    ...commands,
    '',
  ];
  writeFileSync(path.join(dest, 'COMMAND.txt'), lines.join('\n'));
  process.stderr.write(`recorded ${dest}\n`);
}

/** An argv as a shell would need it typed. */
const shell = (argv) =>
  argv.map((a) => (/^[\w./=:@-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

function saveQuery(dir, file, argv, cmds) {
  writeFileSync(path.join(dir, file), lab(dir, argv));
  cmds.push(`${shell(argv)} > ${file}`);
}

const SUB = {
  'a.sub':
    'universe = vanilla\nexecutable = /bin/echo\narguments = A done\noutput = a.out\nerror = a.err\nrequest_memory = 64\nqueue\n',
  'b.sub':
    'universe = vanilla\nexecutable = /bin/sh\narguments = "-c \'sleep 5; echo B done\'"\noutput = b.out\nerror = b.err\nrequest_memory = 64\nqueue\n',
  'f.sub':
    'universe = vanilla\nexecutable = /bin/sh\narguments = "-c \'echo failing on purpose >&2; exit 3\'"\noutput = f.out\nerror = f.err\nrequest_memory = 64\nqueue\n',
  'p.sub':
    'universe = parallel\nexecutable = /bin/sh\narguments = "-c \'echo node $_CONDOR_PROCNO of $_CONDOR_NPROCS\'"\nmachine_count = 2\noutput = p.out.$(Node)\nerror = p.err.$(Node)\nrequest_memory = 64\nqueue\n',
  'long.sub':
    'universe = vanilla\nexecutable = /bin/sleep\narguments = 600\noutput = long.out\nerror = long.err\nrequest_memory = 64\nqueue\n',
};

function vanillaJob() {
  const dir = workDir('vanilla-job');
  writeFileSync(
    path.join(dir, 'job.sub'),
    `${SUB['b.sub'].replace('b.out', 'job.out').replace('b.err', 'job.err')}`.replace(
      'queue',
      'log = job.log\nqueue',
    ),
  );
  const cmds = ['condor_submit job.sub'];
  const out = lab(dir, ['condor_submit', 'job.sub']);
  const id = /submitted to cluster (\d+)/.exec(out)[1];
  writeFileSync(path.join(dir, 'condor_submit.out'), out);
  waitFor('job running', () => lab(dir, ['condor_q', id, '-af', 'JobStatus']).trim() === '2');
  saveQuery(dir, 'condor_q.running.json', ['condor_q', id, '-json'], cmds);
  saveQuery(dir, 'condor_q.running.xml', ['condor_q', id, '-xml'], cmds);
  lab(dir, ['condor_wait', '-wait', '120', 'job.log', id]);
  cmds.push(`condor_wait -wait 120 job.log ${id}`);
  waitFor('history', () => lab(dir, ['condor_history', id, '-af', 'JobStatus']).trim() === '4');
  saveQuery(dir, 'condor_history.json', ['condor_history', id, '-json'], cmds);
  saveQuery(dir, 'condor_history.xml', ['condor_history', id, '-xml'], cmds);
  record(
    'vanilla-job',
    dir,
    [
      'job.sub',
      'job.log',
      'job.out',
      'condor_submit.out',
      'condor_q.running.json',
      'condor_q.running.xml',
      'condor_history.json',
      'condor_history.xml',
    ],
    cmds,
  );
}

function dag(name, dagText, subs, { remove = false } = {}) {
  const dir = workDir(name);
  for (const s of subs) writeFileSync(path.join(dir, s), SUB[s]);
  writeFileSync(path.join(dir, `${name}.dag`), dagText);
  const cmds = [`condor_submit_dag ${name}.dag`];
  const out = lab(dir, ['condor_submit_dag', `${name}.dag`]);
  writeFileSync(path.join(dir, 'condor_submit_dag.out'), out);
  const id = /submitted to cluster (\d+)/.exec(out)[1];
  const nodesOf = ['condor_q', '-constraint', `DAGManJobId == ${id}`];
  waitFor('a node job running', () =>
    lab(dir, [...nodesOf, '-af', 'JobStatus'])
      .split('\n')
      .includes('2'),
  );
  saveQuery(
    dir,
    'condor_q.running.json',
    ['condor_q', '-constraint', `ClusterId == ${id} || DAGManJobId == ${id}`, '-json'],
    cmds,
  );
  saveQuery(
    dir,
    'condor_q.running.xml',
    ['condor_q', '-constraint', `ClusterId == ${id} || DAGManJobId == ${id}`, '-xml'],
    cmds,
  );
  if (remove) {
    lab(dir, ['condor_rm', id]);
    cmds.push(`condor_rm ${id}`);
  }
  waitFor('the DAG to leave the queue', () => queued(dir, id) === 0, 600);
  cmds.push(
    `(waited until condor_q -constraint 'ClusterId == ${id} || DAGManJobId == ${id}' listed nothing)`,
  );
  waitFor('DAGMan in the history', () => lab(dir, ['condor_history', id, '-af', 'JobStatus']).trim() !== '');
  saveQuery(
    dir,
    'condor_history.json',
    ['condor_history', '-constraint', `ClusterId == ${id} || DAGManJobId == ${id}`, '-json'],
    cmds,
  );
  saveQuery(
    dir,
    'condor_history.xml',
    ['condor_history', '-constraint', `ClusterId == ${id} || DAGManJobId == ${id}`, '-xml'],
    cmds,
  );
  const files = [
    `${name}.dag`,
    ...subs,
    'condor_submit_dag.out',
    'condor_q.running.json',
    'condor_q.running.xml',
    'condor_history.json',
    'condor_history.xml',
    `${name}.dag.dagman.out`,
    `${name}.dag.metrics`,
    `${name}.dag.status`,
    `${name}.dag.jobstate.log`,
    `${name}.dag.nodes.log`,
    `${name}.dag.dagman.log`,
    `${name}.dag.rescue001`,
    'a.out',
    'b.out',
    'f.err',
    'p.out.0',
    'p.out.1',
  ];
  record(name, dir, files, cmds);
}

/** The guests' startd ads as `vmdag status` asks for them: while they serve the run, and once it ended. */
function guestAds() {
  const name = 'guest-ads';
  const dir = workDir(name);
  const vmdag = (argv) => vmdagIn(dir, argv);
  vmdag(['compile', path.join(repo, 'examples/hpl-2vm/workflow.yaml'), '-o', 'run']);
  const id = JSON.parse(vmdag(['submit', 'run', '--json'])).dagmanJobId;
  const query = [
    'condor_status',
    '-json',
    '-constraint',
    `VmGuest =?= true && VmWorkflowId =?= "${id}"`,
    '-attributes',
    'Name,State,Activity,VmWorkflowId',
  ];
  const cmds = [`vmdag compile examples/hpl-2vm/workflow.yaml -o run; vmdag submit run (DAGMan job ${id})`];
  waitFor('both guests claimed', () => (lab(dir, query).match(/"Claimed"/g) ?? []).length === 2, 600);
  saveQuery(dir, 'condor_status.guests-claimed.json', query, cmds);
  waitFor('the run to end', () => queued(dir, id) === 0, 600);
  saveQuery(dir, 'condor_status.after-run.json', query, cmds);
  record(name, dir, ['condor_status.guests-claimed.json', 'condor_status.after-run.json'], cmds);
}

/**
 * condor_ping of the organisations' schedds (needs `vmdag lab up --orgs 3`): org-c's with its own token,
 * without any, and with org-b's; and a collector that is not there.
 */
function orgsPing() {
  const name = 'orgs-ping';
  const dir = workDir(name);
  const pools = state.pools.filter((p) => p.name === 'org-b' || p.name === 'org-c');
  const c = pools.find((p) => p.name === 'org-c');
  const b = pools.find((p) => p.name === 'org-b');
  if (!c || !b) throw new Error('orgs-ping needs the organisations: vmdag lab up --orgs 3');
  const ping = (pool) => [
    'condor_ping',
    '-pool',
    pool,
    '-name',
    c.schedd,
    '-type',
    'schedd',
    '-verbose',
    'WRITE',
  ];
  const cases = [
    ['ping.own-token', c.tokens, ping(c.collector)],
    ['ping.no-token', undefined, ping(c.collector)],
    ['ping.other-token', b.tokens, ping(c.collector)],
    ['ping.no-collector', c.tokens, ping(c.collector.replace(/:\d+$/, ':9'))],
  ];
  const cmds = [];
  const files = [];
  for (const [file, tokens, argv] of cases) {
    const [bin, ...rest] = [...prefix, ...argv];
    const env = { ...process.env, ...(tokens ? { _CONDOR_SEC_TOKEN_DIRECTORY: tokens } : {}) };
    const r = spawnSync(bin, rest, { cwd: dir, encoding: 'utf8', env });
    writeFileSync(path.join(dir, `${file}.stdout`), r.stdout);
    writeFileSync(path.join(dir, `${file}.stderr`), r.stderr);
    writeFileSync(path.join(dir, `${file}.exit`), `${r.status}\n`);
    files.push(`${file}.stdout`, `${file}.stderr`, `${file}.exit`);
    cmds.push(`${file}: ${tokens ? `_CONDOR_SEC_TOKEN_DIRECTORY=${tokens} ` : ''}${shell(argv)}`);
  }
  record(name, dir, files, cmds);
}

/** What `condor_submit_dag -no_submit` writes for a compiled run (the DAGMan job vmdag spools to a site). */
function noSubmit() {
  const name = 'dagman-no-submit';
  const dir = workDir(name);
  spawnSync(
    'node',
    [
      path.join(repo, 'bin/vmdag.js'),
      'compile',
      path.join(repo, 'examples/hpl-2vm/workflow.yaml'),
      '-o',
      `${dir}/run`,
    ],
    { encoding: 'utf8' },
  );
  const argv = ['condor_submit_dag', '-f', '-no_submit', '-batch-name', 'hpl-2vm', 'hpl-2vm.dag'];
  lab(`${dir}/run`, argv);
  copyFileSync(`${dir}/run/hpl-2vm.dag.condor.sub`, `${dir}/hpl-2vm.dag.condor.sub`);
  record(
    name,
    dir,
    ['hpl-2vm.dag.condor.sub'],
    [`vmdag compile examples/hpl-2vm/workflow.yaml -o run; cd run; ${shell(argv)}`],
  );
}

/**
 * VM jobs the execute node holds for their disk (fixtures/recorded/vm-holds/<case>): a relative vm_disk that
 * is not transferred and a disk that does not exist (condor_vm-gahp: VMGAHP_ERR_JOBCLASSAD_KVM_INVALID_DISK_PARAM),
 * a raw file the job calls qcow2 and a folder (the site kit's domain script refuses them:
 * VMGAHP_ERR_BAD_IMAGE). Each: submitted, held, its ad and every slot's HasVM saved, removed; its event log.
 */
function vmHolds() {
  const cases = [
    ['relative-disk', () => 'guest.img:vda:r:raw', 'should_transfer_files = NO\n'],
    ['missing-disk', () => '/var/lib/vmdag/guest/no-such-image.img:vda:r:raw', ''],
    [
      'raw-as-qcow2',
      (dir) => {
        // 4 MiB of zeros with an ext4 superblock's magic: a raw disk, which the job calls qcow2.
        const b = Buffer.alloc(4 << 20);
        b.writeUInt16LE(0xef53, 1080);
        writeFileSync(path.join(dir, 'disk.raw'), b);
        return `${dir}/disk.raw:vda:r:qcow2`;
      },
      '',
    ],
    [
      'directory',
      (dir) => {
        mkdirSync(path.join(dir, 'disk.qcow2'));
        return `${dir}/disk.qcow2:vda:r:qcow2`;
      },
      '',
    ],
  ];
  for (const [which, makeDisk, extra] of cases) {
    const name = `vm-holds/${which}`;
    const dir = workDir(name);
    spawnSync('chmod', ['-R', 'a+rwX', '/tmp/vmdag-fixtures']);
    const disk = makeDisk(dir);
    writeFileSync(
      path.join(dir, 'job.sub'),
      `universe = vm\nexecutable = vmdag-${which}\nvm_type = kvm\nvm_memory = 256\nvm_disk = ${disk}\nvm_no_output_vm = true\n${extra}requirements = (TARGET.VmdagSiteKit >= 1)\nrequest_memory = 256\n+VmWorkflowId = "0"\nlog = job.log\nqueue\n`,
    );
    const cmds = ['condor_submit job.sub'];
    const out = lab(dir, ['condor_submit', 'job.sub']);
    const id = /submitted to cluster (\d+)/.exec(out)[1];
    waitFor('the job held', () => lab(dir, ['condor_q', id, '-af', 'JobStatus']).trim() === '5', 300);
    cmds.push(`(waited until condor_q ${id} -af JobStatus said 5, held)`);
    saveQuery(dir, 'condor_q.json', ['condor_q', id, '-json'], cmds);
    saveQuery(dir, 'condor_status.txt', ['condor_status', '-af', 'Name', 'HasVM', 'VMOfflineReason'], cmds);
    lab(dir, ['condor_rm', id]);
    cmds.push(`condor_rm ${id}`);
    waitFor('the job gone', () => lab(dir, ['condor_q', id, '-af', 'JobStatus']).trim() === '', 120);
    record(name, dir, ['job.sub', 'job.log', 'condor_q.json', 'condor_status.txt'], cmds);
  }
}

/**
 * What `vmdag check` reads, with nothing queued: the hpl-2vm example's nodes through condor_submit -dry-run with
 * the macros DAGMan passes; its compute node with a memory condor_submit refuses (`vmdag_memory=12QB`); its DAG
 * through condor_dag_checker -json, and a copy with a PARENT naming no node.
 */
function checkDryRun() {
  const name = 'check-dry-run';
  const dir = workDir(name);
  const run = `${dir}/run`;
  spawnSync(
    'node',
    [
      path.join(repo, 'bin/vmdag.js'),
      'compile',
      path.join(repo, 'examples/hpl-2vm/workflow.yaml'),
      '-o',
      run,
    ],
    { encoding: 'utf8' },
  );
  const dag = readFileSync(`${run}/hpl-2vm.dag`, 'utf8');
  const vars = /^VARS mpi (.*)$/m.exec(dag)[1];
  const macros = [...vars.matchAll(/(\S+?)="((?:[^"\\]|\\.)*)"/g)].map(
    (m) => `${m[1]}=${m[2].replace(/\\(.)/g, '$1')}`,
  );
  const cases = [
    ['vms.dry-run', ['condor_submit', '-dry-run', '-', 'vms.sub', 'JOB=VMS', 'DAGManJobId=4242']],
    [
      'mpi.dry-run',
      ['condor_submit', '-dry-run', '-', 'compute.sub', 'JOB=mpi', 'DAGManJobId=4242', ...macros],
    ],
    [
      'mpi-bad-memory.dry-run',
      [
        'condor_submit',
        '-dry-run',
        '-',
        'compute.sub',
        'JOB=mpi',
        'DAGManJobId=4242',
        ...macros.map((m) => (m.startsWith('vmdag_memory=') ? 'vmdag_memory=12QB' : m)),
      ],
    ],
    ['dag-checker', ['condor_dag_checker', '-json', 'hpl-2vm.dag']],
  ];
  writeFileSync(
    `${run}/broken.dag`,
    dag.replace('JOB GATE gate.sub', 'JOB GATE gate.sub\nPARENT nosuch CHILD mpi'),
  );
  cases.push(['dag-checker-broken', ['condor_dag_checker', '-json', 'broken.dag']]);
  const cmds = ['vmdag compile examples/hpl-2vm/workflow.yaml -o run; cd run'];
  const files = ['hpl-2vm.dag', 'broken.dag', 'compute.sub', 'vms.sub'];
  for (const f of files) copyFileSync(`${run}/${f}`, `${dir}/${f}`);
  for (const [file, argv] of cases) {
    const [bin, ...rest] = [...prefix, ...argv];
    const r = spawnSync(bin, rest, { cwd: run, encoding: 'utf8' });
    writeFileSync(path.join(dir, `${file}.stdout`), r.stdout);
    writeFileSync(path.join(dir, `${file}.stderr`), r.stderr);
    writeFileSync(path.join(dir, `${file}.exit`), `${r.status}\n`);
    files.push(`${file}.stdout`, `${file}.stderr`, `${file}.exit`);
    cmds.push(`${file}: ${shell(argv)}`);
  }
  cmds.push('(broken.dag: hpl-2vm.dag with `PARENT nosuch CHILD mpi` after JOB GATE)');
  record(name, dir, files, cmds);
}

/**
 * A DAG that fails, its rescue file, and the same DAG submitted again after the failing node's submit file was
 * fixed (condor_submit_dag without -f: it runs the newest rescue DAG). What `vmdag restart` relies on: which
 * nodes the rescue file marks DONE (never a SERVICE or FINAL node) and that the second DAGMan runs only the rest.
 */
function rescueDag() {
  const name = 'rescue-dag';
  const dir = workDir(name);
  const subs = {
    'a.sub': SUB['a.sub'],
    'b.sub': SUB['b.sub'],
    'f.sub': SUB['f.sub'],
    'svc.sub': SUB['long.sub'].replace(/long\./g, 'svc.'),
    'z.sub':
      'universe = local\nexecutable = /bin/echo\narguments = Z final\noutput = z.out\nerror = z.err\nqueue\n',
  };
  for (const [f, text] of Object.entries(subs)) writeFileSync(path.join(dir, f), text);
  writeFileSync(
    path.join(dir, `${name}.dag`),
    `# a SERVICE node, A then B and F (F fails), a FINAL node\nSERVICE S svc.sub\nJOB A a.sub\nJOB B b.sub\nJOB F f.sub\nPARENT A CHILD B F\nFINAL Z z.sub\nNODE_STATUS_FILE ${name}.dag.status 1\nJOBSTATE_LOG ${name}.dag.jobstate.log\n`,
  );
  const cmds = [];
  const ids = [];
  const attempt = (out, label) => {
    const argv = ['condor_submit_dag', '-AutoRescue', '1', `${name}.dag`];
    writeFileSync(path.join(dir, out), lab(dir, argv));
    cmds.push(`${shell(argv)} > ${out}   (${label})`);
    const id = /submitted to cluster (\d+)/.exec(readFileSync(path.join(dir, out), 'utf8'))[1];
    ids.push(id);
    waitFor('the DAG to leave the queue', () => queued(dir, id) === 0, 600);
    waitFor(
      'DAGMan in the history',
      () => lab(dir, ['condor_history', id, '-af', 'JobStatus']).trim() !== '',
    );
    cmds.push(
      `(waited until condor_q -constraint 'ClusterId == ${id} || DAGManJobId == ${id}' listed nothing)`,
    );
  };
  attempt('condor_submit_dag.out', 'F fails');
  copyFileSync(path.join(dir, `${name}.dag.dagman.out`), path.join(dir, 'attempt1.dagman.out'));
  copyFileSync(path.join(dir, `${name}.dag.jobstate.log`), path.join(dir, 'attempt1.jobstate.log'));
  cmds.push(
    `cp ${name}.dag.dagman.out attempt1.dagman.out; cp ${name}.dag.jobstate.log attempt1.jobstate.log`,
  );
  writeFileSync(
    path.join(dir, 'f.sub'),
    SUB['a.sub'].replace(/A done/, 'F fixed').replace(/a\.(out|err)/g, 'f.$1'),
  );
  cmds.push('f.sub rewritten: /bin/echo F fixed (f.fixed.sub is that file)');
  copyFileSync(path.join(dir, 'f.sub'), path.join(dir, 'f.fixed.sub'));
  attempt('condor_submit_dag.rescue.out', 'the rescue DAG');
  saveQuery(
    dir,
    'condor_history.json',
    [
      'condor_history',
      '-constraint',
      ids.map((i) => `ClusterId == ${i} || DAGManJobId == ${i}`).join(' || '),
      '-json',
    ],
    cmds,
  );
  writeFileSync(path.join(dir, 'f.sub'), subs['f.sub']);
  record(
    name,
    dir,
    [
      `${name}.dag`,
      ...Object.keys(subs),
      'f.fixed.sub',
      'condor_submit_dag.out',
      'condor_submit_dag.rescue.out',
      'attempt1.dagman.out',
      'attempt1.jobstate.log',
      `${name}.dag.rescue001`,
      `${name}.dag.rescue002`,
      `${name}.dag.dagman.out`,
      `${name}.dag.jobstate.log`,
      `${name}.dag.nodes.log`,
      `${name}.dag.dagman.log`,
      `${name}.dag.metrics`,
      'condor_history.json',
    ],
    cmds,
  );
}

/**
 * A real VM run (2 VMs of the lab's guest image, one MPI step that would run 10 minutes), recorded by
 * scripts/record-run.mjs twice: runs/vm-running while the step runs on the guests (with the guests' startd
 * ads), then runs/vm-removed after `condor_rm` of the DAGMan job (DAGMan's FINAL STOP tears the VMs down).
 */
function vmRuns() {
  const dir = workDir('vm-runs');
  const image = JSON.parse(vmdagIn(dir, ['lab', 'status', '--json'])).guestImageQcow2;
  if (!image) throw new Error('lab status names no qcow2 guest image');
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(
    path.join(dir, 'bin/work.sh'),
    '#!/bin/sh\necho "rank $OMPI_COMM_WORLD_RANK on $(hostname)"\nsleep 600\n',
    {
      mode: 0o755,
    },
  );
  writeFileSync(
    path.join(dir, 'workflow.yaml'),
    [
      'version: 1',
      'name: vmrun',
      'vm:',
      '  hypervisor: kvm',
      '  image:',
      `    path: ${image}`,
      '    location: cluster',
      '    format: qcow2',
      '    differential: true',
      '  count: 2',
      '  cpus: 1',
      '  memory: 512MiB',
      '  lease: 30m',
      'compute:',
      '  name: work',
      '  cpus: 2',
      '  memory: 128MiB',
      '  mpi: openmpi',
      '  executable: bin/work.sh',
      '',
    ].join('\n'),
  );
  const vmdag = (argv) => vmdagIn(dir, argv);
  vmdag(['compile', 'workflow.yaml', '-o', 'run']);
  const id = JSON.parse(vmdag(['submit', 'run', '--json'])).dagmanJobId;
  const runDir = path.join(dir, 'run');
  const guests = [
    'condor_status',
    '-json',
    '-constraint',
    `VmGuest =?= true && VmWorkflowId =?= "${id}"`,
    '-attributes',
    'Name,State,Activity,VmWorkflowId',
  ];
  const how = `The workflow ${dir}/workflow.yaml (2 VMs of ${image}, differential, one openmpi step of 2 ranks that sleeps 600 s) compiled by \`vmdag compile workflow.yaml -o run\` and submitted by \`vmdag submit run\` (DAGMan job ${id}); recorded by \`node scripts/lab-record-fixtures.mjs vm-runs\`.`;
  const stepRunning = () => {
    const out = lab(dir, [
      'condor_q',
      '-af',
      'JobStatus',
      '-constraint',
      `DAGManJobId == ${id} && JobUniverse == 11`,
    ]);
    return /^2$/m.test(out);
  };
  waitFor('the step to run on both guests', stepRunning, 600);
  sleep(3);
  writeFileSync(path.join(runDir, 'condor_status.guests-claimed.json'), lab(dir, guests));
  const record = (name, extra) => {
    writeFileSync(path.join(runDir, 'README.record'), `${how}\n${extra}\n`);
    const r = spawnSync(process.execPath, [path.join(repo, 'scripts/record-run.mjs'), runDir, name], {
      cwd: repo,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`record-run.mjs ${name} exited ${r.status}: ${r.stderr}`);
    process.stderr.write(r.stdout);
  };
  record(
    'vm-running',
    `Recorded WHILE RUNNING: the step running on both guests. Also ${shell(guests)} > condor_status.guests-claimed.json (copied beside the run's files).`,
  );
  copyFileSync(
    path.join(runDir, 'condor_status.guests-claimed.json'),
    path.join(repo, 'fixtures/recorded/runs/vm-running/condor_status.guests-claimed.json'),
  );
  lab(dir, ['condor_rm', String(id)]);
  waitFor('the removed run to leave the queue', () => queued(dir, id) === 0, 600);
  record(
    'vm-removed',
    `Then \`condor_rm ${id}\` (the DAGMan job) while the step ran; recorded once nothing of the run was queued.`,
  );
}

const want = process.argv.slice(2);
const on = (n) => want.length === 0 || want.includes(n);
if (want.includes('orgs-ping')) orgsPing();
if (want.includes('dagman-no-submit')) noSubmit();
if (want.includes('check-dry-run')) checkDryRun();
if (want.includes('vm-holds')) vmHolds();
if (want.includes('rescue-dag')) rescueDag();
if (want.includes('vm-runs')) vmRuns();
if (on('guest-ads')) guestAds();
if (on('vanilla-job')) vanillaJob();
if (on('dag-mixed')) {
  dag(
    'dag-mixed',
    '# two vanilla nodes, a failing node, a parallel node (machine_count 2)\nJOB A a.sub\nJOB B b.sub\nJOB F f.sub\nJOB P p.sub\nPARENT A CHILD B P\nNODE_STATUS_FILE dag-mixed.dag.status 1\nJOBSTATE_LOG dag-mixed.dag.jobstate.log\n',
    ['a.sub', 'b.sub', 'f.sub', 'p.sub'],
  );
}
if (on('dag-removed')) {
  dag(
    'dag-removed',
    '# a vanilla node, then a long node removed with condor_rm on the DAGMan job\nJOB A a.sub\nJOB L long.sub\nPARENT A CHILD L\nNODE_STATUS_FILE dag-removed.dag.status 1\nJOBSTATE_LOG dag-removed.dag.jobstate.log\n',
    ['a.sub', 'long.sub'],
    { remove: true },
  );
}
