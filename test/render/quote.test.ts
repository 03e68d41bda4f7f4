import { describe, expect, it } from 'vitest';
import {
  classAdStringLiteral,
  dagFileName,
  dagNodeName,
  dagVarsValue,
  escapeDollar,
  submitArguments,
  submitArgumentsInner,
  submitClassAdString,
  submitFileList,
  submitOutputRemaps,
  submitValue,
  submitVmDisk,
  UnsafeValueError,
} from '../../src/render/quote.js';

describe('submitArguments (new syntax)', () => {
  const rows: Array<[string, string[], string]> = [
    ['plain words', ['-n', '1000'], '"-n 1000"'],
    ['empty list', [], '""'],
    ['empty argument', [''], `"''"`],
    ['blank inside', ['a b'], `"'a b'"`],
    ['single quote', ["it's"], `"'it''s'"`],
    ['double quote', ['say "hi"'], `"'say ""hi""'"`],
    ['double quote, no blank', ['a"b'], '"a""b"'],
    ['dollar', ['$HOME'], '"$(DOLLAR)HOME"'],
    ['macro-looking', ['$(Cluster)'], '"$(DOLLAR)(Cluster)"'],
  ];
  it.each(rows)('%s', (_name, given, want) => {
    expect(submitArguments(given)).toBe(want);
  });
  it.each([['a\nb'], ['tab\there'], ['cr\r'], ['nul\u0000']])('refuses control characters: %j', (arg) => {
    expect(() => submitArguments([arg])).toThrow(UnsafeValueError);
  });
});

describe('dagVarsValue', () => {
  it('escapes backslash and double quote for the DAG parser', () => {
    expect(dagVarsValue('a "b" \\c')).toBe('a \\"b\\" \\\\c');
  });
  it('keeps other text', () => expect(dagVarsValue("'x y' $(DOLLAR)")).toBe("'x y' $(DOLLAR)"));
  it('refuses a newline', () => expect(() => dagVarsValue('a\nb')).toThrow(UnsafeValueError));
  it('arguments inside a VARS value: both levels of escaping', () => {
    expect(dagVarsValue(submitArgumentsInner(['say "hi"']))).toBe(`'say \\"\\"hi\\"\\"'`);
  });
});

describe('submitValue', () => {
  it('keeps a plain value', () => expect(submitValue('hpl-vm')).toBe('hpl-vm'));
  it('makes $ literal', () => expect(submitValue('a$b')).toBe('a$(DOLLAR)b'));
  it.each([[''], [' lead'], ['trail '], ['two\nlines']])('refuses %j', (v) => {
    expect(() => submitValue(v)).toThrow(UnsafeValueError);
  });
});

describe('ClassAd strings', () => {
  it('escapes backslash and quote', () => {
    expect(classAdStringLiteral('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
  it('makes $ literal in a submit file', () => {
    expect(submitClassAdString('$x')).toBe('"$(DOLLAR)x"');
  });
  it('refuses a newline', () => {
    expect(() => classAdStringLiteral('a\nb')).toThrow(UnsafeValueError);
  });
  it('escapeDollar leaves text without $ unchanged', () => {
    expect(escapeDollar('abc')).toBe('abc');
  });
});

describe('submitFileList', () => {
  it('joins with commas', () => expect(submitFileList(['/a/x', 'y.dat'])).toBe('/a/x,y.dat'));
  it('an empty list is empty', () => expect(submitFileList([])).toBe(''));
  it.each([['a,b'], ['a b'], ['a=b'], ['a;b'], ['a"b'], ['a\\b'], [''], ['a\tb']])('refuses %j', (f) => {
    expect(() => submitFileList([f])).toThrow(UnsafeValueError);
  });
});

describe('submitOutputRemaps', () => {
  it('one node', () => {
    expect(submitOutputRemaps([{ from: 'HPL.out', to: 'outputs/HPL.out' }])).toBe('HPL.out=outputs/HPL.out');
  });
  it('splices $(Node) where {node} stands', () => {
    expect(
      submitOutputRemaps([
        { from: 'a', to: 'outputs/.s.{node}.a' },
        { from: 'b', to: 'outputs/.s.{node}.b' },
      ]),
    ).toBe('a=outputs/.s.$(Node).a;b=outputs/.s.$(Node).b');
  });
  it('refuses a ; in a name', () => {
    expect(() => submitOutputRemaps([{ from: 'a;b', to: 'outputs/a' }])).toThrow(UnsafeValueError);
  });
});

describe('submitVmDisk', () => {
  it('writes file:device:access:format', () => {
    expect(submitVmDisk('/img/a.qcow2', 'vda', 'r', 'qcow2')).toBe('/img/a.qcow2:vda:r:qcow2');
  });
  it.each([['/img/a:b'], ['/img/a,b'], ['/img/a b']])('refuses %j', (f) => {
    expect(() => submitVmDisk(f, 'vda', 'w', 'raw')).toThrow(UnsafeValueError);
  });
});

describe('DAG names', () => {
  it.each([
    ['hpl'],
    ['step-2'],
    ['VMS'],
    ['a.b_c'],
    // DAG keywords DAGMan takes as node names (run on the lab, HTCondor 25.14.1): issue 14, item 3.
    ['post'],
    ['job'],
    ['Final'],
    ['retry'],
    ['done'],
    ['vars'],
    ['Stop'],
  ])('accepts node %j', (n) => {
    expect(dagNodeName(n)).toBe(n);
  });
  it.each([['a+b'], ['a b'], [''], ['-x'], ['PARENT'], ['child'], ['Child'], ['all_nodes']])(
    'refuses node %j',
    (n) => {
      expect(() => dagNodeName(n)).toThrow(UnsafeValueError);
    },
  );
  it('accepts a file name', () => expect(dagFileName('hpl.sub')).toBe('hpl.sub'));
  it.each([['a b.sub'], ['$x'], ['"q"'], ['']])('refuses file %j', (f) => {
    expect(() => dagFileName(f)).toThrow(UnsafeValueError);
  });
});
