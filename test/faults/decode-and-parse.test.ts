/** The fixes the bad-input corpus led to, tested on their own: encoding, lone CR line ends, repeated errors. */
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../src/parse/decode-text.js';
import { parseYaml } from '../../src/parse/parse-yaml.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('decodeText', () => {
  const rows: [
    string,
    { given: Buffer; want: { text: string } | { line: number; column: number; msg: RegExp } },
  ][] = [
    ['plain UTF-8', { given: bytes('name: café\n'), want: { text: 'name: café\n' } }],
    [
      'a UTF-8 byte order mark is kept for the YAML parser',
      { given: bytes([0xef, 0xbb, 0xbf], 'a: 1\n'), want: { text: '\uFEFFa: 1\n' } },
    ],
    ['a literal U+FFFD is text', { given: bytes('a: \uFFFD\n'), want: { text: 'a: \uFFFD\n' } }],
    [
      'an invalid byte on line 2',
      {
        given: bytes('a: 1\nb: caf', [0xc3, 0x28], '\n'),
        want: { line: 2, column: 7, msg: /byte 0xC3 at offset 11/ },
      },
    ],
    [
      'a literal U+FFFD before an invalid byte',
      { given: bytes('a: \uFFFD', [0xff]), want: { line: 1, column: 5, msg: /byte 0xFF at offset 6/ } },
    ],
    ['UTF-16 LE', { given: bytes([0xff, 0xfe], 'a'), want: { line: 1, column: 1, msg: /UTF-16/ } }],
    ['UTF-16 BE', { given: bytes([0xfe, 0xff], 'a'), want: { line: 1, column: 1, msg: /UTF-16/ } }],
  ];
  for (const [name, { given, want }] of rows)
    it(name, () => {
      const r = decodeText(given, 'w.yaml');
      if ('text' in want) expect(r).toEqual(want);
      else {
        expect('diagnostic' in r).toBe(true);
        if (!('diagnostic' in r)) return;
        expect(r.diagnostic).toMatchObject({ code: 'file.encoding', line: want.line, column: want.column });
        expect(r.diagnostic.message).toMatch(want.msg);
      }
    });
});

describe('parseYaml on odd line ends and repeated errors', () => {
  it('lone CR line ends: positions count CR as a line break, like LF', () => {
    const doc = parseYaml('version: 1\rname: x\rcompute:\r  cpus: 2\r', 'w.yaml');
    expect(doc.value).toEqual({ version: 1, name: 'x', compute: { cpus: 2 } });
    expect(doc.locate('/compute/cpus')).toEqual({ line: 4, column: 9 });
  });

  it('CRLF line ends keep their positions', () => {
    const doc = parseYaml('version: 1\r\nname: x\r\n', 'w.yaml');
    expect(doc.locate('/name')).toEqual({ line: 2, column: 7 });
  });

  it('an unclosed bracket 10,000 deep gives each error once', () => {
    const doc = parseYaml(`a: ${'['.repeat(10000)}\n`, 'w.yaml');
    const keys = doc.diagnostics.map((d) => `${d.line}:${d.column}:${d.code}`);
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys).size).toBe(keys.length);
    expect(doc.diagnostics.every((d) => !/call stack/.test(d.message))).toBe(true);
  });

  it('a second document is reported in the user’s terms, not the library’s', () => {
    const doc = parseYaml('a: 1\n---\na: 2\n', 'w.yaml');
    expect(doc.diagnostics[0]?.message).toMatch(/more than one YAML document/);
    expect(doc.diagnostics[0]?.message).not.toMatch(/parseAllDocuments/);
  });
});
