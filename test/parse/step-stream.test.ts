/**
 * The streaming parse must give exactly js-yaml's value of the whole file (head keys, then `compute` as the
 * concatenation of its batches) whenever it streams a file to the end, and give up on every other shape.
 * Checked on every list-form workflow of the fixtures, on thousands of mutations of them, and on edge cases.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { NotStreamable, streamSteps } from '../../src/parse/step-stream.js';

const ROOT = join(import.meta.dirname, '..', '..');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

/** The whole value as streamed, or undefined when the file is not streamed to the end. */
function streamed(text: string, size: number): unknown {
  const s = streamSteps(text);
  if (!s) return undefined;
  const compute: unknown[] = [];
  try {
    for (const batch of s.batches(size)) {
      expect(batch.length).toBeLessThanOrEqual(size);
      compute.push(...batch);
    }
  } catch (e) {
    if (e instanceof NotStreamable) return undefined;
    throw e;
  }
  return { ...s.head, compute };
}

/** Streamed to the end: the same value (same key order) as js-yaml's. */
function expectSame(text: string, size = 2): boolean {
  const value = streamed(text, size);
  if (value === undefined) return false;
  const want = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
  expect(value).toStrictEqual(want);
  expect(JSON.stringify(value)).toBe(JSON.stringify(want));
  return true;
}

/** Workflows whose compute is a block list (the streamed shape); the others in list form. */
function listForm(text: string): string {
  const doc = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object' || doc.compute === undefined || Array.isArray(doc.compute)) return text;
  const { compute, ...head } = doc;
  return jsYaml.dump({ ...head, compute: [{ name: 'compute', ...(compute as object) }] });
}

const files = [...yamlFiles(join(ROOT, 'fixtures')), ...yamlFiles(join(ROOT, 'examples'))];

describe('streamSteps', () => {
  it('gives js-yaml’s value for every list-form fixture it streams', () => {
    let streamedCount = 0;
    for (const f of files) {
      let text: string;
      try {
        text = listForm(readFileSync(f, 'utf8'));
      } catch {
        continue; // not YAML js-yaml reads: nothing to compare with
      }
      for (const size of [1, 3, 256]) if (expectSame(text, size)) streamedCount++;
    }
    expect(streamedCount).toBeGreaterThan(30);
  });

  it('gives js-yaml’s value on mutated workflows whenever it streams one to the end', () => {
    let seed = 7;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    const alphabet = [
      ' ',
      '  ',
      '-',
      '- ',
      ':',
      ': ',
      '#',
      ' #',
      '[',
      ']',
      '{',
      '\n',
      '\n  ',
      '\n- ',
      'a',
      '1',
    ];
    let checked = 0;
    for (const f of files) {
      let text: string;
      try {
        text = listForm(readFileSync(f, 'utf8'));
      } catch {
        continue;
      }
      if (streamed(text, 2) === undefined) continue;
      for (let k = 0; k < 60; k++) {
        const at = rand(text.length);
        const op = rand(3);
        const ins = alphabet[rand(alphabet.length)] as string;
        const mutated =
          op === 0
            ? text.slice(0, at) + ins + text.slice(at)
            : op === 1
              ? text.slice(0, at) + text.slice(at + 1)
              : text.slice(0, at) + ins + text.slice(at + 1);
        let want: unknown;
        try {
          want = jsYaml.load(mutated, { schema: jsYaml.CORE_SCHEMA });
        } catch {
          // js-yaml refuses it: the stream must not get to the end of it either.
          expect(streamed(mutated, 2)).toBeUndefined();
          continue;
        }
        const value = streamed(mutated, 2);
        if (value === undefined) continue;
        expect(value).toStrictEqual(want);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('streams the benchmark’s shape in batches, comments and blank lines anywhere', () => {
    const steps = Array.from(
      { length: 10 },
      (_, i) =>
        `  - name: s${i}\n${i ? `    after: [s${i - 1}]\n` : ''}\n# between\n    cpus: 4   # four\n    arguments: ["--step", "${i}"]\n`,
    );
    const text = `version: 1\nname: bench\ncompute:   # the steps\n\n${steps.join('')}# the end\n`;
    expect(expectSame(text, 3)).toBe(true);
    expect(expectSame(text.replaceAll('\n  ', '\n'), 4)).toBe(true); // the dashes at the key's column
  });

  it('finds each step by its dash line: bare dashes, nested lists, comments at the dash column, no final LF', () => {
    const steps = [
      '  -\n    name: a\n    cpus: 1\n',
      '  - name: b\n    inputs:\n      - x.dat\n      - y.dat\n    outputs:\n    - r.txt\n',
      '  # a comment at the dashes\u2019 column\n'.replace('\u2019', ''),
      '  - name: c\n    arguments: ["-", "- x", "a - b"]\n',
      '  -   name: d\n      cpus: 2\n',
      '  - e\n',
      '  - name: f',
    ];
    const text = `version: 1\ncompute:\n${steps.join('')}`;
    for (const size of [1, 2, 3, 100]) expect(expectSame(text, size)).toBe(true);
    expect(expectSame(`${text}\n`, 2)).toBe(true);
  });

  const notStreamed: Array<[string, string]> = [
    ['compute as one mapping', 'version: 1\ncompute:\n  cpus: 1\n'],
    ['compute as a flow list', 'version: 1\ncompute: [{cpus: 1}]\n'],
    ['a root key after compute', 'version: 1\ncompute:\n  - cpus: 1\nname: x\n'],
    ['compute given twice', 'compute:\nversion: 1\ncompute:\n  - cpus: 1\n'],
    ['a step the fast reader declines', 'version: 1\ncompute:\n  - cpus: &a 1\n'],
    ['a non-ASCII character', 'version: 1\nname: é\ncompute:\n  - cpus: 1\n'],
    ['a bad line in the middle of the list', 'version: 1\ncompute:\n  - cpus: 1\n x\n  - cpus: 2\n'],
    [
      'a line at the dashes\u2019 column that is no item',
      'version: 1\ncompute:\n  - cpus: 1\n  -x: 1\n  - cpus: 2\n',
    ],
    ['a less indented key between items', 'version: 1\ncompute:\n  - cpus: 1\n name: 1\n  - cpus: 2\n'],
    ['no compute', 'version: 1\nname: x\n'],
    ['an empty compute', 'version: 1\ncompute:\n'],
  ];
  it.each(notStreamed)('does not stream %s', (_, text) => {
    expect(streamed(text, 2)).toBeUndefined();
  });
});
