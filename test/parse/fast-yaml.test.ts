/**
 * The fast reader must give exactly js-yaml's value whenever it accepts a file, and decline the rest.
 * Checked on every YAML file of the repository's fixtures and examples, on the benchmark's shape, and on
 * edge cases of each construct it reads or declines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { fastYaml } from '../../src/parse/fast-yaml.js';

const ROOT = join(import.meta.dirname, '..', '..');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

/** js-yaml's value, or 'throws'. */
function reference(text: string): unknown {
  try {
    return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) ?? null;
  } catch {
    return 'throws';
  }
}

/** Same value, same key order, same types (JSON.stringify keeps key order; toStrictEqual checks the rest). */
function expectSame(text: string): boolean {
  const fast = fastYaml(text);
  if (fast === undefined) return false;
  const want = reference(text);
  expect(want).not.toBe('throws');
  expect(fast.value).toStrictEqual(want);
  expect(JSON.stringify(fast.value)).toBe(JSON.stringify(want));
  return true;
}

describe('fastYaml against js-yaml', () => {
  const files = [...yamlFiles(join(ROOT, 'fixtures')), ...yamlFiles(join(ROOT, 'examples'))];
  it('gives js-yaml’s value for every fixture and example it accepts', () => {
    let accepted = 0;
    for (const f of files) if (expectSame(readFileSync(f, 'utf8'))) accepted++;
    // Most workflows are in the plain shape: the fast path must be the common one, not a dead branch.
    expect(accepted).toBeGreaterThan(files.length / 2);
  });

  it('gives js-yaml’s value on mutated fixtures whenever it accepts one', () => {
    // Deterministic mutations (insert, delete, replace one character by a YAML-significant one) of every
    // accepted fixture: whatever the fast reader still accepts, js-yaml must read to the same value.
    let seed = 42;
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
      '}',
      ',',
      '"',
      "'",
      '\n',
      '\n  ',
      'a',
      '1',
      '.',
      '~',
      '&',
      '*',
      '!',
      '|',
      '?',
      'x: y',
      'true',
    ];
    let checked = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (fastYaml(text) === undefined) continue;
      for (let k = 0; k < 40; k++) {
        const at = rand(text.length);
        const op = rand(3);
        const ins = alphabet[rand(alphabet.length)] as string;
        const mutated =
          op === 0
            ? text.slice(0, at) + ins + text.slice(at)
            : op === 1
              ? text.slice(0, at) + text.slice(at + 1)
              : text.slice(0, at) + ins + text.slice(at + 1);
        if (expectSame(mutated)) checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('reads the benchmark’s shape', () => {
    const text = [
      'version: 1',
      'name: bench',
      'vm:',
      '  image: {path: images/guest.qcow2, location: local, differential: true}',
      '  memory: 2GiB',
      'compute:',
      '  - name: s0',
      '    cpus: 4',
      '    arguments: ["--step", "0", "--out", "r0.txt"]',
      '    inputs: [input.dat]',
      '  - name: s1',
      '    after: [s0]',
      '    walltime: 30m',
      '',
    ].join('\n');
    expect(expectSame(text)).toBe(true);
  });

  const accepted: [string, string][] = [
    [
      'scalars of the core schema',
      'a: 1\nb: -2\nc: 0x1F\nd: 0o17\ne: 1.5\nf: .inf\ng: ~\nh: null\ni: True\nj: 1e3\nk: +7\n',
    ],
    ['strings that look almost like numbers', 'a: 30m\nb: 1GiB\nc: 08\nd: 1_000\ne: .5x\nf: yes\ng: No\n'],
    [
      'numbers starting with a digit',
      'a: 0\nb: 007\nc: 0x1f\nd: 0o17\ne: 0b101\nf: 1e5\ng: 1.5E-3\nh: 123456789012345678\ni: 12d\nj: 1_0\nk: 9007199254740993\n',
    ],
    ['quoted strings', `a: "x \\"y\\" \\\\ z"\nb: 'it''s'\nc: ""\nd: ''\ne: "1"\n`],
    ['comments and blank lines', '# head\n\na: 1 # c\n   # indented comment\nb:   # empty\n\nc: x#y\n'],
    ['sequence at the key’s indentation', 'a:\n- x\n- y: 1\n  z: 2\nb: 3\n'],
    ['nested blocks', 'a:\n  b:\n    - 1\n    -\n      c: d\n    - [e, f]\n  g: {}\nh: []\n'],
    ['compact mapping with extra blanks', 'a:\n  -   k: 1\n      l: 2\n'],
    ['flow items with spaces and quotes', 'a: [ x y , "p, q" , \'r]\' ]\nb: { k: v w , l: "m" }\n'],
    ['plain scalars with indicators inside', 'a: x]y\nb: a,b\nc: p:q\nd: --step\ne: -1\nf: a b  c\n'],
    ['empty values', 'a:\nb:\n  - \nc: ""\n'],
    ['no final line break', 'a: 1\nb: [x]'],
  ];
  for (const [name, text] of accepted) {
    it(`accepts: ${name}`, () => {
      expect(expectSame(text)).toBe(true);
    });
  }

  const declined: [string, string][] = [
    ['a tab', 'a:\t1\n'],
    ['CRLF', 'a: 1\r\n'],
    ['non-ASCII', 'a: é\n'],
    ['a BOM', '\uFEFFa: 1\n'],
    ['a document marker', '---\na: 1\n'],
    ['an anchor and alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a block scalar', 'a: |\n  x\n'],
    ['a multi-line plain scalar', 'a: x\n  y\n'],
    ['a multi-line flow sequence', 'a: [x,\n  y]\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a quoted key', '"a": 1\n'],
    ['a boolean key', 'True: 1\n'],
    ['__proto__', '__proto__: 1\n'],
    ['an inherited name as key', 'constructor: 1\n'],
    ['a mapping in a value', 'a: b: c\n'],
    ['a trailing colon', 'a: b:\n'],
    ['an escape other than \\\\ and \\"', 'a: "x\\ty"\n'],
    ['a nested flow collection', 'a: [[x]]\n'],
    ['a trailing comma', 'a: [x, ]\n'],
    ['a root sequence', '- a\n'],
    ['a root scalar', 'hello\n'],
    ['an empty document', '# nothing\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['text after a flow collection', 'a: [x] y\n'],
    ['a dash after an inline value', 'a: 1\n- x\n'],
    ['a comment without a blank', 'a: "x"#c\n'],
    ['a colon in a flow scalar', 'a: [x:y]\n'],
  ];
  for (const [name, text] of declined) {
    it(`declines: ${name}`, () => {
      expect(fastYaml(text)).toBeUndefined();
    });
  }
});
