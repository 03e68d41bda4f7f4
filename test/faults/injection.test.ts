/**
 * Injection: workflow values that try to smuggle submit-file or DAG commands in. Each one is either refused
 * (exit 1, a diagnostic at its line:column, nothing written) or compiled — and then the files must MEAN
 * exactly what plan.json says: the .dag holds exactly the planned node, VARS and edge lines, and the real
 * condor_submit -dry-run on the lab, given each node's VARS as DAGMan would, makes a job ad whose Cmd,
 * Arguments (after the schedd's `$$(…)` expansion), TransferInput, TransferOutput, TransferOutputRemaps and
 * sizes are the plan's, with no attribute a clean workflow does not have. One compiled case also runs for
 * real and its program prints the argv it received.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { labContext, NO_LAB, requireOrSkip } from '../lab/lab-context.js';
import { adOf, adString, dagLines, expandDollarDollar, parseVars, splitArguments } from './ad-meaning.js';
import { DIAGNOSTIC_LINE, runCli } from './cli-process.js';

const ctx = await labContext();

/** A YAML double-quoted scalar for any string (line separators escaped, not raw). */
const q = (s: string) =>
  JSON.stringify(s).replace(
    /[\u0085\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
const list = (xs: string[]) => `[${xs.map(q).join(', ')}]`;

interface Case {
  name: string;
  /** The workflow text (native: no vm section, unless it has one). */
  workflow: string;
  /** Extra files in the workflow's folder (bin/step.sh is always there). */
  files?: Record<string, string>;
  /** refused: the line (and column) the diagnostic must point at. */
  refused?: { line: number; column?: number; code?: RegExp };
}

const HEAD = 'version: 1\nname: inj\n';
/** One native step; `extra` are further lines of the step (indented by two). */
const step = (extra: string) =>
  `${HEAD}compute:\n  cpus: 1\n  mpi: none\n  executable: bin/step.sh\n${extra}`;
const args = (xs: string[]) => step(`  arguments: ${list(xs)}\n`);

const cases: Case[] = [
  // Line breaks: every one would start a new submit or DAG line. Refused where they stand.
  {
    name: 'newline + queue in an argument',
    workflow: args(['x\nqueue 100']),
    refused: { line: 7, column: 15 },
  },
  { name: 'newline + +Attr in an argument', workflow: args(['x\n+Injected = True']), refused: { line: 7 } },
  { name: 'CR + My.Attr in an argument', workflow: args(['x\rMy.Injected = 1']), refused: { line: 7 } },
  { name: 'U+2028 line separator in an argument', workflow: args(['a\u2028queue']), refused: { line: 7 } },
  { name: 'U+2029 paragraph separator in an argument', workflow: args(['a\u2029b']), refused: { line: 7 } },
  { name: 'U+0085 next line in an argument', workflow: args(['a\u0085b']), refused: { line: 7 } },
  {
    name: 'newline + DAG line in the description',
    workflow: `version: 1\nname: inj\ndescription: ${q('ok\nJOB evil evil.sub')}\ncompute:\n  cpus: 1\n  mpi: none\n  executable: bin/step.sh\n`,
    refused: { line: 3, column: 14 },
  },
  {
    name: 'newline in an output name',
    workflow: step(`  outputs: ${list(['out.txt\nqueue'])}\n`),
    refused: { line: 7, column: 13 },
  },
  {
    name: 'newline in an input path',
    workflow: step(`  inputs: ${list(['data\n+Injected=1'])}\n`),
    refused: { line: 7, column: 12 },
  },
  {
    name: 'a literal $(DOLLAR) in an argument (condor_submit always turns it into $)',
    workflow: args(['$(DOLLAR)']),
    refused: { line: 4 },
  },
  // Step names are lower-case (an upper-case DAG keyword is refused by the name rule); lower-case DAG words
  // are ordinary step names (accepted below), splice separators and blanks are refused.
  {
    name: 'step named PARENT (upper case)',
    workflow: `${HEAD}compute:\n  - name: PARENT\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n`,
    refused: { line: 4, column: 11 },
  },
  {
    name: 'step name with a blank and CHILD',
    workflow: `${HEAD}compute:\n  - name: ${q('a CHILD b')}\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n`,
    refused: { line: 4, column: 11 },
  },
  {
    name: 'step name with + (splice separator)',
    workflow: `${HEAD}compute:\n  - name: ${q('a+b')}\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n`,
    refused: { line: 4, column: 11 },
  },
  {
    name: 'after naming a DAG line',
    workflow: `${HEAD}compute:\n  - name: a\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n  - name: b\n    after: ${list(['a CHILD a'])}\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n`,
    refused: { line: 9, column: 13 },
  },
  // Paths that leave the run directory or the workflow's folder.
  {
    name: '.. in an output',
    workflow: step(`  outputs: ${list(['../escaped.txt'])}\n`),
    refused: { line: 7 },
  },
  {
    name: 'absolute output',
    workflow: step(`  outputs: ${list(['/etc/cron.d/evil'])}\n`),
    refused: { line: 7 },
  },
  {
    name: '.. in an input',
    workflow: step(`  inputs: ${list(['../../etc/passwd'])}\n`),
    refused: { line: 7 },
  },
  {
    name: 'comma in an output',
    workflow: step(`  outputs: ${list(['a.txt,b.txt'])}\n`),
    refused: { line: 7 },
  },
  // Found by the renderer (file lists cannot carry a blank): located at the step.
  { name: 'blank in an output', workflow: step(`  outputs: ${list(['a b.txt'])}\n`), refused: { line: 4 } },
  {
    name: '= in an output (remap injection)',
    workflow: step(`  outputs: ${list(['a=/tmp/x'])}\n`),
    refused: { line: 7 },
  },
  {
    name: '; in an output (second remap)',
    workflow: step(`  outputs: ${list(['a;b=/tmp/x'])}\n`),
    refused: { line: 7 },
  },
  {
    name: 'comma in an input file name',
    files: { 'a,b.txt': 'x\n' },
    workflow: step(`  inputs: ${list(['a,b.txt'])}\n`),
    refused: { line: 7 },
  },
  // Values that look like commands but are just text: compiled, and must mean only themselves.
  { name: 'queue as an argument', workflow: args(['queue', '100', 'queue 5 in (a,b)']) },
  {
    name: '+Attr = … as an argument',
    workflow: args(['+Injected = True', 'My.Injected=1', '+Requirements=False']),
  },
  {
    name: 'submit macros as arguments',
    workflow: args(['$(Cluster)', '$(JOB)', '$ENV(HOME)', '$RANDOM_INTEGER(1,9)', '$(dollar', '$$(DOLLAR)']),
  },
  {
    name: 'match-time $$ macros as arguments',
    workflow: args(['$$(Memory)', '$$([1+1])', 'a$$b', '$$$(x)', '$$(DOLLARDOLLAR)', '$']),
  },
  {
    name: 'quotes in arguments',
    workflow: args(["it's", 'say "hi"', "'", '"', "''", '""', `'"'"`, '\\"', '\\']),
  },
  {
    name: 'quote that tries to close VARS and set another',
    workflow: args(['x" vmdag_machines="99', '\\" vmdag_cpus=\\"8', `" +Injected="1`]),
  },
  { name: '= and # in arguments', workflow: args(['a=b', '#not-a-comment', 'x # y', '=', 'k==v#']) },
  {
    name: 'blank, tab-free spaces and empty arguments',
    workflow: args(['', ' ', '  two  spaces  ', 'end ']),
  },
  {
    name: 'DAG lines as arguments',
    workflow: args(['PARENT a CHILD b', 'JOB x y', 'FINAL f f.sub', 'SCRIPT POST x /bin/sh']),
  },
  { name: 'a 4096-character argument of quotes and dollars', workflow: args([`'"$ `.repeat(1024)]) },
  {
    name: 'DAG keywords and macros in the description',
    workflow: `version: 1\nname: inj\ndescription: ${q('PARENT A CHILD B $(JOB) $$(Memory) "q" \'s\' # x')}\ncompute:\n  cpus: 1\n  mpi: none\n  executable: bin/step.sh\n`,
  },
  {
    name: 'dollars in input and output file names',
    files: { 'in$(x).dat': 'x\n', 'in$$(Memory).dat': 'y\n' },
    workflow: step(
      `  inputs: ${list(['in$(x).dat', 'in$$(Memory).dat'])}\n  outputs: ${list(['out$(Cluster).txt', 'o$$(Memory)'])}\n`,
    ),
  },
  {
    name: 'absolute input and executable inside the image',
    workflow: `${HEAD}compute:\n  cpus: 1\n  mpi: none\n  executable: /bin/echo\n  arguments: ${list(['$$(Memory)', "it's"])}\n  inputs: [/etc/hostname]\n`,
  },
  {
    name: 'steps named DAG words, chained (parent and child become the nodes parent_step and child_step)',
    workflow: `${HEAD}compute:\n${[
      'parent',
      'child',
      'final',
      'script',
      'retry',
      'vars',
      'job',
      'done',
      'service',
    ]
      .map(
        (n, i, all) =>
          `  - name: ${n}\n${i > 0 ? `    after: [${all[i - 1]}]\n` : ''}    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n${n === 'retry' ? '    retries: 1\n' : ''}`,
      )
      .join('')}`,
  },
  {
    name: 'steps whose names are near-keywords, chained',
    workflow: `${HEAD}compute:\n  - name: parents\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n  - name: child-of\n    after: [parents]\n    cpus: 1\n    mpi: none\n    executable: bin/step.sh\n    arguments: ${list(['CHILD', 'parents'])}\n`,
  },
  {
    name: 'VM workflow: $$ and quotes in the cluster image path and arguments',
    workflow: `${HEAD}vm:\n  hypervisor: kvm\n  image:\n    path: ${q('/shared/img$$(Memory)$(x)".qcow2')}\n    location: cluster\n  count: 1\n  cpus: 1\n  memory: 512MiB\ncompute:\n  cpus: 1\n  mpi: none\n  executable: bin/step.sh\n  arguments: ${list(['$$(VmWorkflowId)', '+VmWorkflowId="1"'])}\n`,
  },
];

const STEP_SH = '#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done > args.out\n';

function workflowFolder(c: Case): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-inj-'));
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(path.join(dir, 'bin/step.sh'), STEP_SH, { mode: 0o755 });
  for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(path.join(dir, name), text);
  writeFileSync(path.join(dir, 'workflow.yaml'), c.workflow);
  return dir;
}

interface Plan {
  mode: 'vm' | 'native';
  name: string;
  tuning: 'latency' | 'defaults';
  source: { dir: string };
  vm?: { count: number; image: { diskFile: string } };
  steps: {
    name: string;
    mpi: string;
    ranks: number;
    ranksPerNode: number;
    machineCount: number;
    requestCpus: number;
    requestMemoryMiB: number;
    executable: { command: string; absPath?: string };
    arguments: string[];
    inputs: { absPath: string }[];
    outputs: string[];
    retries: number;
  }[];
  dag: {
    file: string;
    nodes: { name: string; kind: string; submitFile: string }[];
    edges: { parent: string; child: string }[];
  };
}

/** The DAG node of each step, in the steps' order (a step named parent or child has the node NAME_step). */
function computeNodes(plan: Plan): string[] {
  return plan.dag.nodes.filter((n) => n.kind === 'compute').map((n) => n.name);
}

const VARS_NAMES = [
  'vmdag_args',
  'vmdag_machines',
  'vmdag_cpus',
  'vmdag_memory',
  'vmdag_inputs',
  'vmdag_outputs',
  'vmdag_remaps',
  'vmdag_walltime',
];

/** The .dag says exactly the plan: its nodes, one VARS line each with vmdag's names only, its edges. */
function checkDag(plan: Plan, text: string): Map<string, [string, string][]> {
  const lines = dagLines(text);
  const allowed = new Set([
    'CONFIG',
    'NODE_STATUS_FILE',
    'JOBSTATE_LOG',
    'SERVICE',
    'JOB',
    'VARS',
    'RETRY',
    'SCRIPT',
    'PARENT',
    'FINAL',
  ]);
  for (const l of lines) {
    if (l.keyword === 'ABORT-DAG-ON') {
      // vmdag's own line of a tuned DAG with VMs: a failed GATE aborts the DAG (the steps are queued with the VMs).
      expect(plan.vm !== undefined && plan.tuning === 'latency', 'ABORT-DAG-ON in an untuned DAG').toBe(true);
      expect(l.rest).toBe('GATE 1 RETURN 1');
      continue;
    }
    expect(allowed.has(l.keyword), `unexpected DAG line: ${l.keyword} ${l.rest}`).toBe(true);
  }
  expect(lines.filter((l) => l.keyword === 'ABORT-DAG-ON')).toHaveLength(
    plan.vm !== undefined && plan.tuning === 'latency' ? 1 : 0,
  );
  const declared = lines
    .filter((l) => ['JOB', 'SERVICE', 'FINAL'].includes(l.keyword))
    .map((l) => {
      const parts = l.rest.split(/\s+/);
      expect(parts.length, `node line: ${l.keyword} ${l.rest}`).toBe(2);
      return `${l.keyword} ${parts[0]} ${parts[1]}`;
    });
  const kindWord: Record<string, string> = { service: 'SERVICE', reaper: 'SERVICE', final: 'FINAL' };
  expect(declared.sort()).toEqual(
    plan.dag.nodes.map((n) => `${kindWord[n.kind] ?? 'JOB'} ${n.name} ${n.submitFile}`).sort(),
  );
  const vars = new Map<string, [string, string][]>();
  for (const l of lines.filter((x) => x.keyword === 'VARS')) {
    const v = parseVars(l.rest);
    expect(v, `VARS line does not parse whole: ${l.rest.slice(0, 300)}`).toBeDefined();
    if (!v) continue;
    expect(vars.has(v.node), `two VARS lines for ${v.node}`).toBe(false);
    expect(v.vars.map(([k]) => k)).toEqual(VARS_NAMES);
    vars.set(v.node, v.vars);
  }
  expect([...vars.keys()].sort()).toEqual(computeNodes(plan).sort());
  const edges = lines
    .filter((l) => l.keyword === 'PARENT')
    .flatMap((l) => {
      const m = /^(.+?)\s+CHILD\s+(.+)$/i.exec(l.rest);
      expect(m, `PARENT line: ${l.rest}`).not.toBeNull();
      const parents = (m?.[1] ?? '').split(/\s+/);
      const children = (m?.[2] ?? '').split(/\s+/);
      return parents.flatMap((p) => children.map((c) => `${p}>${c}`));
    });
  expect(edges.sort()).toEqual(plan.dag.edges.map((e) => `${e.parent}>${e.child}`).sort());
  const retries = lines.filter((l) => l.keyword === 'RETRY').map((l) => l.rest);
  expect(retries.sort()).toEqual(
    plan.steps
      .map((s, i) => [s, computeNodes(plan)[i]] as const)
      .filter(([s]) => s.retries > 0)
      .map(([s, node]) => `${node} ${s.retries}`)
      .sort(),
  );
  return vars;
}

/** Every `$$(` left in the ad is the schedd's own escape; returns the attributes that would be expanded. */
function leaks(ad: Record<string, string>): string[] {
  return Object.entries(ad).flatMap(([k, v]) => {
    const e = expandDollarDollar(v);
    return e.leak ? [`${k}: ${e.leak}`] : [];
  });
}

const text = (ad: Record<string, string>, attr: string) => {
  const s = adString(ad[attr]);
  return s === undefined ? undefined : expandDollarDollar(s).value;
};

const counted = { refused: 0, compiled: 0 };
let baselineKeys: Set<string> | undefined;

async function dryRun(
  out: string,
  node: string,
  sub: string,
  vars: [string, string][],
): Promise<Record<string, string>> {
  if (!ctx) throw new Error('the lab is not running');
  const macros = [`JOB=${node}`, 'DAGManJobId=4242', ...vars.map(([k, v]) => `${k}=${v}`)];
  const r = await runCondor(ctx, 'condor_submit', ['-dry-run', '-', sub, ...macros], {
    cwd: out,
    allowFailure: true,
  });
  expect(r.exitCode, `${node}: ${r.stderr}`).toBe(0);
  return adOf(r.stdout);
}

/** Compile, then check the DAG and every node's ad against plan.json. Returns the run directory. */
async function compiledMeansThePlan(c: Case): Promise<{ out: string; plan: Plan }> {
  const dir = workflowFolder(c);
  const out = path.join(dir, 'run');
  const r = runCli(['compile', 'workflow.yaml', '-o', out, '--json'], { cwd: dir });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8')) as Plan;
  const vars = checkDag(plan, readFileSync(path.join(out, plan.dag.file), 'utf8'));
  for (const node of plan.dag.nodes) {
    const ad = await dryRun(out, node.name, node.submitFile, vars.get(node.name) ?? []);
    expect(leaks(ad), `${node.name}: $$( left for the schedd to expand`).toEqual([]);
    expect(Object.keys(ad).filter((k) => /inject|evil/i.test(k))).toEqual([]);
    if (node.name === 'VMS' && plan.vm) {
      expect(text(ad, 'VMPARAM_vm_Disk') ?? text(ad, 'VM_DISK') ?? text(ad, 'VMDisk')).toBeDefined();
      const disk = Object.entries(ad).find(
        ([k]) => /disk/i.test(k) && /vm/i.test(k) && ad[k]?.startsWith('"'),
      );
      expect(expandDollarDollar(adString(disk?.[1]) ?? '').value.startsWith(plan.vm.image.diskFile)).toBe(
        true,
      );
      expect((ad.VmWorkflowId ?? '').replace(/"/g, '')).toBe('4242');
    }
    const s = plan.steps[computeNodes(plan).indexOf(node.name)];
    if (!s) continue;
    const resolve = (p: string) => (path.isAbsolute(p) ? p : path.join(plan.source.dir, p));
    expect(text(ad, 'Cmd')).toBe(path.join(out, 'vmdag-mpi.sh'));
    const argv = splitArguments(text(ad, 'Arguments') ?? '');
    expect(argv).toEqual([
      s.mpi,
      String(s.ranks),
      String(s.ranksPerNode),
      s.executable.command,
      ...s.arguments,
    ]);
    const inputs = [
      ...(s.executable.absPath ? [s.executable.absPath] : []),
      ...s.inputs.map((i) => i.absPath),
    ].map(resolve);
    expect((text(ad, 'TransferInput') ?? '').split(',').filter((x) => x !== '')).toEqual(inputs);
    expect(text(ad, 'TransferOutput') ?? '').toBe(s.outputs.join(','));
    const remaps = s.outputs.map((o) => `${o}=outputs/${o}`).join(';');
    expect(text(ad, 'TransferOutputRemaps') ?? '').toBe(remaps);
    expect(ad.MaxHosts).toBe(String(s.machineCount));
    expect(ad.RequestCpus).toBe(String(s.requestCpus));
    expect(ad.RequestMemory).toBe(String(s.requestMemoryMiB));
    if (plan.mode === 'native' && baselineKeys) {
      const extra = Object.keys(ad).filter((k) => !baselineKeys?.has(k));
      expect(extra, `${c.name}: attributes a clean workflow's ad does not have`).toEqual([]);
    }
  }
  return { out, plan };
}

describe('injection attempts through workflow values', () => {
  it('there are at least 20 attempts', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases.filter((x) => x.refused)) {
    it(`refused: ${c.name}`, () => {
      const dir = workflowFolder(c);
      const out = path.join(dir, 'run');
      const r = runCli(['compile', 'workflow.yaml', '-o', out], { cwd: dir });
      expect(r.status, r.stderr).toBe(1);
      const diags = r.stderr
        .split('\n')
        .map((l) => DIAGNOSTIC_LINE.exec(l))
        .filter((m): m is RegExpExecArray => m !== null && m[4] === 'error');
      expect(diags.length, r.stderr).toBeGreaterThan(0);
      const want = c.refused as { line: number; column?: number };
      const hit = diags.find(
        (m) => Number(m[2]) === want.line && (want.column === undefined || Number(m[3]) === want.column),
      );
      expect(hit, `no error at ${want.line}:${want.column ?? '*'}\n${r.stderr}`).toBeDefined();
      expect(readdirSync(dir).sort()).toEqual(['bin', 'workflow.yaml', ...Object.keys(c.files ?? {})].sort());
      counted.refused++;
    });
  }

  requireOrSkip(ctx, NO_LAB).describe(
    'compiled ones mean exactly the plan (real condor_submit -dry-run)',
    () => {
      it('baseline: a clean workflow with arguments, inputs and outputs', { timeout: 60_000 }, async () => {
        const c: Case = {
          name: 'baseline',
          files: { 'in.dat': 'x\n' },
          workflow: step(`  arguments: [a, b]\n  inputs: [in.dat]\n  outputs: [out.txt]\n`),
        };
        baselineKeys = undefined;
        const { out, plan } = await compiledMeansThePlan(c);
        const vars = checkDag(plan, readFileSync(path.join(out, plan.dag.file), 'utf8'));
        baselineKeys = new Set(
          Object.keys(await dryRun(out, 'compute', 'compute.sub', vars.get('compute') ?? [])),
        );
        expect(baselineKeys.size).toBeGreaterThan(20);
      });

      for (const c of cases.filter((x) => !x.refused)) {
        it(`compiled: ${c.name}`, { timeout: 60_000 }, async () => {
          await compiledMeansThePlan(c);
          counted.compiled++;
        });
      }

      it('a real run: the program receives exactly the planned argv, $$ and quotes included', {
        timeout: 900_000,
      }, async () => {
        const c: Case = {
          name: 'real run',
          workflow: step(
            `  arguments: ${list(['$$(Memory)', 'a$$b', '$(Cluster)', "it's", 'say "hi"', 'x" vmdag_cpus="8', '', '  ', '#', 'queue 5', '+A=1'])}\n  outputs: [args.out]\n`,
          ),
        };
        const dir = workflowFolder(c);
        const outDir = path.join(dir, 'run');
        const sub = runCli(['submit', 'workflow.yaml', '-o', outDir, '--json'], {
          cwd: dir,
          timeoutMs: 120_000,
        });
        expect(sub.status, sub.stderr + sub.stdout).toBe(0);
        try {
          // The lab's four slots are shared with other tests: waiting for one can take minutes.
          const st = runCli(['status', '--watch', '--interval', '2', '--json', outDir], {
            cwd: dir,
            timeoutMs: 700_000,
          });
          const status = JSON.parse(st.stdout) as { state: string; cause: string | null };
          expect(status.state, JSON.stringify(status)).toBe('succeeded');
        } finally {
          runCli(['rm', outDir], { cwd: dir, timeoutMs: 150_000 });
        }
        const plan = JSON.parse(readFileSync(path.join(outDir, 'plan.json'), 'utf8')) as Plan;
        const got = readFileSync(path.join(outDir, 'outputs/args.out'), 'utf8').split('\0').slice(0, -1);
        expect(got).toEqual(plan.steps[0]?.arguments);
      });
    },
  );

  afterAll(() => {
    process.stderr.write(
      `injection: ${cases.length} attempts: ${counted.refused} refused with a located diagnostic, ${counted.compiled} compiled and checked against the plan\n`,
    );
  });
});
