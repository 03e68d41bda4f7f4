/** One row per rule of src/validate/rules.ts: a document that breaks it and a near one that does not. */
import { describe, expect, it } from 'vitest';
import type { SiteCatalog } from '../../src/model/workflow.js';
import { parseYaml } from '../../src/parse/parse-yaml.js';
import { type ImageProbe, readImageHeader } from '../../src/validate/image-header.js';
import { rules } from '../../src/validate/rules.js';
import { validateWorkflow } from '../../src/validate/validate-workflow.js';
import { qcow2Bytes } from '../image-files.js';

const VM = `vm:
  hypervisor: kvm
  image: {path: /img/base.qcow2, location: cluster}
  count: 2
  cpus: 2
  memory: 1GiB
`;
const wf = (body: string, vm = VM) => `version: 1\nname: t\n${vm}${body}`;
const one = (extra = '') => `compute:\n  cpus: 4\n  executable: /opt/app\n${extra}`;
const list = (...steps: string[]) => `compute:\n${steps.join('')}`;
const step = (name: string, extra = '') =>
  `  - name: ${name}\n    cpus: 1\n    executable: /opt/app\n${extra}`;

const files = new Set(['/w/bin/app', '/w/in.dat', '/w/img.qcow2', '/abs/in.dat']);
/** The one image file here, /w/img.qcow2: a sound qcow2 (its checks: test/validate/image-rules.test.ts). */
const QCOW2 = qcow2Bytes();
const probeImage = (p: string): ImageProbe =>
  files.has(p)
    ? { kind: 'file', size: QCOW2.length, header: readImageHeader(QCOW2.subarray(0, 512), QCOW2.length) }
    : { kind: 'missing' };
const catalog: SiteCatalog = {
  version: 1,
  sites: [{ name: 'org-a', pool: 'cm.a:9618', transfer: 'spool' }],
  source: { file: 'sites.yaml', dir: '/w' },
};

interface Row {
  bad: string;
  /** Pointers the rule reports on `bad`. */
  at: string[];
  good: string;
  sites?: SiteCatalog;
}

const rows: Record<string, Row> = {
  'rule.compute-cpus': {
    bad: wf(one().replace('cpus: 4', 'cpus: 5')),
    at: ['/compute/cpus'],
    good: wf(one()),
  },
  'rule.compute-memory': {
    bad: wf(one('  memory: 1025\n')),
    at: ['/compute/memory'],
    good: wf(one('  memory: 1024\n')),
  },
  'rule.too-large': {
    bad: wf(list(step('a', '    walltime: 99999999d\n')), VM.replace('memory: 1GiB', 'memory: 999999999GiB')),
    at: ['/vm/memory', '/compute/0/walltime'],
    good: wf(list(step('a', '    walltime: 24855d\n')), VM.replace('memory: 1GiB', 'memory: 2097151GiB')),
  },
  'rule.step-name-required': {
    bad: wf(list('  - cpus: 1\n    executable: /opt/app\n')),
    at: ['/compute/0/name'],
    good: wf(one()),
  },
  'rule.duplicate-step': {
    bad: wf(list(step('a'), step('a'))),
    at: ['/compute/1/name'],
    good: wf(list(step('a'), step('b'))),
  },
  'rule.after-single-step': { bad: wf(one('  after: [x]\n')), at: ['/compute/after'], good: wf(one()) },
  'rule.unknown-after': {
    bad: wf(list(step('a', '    after: [b]\n'))),
    at: ['/compute/0/after/0'],
    good: wf(list(step('b'), step('a', '    after: [b]\n'))),
  },
  'rule.cycle': {
    bad: wf(list(step('a', '    after: [b]\n'), step('b', '    after: [a]\n'))),
    at: ['/compute/1/after/0'],
    good: wf(list(step('a'), step('b', '    after: [a]\n'))),
  },
  'rule.path-escapes': {
    bad: wf(one('  inputs: [../in.dat, sub/../../x]\n')),
    at: ['/compute/inputs/0', '/compute/inputs/1'],
    good: wf(one('  inputs: [sub/../in.dat]\n')),
  },
  'rule.file-missing': {
    bad: wf(one('  inputs: [nope.dat, /abs/nope.dat]\n').replace('/opt/app', 'bin/nope')),
    at: ['/compute/executable', '/compute/inputs/0', '/compute/inputs/1'],
    good: wf(one('  inputs: [in.dat, /abs/in.dat]\n').replace('/opt/app', 'bin/app')),
  },
  'rule.output-path': {
    bad: wf(one('  outputs: [/o, ../o, ./o, a//b, a/]\n')),
    at: [
      '/compute/outputs/0',
      '/compute/outputs/1',
      '/compute/outputs/2',
      '/compute/outputs/3',
      '/compute/outputs/4',
    ],
    good: wf(one('  outputs: [o, out/result.txt]\n')),
  },
  'rule.cluster-image-absolute': {
    bad: wf(one(), VM.replace('/img/base.qcow2', 'img/base.qcow2')),
    at: ['/vm/image/path'],
    good: wf(one()),
  },
  'rule.differential-format': {
    bad: wf(one(), VM.replace('location: cluster', 'location: cluster, format: raw, differential: true')),
    at: ['/vm/image/differential'],
    good: wf(one(), VM.replace('location: cluster', 'location: cluster, format: qcow2, differential: true')),
  },
  'rule.unknown-site': {
    bad: wf(`${one()}site: org-b\n`),
    at: ['/site'],
    good: wf(`${one()}site: org-a\n`),
    sites: catalog,
  },
  'unsafe.path-char': {
    bad: wf(one('  outputs: ["a,b", " lead", "trail "]\n')),
    at: ['/compute/outputs/0', '/compute/outputs/1', '/compute/outputs/2'],
    good: wf(one('  outputs: ["a b"]\n')),
  },
};

function run(text: string, sites?: SiteCatalog) {
  const doc = parseYaml(text, 'w.yaml');
  return validateWorkflow(doc, {
    dir: '/w',
    fileExists: (p) => files.has(p),
    probeImage,
    ...(sites ? { sites } : {}),
  });
}

describe('rules', () => {
  it('every rule of the table has a row here', () => {
    expect(Object.keys(rows).sort()).toEqual(rules.map((r) => r.code).sort());
  });
  for (const [code, row] of Object.entries(rows)) {
    it(`${code}: reported where broken`, () => {
      const r = run(row.bad, row.sites);
      expect(r.diagnostics.map((d) => [d.code, d.pointer])).toEqual(row.at.map((p) => [code, p]));
    });
    it(`${code}: silent on the near valid document`, () => {
      const r = run(row.good, row.sites);
      expect(r.diagnostics).toEqual([]);
      expect(r.workflow).toBeDefined();
    });
  }
  it('without a catalog only the site "local" exists', () => {
    expect(run(wf(`${one()}site: local\n`)).diagnostics).toEqual([]);
    expect(run(wf(`${one()}site: org-a\n`)).diagnostics.map((d) => d.code)).toEqual(['rule.unknown-site']);
  });
  it('unsafe.control-char on every string, even a description', () => {
    const r = run(`version: 1\nname: t\ndescription: "a\\rb"\n${one('  arguments: ["x\\u0000"]\n')}`);
    expect(r.diagnostics.map((d) => [d.code, d.pointer])).toEqual([
      ['unsafe.control-char', '/description'],
      ['unsafe.control-char', '/compute/arguments/0'],
    ]);
  });
  it('no number vanishes: integers past 2^31 − 1 are refused at their place (issue 14, item 1)', () => {
    for (const big of ['9007199254740992', '1e21', '2147483648']) {
      const r = run(
        wf(
          one(`  memory: ${big}\n  walltime: ${big}\n`),
          `${VM.replace('memory: 1GiB', `memory: ${big}`)}  lease: ${big}\n`,
        ),
      );
      expect(r.workflow).toBeUndefined();
      expect(r.diagnostics.filter((d) => d.code === 'schema.maximum').map((d) => d.pointer)).toEqual([
        '/vm/memory',
        '/vm/lease',
        '/compute/memory',
        '/compute/walltime',
      ]);
    }
    const r = run(wf(one('  memory: 2147483647\n'), VM.replace('memory: 1GiB', 'memory: 2147483647')));
    expect(r.workflow?.compute[0]?.memoryMiB).toBe(2_147_483_647);
  });
  it('unsafe.lone-surrogate: a string that is not Unicode text is refused at its place (issue 14, item 4)', () => {
    const r = run(
      `version: 1\nname: t\ndescription: "ok \\ud83d\\ude00"\n${one('  arguments: ["\\ud800", "a\\udc00b"]\n  outputs: ["x\\udbff"]\n')}`,
    );
    expect(r.diagnostics.map((d) => [d.code, d.pointer, d.line])).toEqual([
      ['unsafe.lone-surrogate', '/compute/arguments/0', 7],
      ['unsafe.lone-surrogate', '/compute/arguments/1', 7],
      ['unsafe.lone-surrogate', '/compute/outputs/0', 8],
    ]);
    expect(r.diagnostics[0]?.message).toBe(
      'compute.arguments[0] holds a lone UTF-16 surrogate (U+D800), which is not a character and cannot be written as UTF-8',
    );
  });
  it('a 10,000-step chain has no cycle and no stack overflow', () => {
    const steps = Array.from({ length: 10_000 }, (_, i) =>
      step(`s${i}`, i ? `    after: [s${i - 1}]\n` : ''),
    );
    const r = run(wf(list(...steps)));
    expect(r.diagnostics).toEqual([]);
    expect(r.workflow?.compute).toHaveLength(10_000);
  });
});

describe('normalised workflow', () => {
  it('applies every default', () => {
    const r = run(
      wf(one(), VM.replace('location: cluster', 'location: local').replace('/img/base.qcow2', 'img.qcow2')),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.workflow).toEqual({
      version: 1,
      name: 't',
      source: { file: 'w.yaml', dir: '/w' },
      vm: {
        hypervisor: 'kvm',
        image: {
          path: 'img.qcow2',
          absPath: '/w/img.qcow2',
          location: 'local',
          format: 'qcow2',
          differential: false,
        },
        count: 2,
        cpus: 2,
        memoryMiB: 1024,
      },
      compute: [
        {
          name: 'compute',
          after: [],
          cpus: 4,
          memoryMiB: 1024,
          executable: '/opt/app',
          arguments: [],
          mpi: 'openmpi',
          inputs: [],
          outputs: [],
          retries: 0,
        },
      ],
    });
  });
  it('without vm, compute memory defaults to 512 MiB; sizes and durations are converted', () => {
    const r = run(
      wf(list(step('a', '    walltime: 2h\n    retries: 2\n'), step('b', '    memory: 1000MB\n')), ''),
    );
    expect(r.workflow?.vm).toBeUndefined();
    expect(r.workflow?.compute.map((s) => [s.memoryMiB, s.walltimeSeconds, s.retries])).toEqual([
      [512, 7200, 2],
      [954, undefined, 0],
    ]);
  });
  it('lease and sha256 are kept', () => {
    const sha = 'a'.repeat(64);
    const r = run(
      wf(one(), `${VM.replace('location: cluster', `location: cluster, sha256: ${sha}`)}  lease: 1d\n`),
    );
    expect(r.workflow?.vm?.leaseSeconds).toBe(86_400);
    expect(r.workflow?.vm?.image.sha256).toBe(sha);
  });
});
