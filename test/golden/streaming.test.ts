/**
 * The streaming compile (src/compile-stream.ts) against the whole-file one: the same run directory byte for
 * byte, the same diagnostics for a problem anywhere in the file (found early, late, or only once every step
 * is through), and nothing left behind when it gives up. A compile that streamed returns no `plan`.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsYaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'vmdag-stream-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[`${relative(dir, p)}/`] = '';
        walk(p);
      } else out[relative(dir, p)] = `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

/** A folder with the files a generated workflow names. */
function workspace(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'images'), { recursive: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'images', 'guest.qcow2'), 'stand-in image\n');
  writeFileSync(join(dir, 'bin', 'app'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'input.dat'), 'x\n');
  return dir;
}

/** The benchmark's shape: `steps` steps in `chains` chains; `edit` changes the lines of one step. */
function generated(steps: number, chains: number, edit?: (i: number, lines: string[]) => string[]): string {
  const lines = [
    'version: 1',
    'name: gen',
    'vm:',
    '  hypervisor: kvm',
    '  image: {path: images/guest.qcow2, location: local, differential: true}',
    '  count: 4',
    '  cpus: 2',
    '  memory: 2GiB',
    'compute:',
  ];
  for (let i = 0; i < steps; i++) {
    let step = [`  - name: s${i}`];
    if (i >= chains) step.push(`    after: [s${i - chains}]`);
    step.push('    cpus: 4', '    memory: 1GiB', '    executable: bin/app');
    step.push(`    arguments: ["--step", "${i}"]`, '    inputs: [input.dat]', `    outputs: [r${i}.txt]`);
    if (i % 7 === 0) step.push('    retries: 2', '    walltime: 30m');
    if (edit) step = edit(i, step);
    lines.push(...step);
  }
  return `${lines.join('\n')}\n`;
}

/** Both compiles of dir/workflow.yaml: results and run directories. */
async function both(dir: string) {
  const streamedOut = join(dir, 'streamed.run');
  const wholeOut = join(dir, 'whole.run');
  const streamed = await compile('workflow.yaml', { cwd: dir, env: {}, outDir: streamedOut });
  const whole = await compile('workflow.yaml', { cwd: dir, env: {}, outDir: wholeOut, whole: true });
  return { streamed, whole, streamedOut, wholeOut };
}

describe('streaming compile', () => {
  it('writes the same run directory as the whole-file compile (1,000 steps, 10 chains)', async () => {
    const dir = workspace('same');
    writeFileSync(join(dir, 'workflow.yaml'), generated(1000, 10));
    const r = await both(dir);
    expect(r.whole.ok && r.whole.plan).toBeTruthy();
    expect(r.streamed.ok).toBe(true);
    expect(r.streamed.plan).toBeUndefined(); // it did stream
    expect(r.streamed.files).toEqual(r.whole.files);
    expect(readTree(r.streamedOut)).toEqual(readTree(r.wholeOut));
  });

  // Every golden case written with a one-step `compute` list, and the list-form goldens as they are.
  const goldens = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'workflow.yaml')));
  it.each(goldens)('golden %s in list form: same run directory', async (name) => {
    const dir = join(scratch, `golden-${name}`);
    cpSync(join(FIXTURES, name), dir, { recursive: true });
    rmSync(join(dir, 'expected'), { recursive: true, force: true });
    const doc = jsYaml.load(readFileSync(join(dir, 'workflow.yaml'), 'utf8')) as Record<string, unknown>;
    if (!Array.isArray(doc.compute)) {
      const { compute, ...head } = doc;
      const text = jsYaml.dump({ ...head, compute: [{ name: 'compute', ...(compute as object) }] });
      writeFileSync(join(dir, 'workflow.yaml'), text);
    }
    const r = await both(dir);
    expect(r.whole.diagnostics).toEqual([]);
    expect(r.streamed.plan).toBeUndefined();
    expect(r.streamed.files).toEqual(r.whole.files);
    expect(readTree(r.streamedOut)).toEqual(readTree(r.wholeOut));
  });

  const late: Array<[string, string, (i: number, lines: string[]) => string[]]> = [
    [
      'an unknown `after` late in the file',
      'rule.unknown-after',
      (i, l) => (i === 250 ? [...l, '    after: [nowhere]'] : l),
    ],
    [
      'a duplicate name late in the file',
      'rule.duplicate-step',
      (i, l) => (i === 299 ? ['  - name: s3', ...l.slice(1)] : l),
    ],
    ['a cycle closed by an early step', 'rule.cycle', (i, l) => (i === 5 ? [...l, '    after: [s295]'] : l)],
    ['a schema error in the 200th step', 'schema.type', (i, l) => (i === 200 ? [...l, '    cpus: many'] : l)],
    [
      'a missing file in one step',
      'rule.file-missing',
      (i, l) => (i === 150 ? [...l, '    inputs: [absent.dat]'] : l),
    ],
    [
      'a sandbox name clash (plan)',
      'plan.sandbox-name-clash',
      (i, l) => (i === 220 ? [...l, '    inputs: [input.dat, bin/input.dat]'] : l),
    ],
    [
      'a node name that is a DAG keyword (render)',
      'render.unsafe-value',
      (i, l) => (i === 299 ? ['  - name: job', ...l.slice(1)] : l),
    ],
    ['a root key after compute (valid)', '', (i, l) => (i === 299 ? [...l, 'site: local'] : l)],
  ];
  it.each(late)('%s: the same result as the whole-file compile', async (what, code, edit) => {
    const dir = workspace(`late-${what.replace(/\W+/g, '-')}`);
    writeFileSync(join(dir, 'bin', 'input.dat'), 'y\n');
    // Keys given twice in one step are not YAML the fast reader takes: drop the earlier `after`/`inputs`.
    const dedupe = (i: number, l: string[]) => {
      const out = edit(i, l);
      const keys = new Map<string, number>();
      out.forEach((line, k) => {
        const key = /^ {4}(\w+):/.exec(line)?.[1];
        if (key) keys.set(key, k);
      });
      return out.filter((line, k) => {
        const key = /^ {4}(\w+):/.exec(line)?.[1];
        return !key || keys.get(key) === k;
      });
    };
    writeFileSync(join(dir, 'workflow.yaml'), generated(300, 5, dedupe));
    const r = await both(dir);
    expect(r.streamed.ok).toBe(r.whole.ok);
    expect(r.streamed.diagnostics).toEqual(r.whole.diagnostics);
    expect(r.whole.diagnostics.map((d) => d.code)).toEqual(code ? [code] : []);
    // A root key after compute is not streamed: the whole-file compile wrote it.
    if (code === '') expect(r.streamed.plan).toBeDefined();
    if (!r.whole.ok) {
      expect(existsSync(r.streamedOut)).toBe(false);
      // Nothing left beside it either (the temporary folder of the abandoned stream is gone).
      expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    } else {
      expect(readTree(r.streamedOut)).toEqual(readTree(r.wholeOut));
    }
  });

  it('a site from a catalog, and the options and environment plan takes: the same as the whole-file compile', async () => {
    const dir = workspace('site');
    writeFileSync(
      join(dir, 'sites.yaml'),
      'version: 1\nsites:\n  - name: org-a\n    pool: cm.a.example\n  - name: org-b\n    pool: cm.b.example:9618\n    schedd: s.b\n',
    );
    writeFileSync(join(dir, 'workflow.yaml'), generated(50, 5).replace('vm:\n', 'site: org-b\nvm:\n'));
    const opts = { cwd: dir, env: { VMDAG_GATE_TIMEOUT: '900' }, holdRemoveSeconds: 120 };
    const streamed = await compile('workflow.yaml', { ...opts, outDir: join(dir, 'streamed.run') });
    const whole = await compile('workflow.yaml', { ...opts, outDir: join(dir, 'whole.run'), whole: true });
    expect(whole.ok && whole.plan?.site).toEqual({ name: 'org-b', pool: 'cm.b.example:9618', schedd: 's.b' });
    expect(streamed.ok && streamed.plan === undefined).toBe(true);
    expect(readTree(join(dir, 'streamed.run'))).toEqual(readTree(join(dir, 'whole.run')));
    // An environment value plan refuses: the same diagnostic, nothing written.
    const env = { VMDAG_HOLD_TIMEOUT: 'soon' };
    const bad = await compile('workflow.yaml', { cwd: dir, env, outDir: join(dir, 'bad.run') });
    const badWhole = await compile('workflow.yaml', {
      cwd: dir,
      env,
      outDir: join(dir, 'bad.run'),
      whole: true,
    });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics).toEqual(badWhole.diagnostics);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['option.hold-timeout']);
    expect(existsSync(join(dir, 'bad.run'))).toBe(false);
  });

  it('replaces a previous compile, and refuses a foreign folder like the whole-file compile', async () => {
    const dir = workspace('replace');
    writeFileSync(join(dir, 'workflow.yaml'), generated(100, 10));
    const out = join(dir, 'gen.run');
    expect((await compile('workflow.yaml', { cwd: dir, env: {} })).ok).toBe(true);
    writeFileSync(join(out, 'stale.txt'), 'old');
    const again = await compile('workflow.yaml', { cwd: dir, env: {} });
    expect(again.ok && again.plan === undefined).toBe(true);
    expect(existsSync(join(out, 'stale.txt'))).toBe(false);
    const foreign = join(dir, 'mine');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'precious.txt'), 'keep');
    const refused = await compile('workflow.yaml', { cwd: dir, env: {}, outDir: foreign });
    const wholeRefused = await compile('workflow.yaml', { cwd: dir, env: {}, outDir: foreign, whole: true });
    expect(refused.ok).toBe(false);
    expect(refused.diagnostics).toEqual(wholeRefused.diagnostics);
    expect(readdirSync(foreign)).toEqual(['precious.txt']);
  });
});
