import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/parse/parse-yaml.js';

const text = `version: 1
vm:
  image:
    path: a.qcow2
  count:
compute:
  - name: a
    after: [x, "y/z"]
  - name: b
"a/b": 1
`;

describe('parseYaml locate()', () => {
  const doc = parseYaml(text, 'w.yaml');
  const rows: [string, { pointer: string; mode?: 'value' | 'key'; want: [number, number] }][] = [
    ['root value', { pointer: '', want: [1, 1] }],
    ['scalar value', { pointer: '/version', want: [1, 10] }],
    ['key of a scalar', { pointer: '/version', mode: 'key', want: [1, 1] }],
    ['nested mapping value starts at its first key', { pointer: '/vm/image', want: [4, 5] }],
    ['nested key', { pointer: '/vm/image', mode: 'key', want: [3, 3] }],
    ['deep scalar', { pointer: '/vm/image/path', want: [4, 11] }],
    ['empty value → its key', { pointer: '/vm/count', want: [5, 3] }],
    ['sequence item', { pointer: '/compute/1', want: [9, 5] }],
    ['flow sequence item', { pointer: '/compute/0/after/1', want: [8, 16] }],
    ['escaped pointer segment ~1', { pointer: '/a~1b', mode: 'key', want: [10, 1] }],
    ['missing key → nearest ancestor key', { pointer: '/vm/image/format', want: [3, 3] }],
    ['missing index → the key of the sequence', { pointer: '/compute/7/name', want: [6, 1] }],
    ['missing top-level key → root', { pointer: '/nope', want: [1, 1] }],
  ];
  for (const [name, { pointer, mode, want }] of rows)
    it(name, () => {
      expect(doc.locate(pointer, mode)).toEqual({ line: want[0], column: want[1] });
    });
});

describe('parseYaml value and diagnostics', () => {
  it('reads the core schema: yes/no and dates stay strings', () => {
    const doc = parseYaml('a: yes\nb: 2024-01-01\nc: 0x10\nd: null\n', 'f.yaml');
    expect(doc.value).toEqual({ a: 'yes', b: '2024-01-01', c: 16, d: null });
    expect(doc.diagnostics).toEqual([]);
  });
  it('an empty document is null', () => {
    expect(parseYaml('', 'f.yaml').value).toBeNull();
  });
  it('reports every duplicate key with its position and still gives a value', () => {
    const doc = parseYaml('a: 1\na: 2\nb:\n  c: 1\n  c: 2\n', 'f.yaml');
    expect(doc.diagnostics.map((d) => [d.code, d.line, d.column, d.pointer])).toEqual([
      ['yaml.duplicate-key', 2, 1, '/a'],
      ['yaml.duplicate-key', 5, 3, '/b/c'],
    ]);
    expect(doc.value).toBeTypeOf('object');
  });
  it('a syntax error leaves no value', () => {
    const doc = parseYaml('a: [1, 2\nb: 3\n', 'f.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.diagnostics.length).toBeGreaterThan(0);
    expect(doc.diagnostics[0]?.code).toMatch(/^yaml\./);
    expect(doc.diagnostics[0]?.file).toBe('f.yaml');
  });
  it('a NUL byte is reported at its own line and column (found by the property tests)', () => {
    const doc = parseYaml('a: 1\nb: x\u0000y\n', 'f.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['yaml.syntax', 2, 5]]);
  });
  it('a tag js-yaml does not know is an error', () => {
    const doc = parseYaml('a: !custom 1\n', 'f.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.diagnostics.map((d) => [d.severity, d.line, d.column])).toEqual([['error', 1, 4]]);
  });
});
