/**
 * yamlSourceMap finds duplicate keys itself, once per mapping, instead of the `yaml` package's uniqueKeys
 * check (which compares each key with every earlier one): the same duplicates, at the same places, as the
 * package reports; and locating every key of a large mapping stays linear.
 */

import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { yamlSourceMap } from '../../src/parse/yaml-source-map.js';

/** The package's own duplicate-key errors: line:column of each. */
function packageDuplicates(text: string): string[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: false });
  return doc.errors
    .filter((e) => e.code === 'DUPLICATE_KEY')
    .map((e) => {
      const p = lineCounter.linePos(e.pos[0]);
      return `${p.line}:${p.col}`;
    });
}

const cases: [string, string][] = [
  ['block mapping', 'a: 1\nb: 2\na: 3\n'],
  ['nested mapping', 'x:\n  a: 1\n  a: 2\n'],
  ['flow mapping', '{a: 1, a: 2}'],
  ['comment between', 'a: 1\n# c\na: 2\n'],
  ['anchor on the key', 'a: 1\n&x a: 2\n'],
  ['tag on the key', 'a: 1\n!!str a: 2\n'],
  ['explicit keys', '? a\n: 1\n? a\n: 2\n'],
  ['empty keys', ': 1\n: 2\n'],
  ['single pairs in a flow sequence are mappings of their own', '[a: 1, a: 2]'],
  ['mapping in a sequence', '- a: 1\n  a: 2\n'],
  ['a number and a string are different keys', '1: x\n"1": y\n1: z\n'],
  ['a quoted and a plain key are the same', 'a: 1\n"a": 2\n'],
  ['three times', 'a: 1\na: 2\na: 3\n'],
  ['.nan is never equal to itself', '.nan: 1\n.nan: 2\n'],
  ['null keys', '~: 1\nnull: 2\n'],
  ['mapping keys are never equal', '? {a: 1}\n: 1\n? {a: 1}\n: 2\n'],
];

describe('yamlSourceMap duplicate keys', () => {
  it.each(cases)('%s: as the yaml package reports them', (_, text) => {
    const got = yamlSourceMap(text, 'f.yaml')
      .diagnostics.filter((d) => d.code === 'yaml.duplicate-key')
      .map((d) => `${d.line}:${d.column}`);
    expect(got).toEqual(packageDuplicates(text));
  });
});

describe('yamlSourceMap locate()', () => {
  it('finds the first of duplicate keys, and every key of a large mapping', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`);
    const map = yamlSourceMap(`a: 1\na: 2\n${keys.join('\n')}\n`, 'f.yaml');
    expect(map.locate('/a', 'key')).toEqual({ line: 1, column: 1 });
    for (let i = 0; i < 20_000; i += 997)
      expect(map.locate(`/k${i}`, 'value')).toEqual({ line: i + 3, column: 4 + String(i).length });
  });
  it('pointerAt() finds the key under a position, in a sequence and a mapping', () => {
    const map = yamlSourceMap('a: 1\nb:\n  - x\n  - {c: 2, d: 3}\n', 'f.yaml');
    expect(map.pointerAt(1, 4)).toBe('/a');
    expect(map.pointerAt(3, 5)).toBe('/b/0');
    expect(map.pointerAt(4, 14)).toBe('/b/1/d');
  });
});
