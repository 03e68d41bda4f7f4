/**
 * Generated workflows for the property tests (issue 14): a structured generator that mixes ordinary values
 * with the inputs hostile users try (DAG words as step names, numbers past 2^53, `$(DOLLAR)`, lone
 * surrogates, folder names HTCondor cannot carry, …), and a YAML writer that keeps every value exactly
 * (strings as JSON scalars, numbers as written).
 */
import fc from 'fast-check';

/** A YAML scalar written as is (`1e21`, `0x10`), for numbers whose spelling matters. */
export interface Raw {
  raw: string;
}
export type Value = string | number | boolean | Raw | Value[] | { [k: string]: Value | undefined };

const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && 'raw' in v;

function scalar(v: Value): string {
  if (isRaw(v)) return v.raw;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Block YAML of a mapping: one key a line, lists of scalars in flow style, lists of mappings as `- ` items. */
export function toYaml(map: { [k: string]: Value | undefined }, indent = ''): string {
  let out = '';
  for (const [k, v] of Object.entries(map)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (
        v.length > 0 &&
        v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x) && !isRaw(x))
      ) {
        out += `${indent}${k}:\n`;
        for (const item of v) {
          const body = toYaml(item as { [k: string]: Value }, `${indent}    `);
          out += `${indent}  - ${body.trimStart()}`;
        }
      } else out += `${indent}${k}: [${v.map(scalar).join(', ')}]\n`;
    } else if (typeof v === 'object' && !isRaw(v)) {
      out += `${indent}${k}:\n${toYaml(v, `${indent}  `)}`;
    } else out += `${indent}${k}: ${scalar(v)}\n`;
  }
  return out;
}

/** Numbers at and past every limit, spelled as YAML allows. */
const SPECIAL_NUMBERS: Value[] = [
  0,
  -1,
  1.5,
  2147483647,
  2147483648,
  9007199254740991,
  9007199254740992,
  { raw: '1e21' },
  { raw: '1e3' },
  { raw: '0x10' },
  { raw: '.inf' },
  { raw: '.nan' },
];

/** Mostly `good`, one time in `1 + weight` `bad`: most cases compile, and each hostile value is tried. */
function mostly<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, weight = 8): fc.Arbitrary<T> {
  return fc.oneof({ weight, arbitrary: good }, { weight: 1, arbitrary: bad });
}

const memory: fc.Arbitrary<Value> = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 4096 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Value>(
      '512MiB',
      '1GiB',
      '1000MB',
      '2GB',
      '999999999GiB',
      '2097151GiB',
      '2097152GiB',
      '1.5GiB',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
);

const duration: fc.Arbitrary<Value> = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 100_000 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Value>('90s', '30m', '2h', '1d', '24855d', '24856d', '99999999d', '0s'),
  },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
);

/** Strings that quoting must carry exactly or refuse. */
export const SPECIAL_STRINGS = [
  '$(DOLLAR)',
  '$$(X)',
  '$(X)',
  '$',
  '$$',
  '\ud800',
  'a\udc00',
  '😀',
  'é',
  'a"b',
  "a'b",
  'a b',
  '',
  '\\',
  'a\\b',
  '#x',
  'queue',
  'x = y',
  'a\nb',
  '\t',
  '\u2028',
  '-',
  'a,b',
  'a;b',
];

const argument: fc.Arbitrary<Value> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8, unit: 'grapheme' }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '-n',
      '10',
      'in.txt',
      'a=b',
      '--x=1',
      'a b',
      "it's",
      '"q"',
      '$HOME',
      '$$(Cpus)',
    ),
  },
);

export const STEP_NAMES = [
  'pre',
  'post',
  'job',
  'final',
  'retry',
  'done',
  'vars',
  'parent',
  'child',
  'vms',
  'gate',
  'reap',
  'stop',
  'solve',
  'a-1',
];
const OUTPUTS = [
  'out.txt',
  'r.txt',
  '~/x',
  'a\\b',
  'o/p',
  '$x',
  'x y',
  'a,b',
  '.',
  'a"b',
  'a=b',
  'a;b',
  '\ud800',
];
const GOOD_OUTPUTS = ['out.txt', 'r.txt', 'é.dat'];
const GOOD_INPUTS = ['data/in.txt', '/etc/hostname'];
const INPUTS = [
  'data/in.txt',
  'bin/./app',
  'data/a=b',
  'data/sp ace',
  '/etc/hostname',
  'missing.txt',
  'data/../data/in.txt',
];

function step(names: string[], i: number, vmCpus: number): fc.Arbitrary<{ [k: string]: Value | undefined }> {
  return fc.record(
    {
      name: fc.constant(names[i] as string),
      after: fc.subarray(names.slice(0, i), { maxLength: Math.min(2, i) }),
      cpus: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: Math.max(1, 2 * vmCpus) }) },
        { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
      ),
      memory: memory,
      executable: mostly(fc.constantFrom<Value>('bin/app', '/opt/app'), fc.constant<Value>('bin/missing')),
      arguments: fc.array(argument, { maxLength: 3 }),
      mpi: fc.constantFrom<Value>('openmpi', 'mpich', 'none'),
      inputs: mostly(fc.subarray(GOOD_INPUTS, { maxLength: 2 }), fc.subarray(INPUTS, { maxLength: 2 }), 4),
      outputs: mostly(fc.subarray(GOOD_OUTPUTS, { maxLength: 2 }), fc.subarray(OUTPUTS, { maxLength: 2 }), 4),
      retries: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }) },
        { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
      ),
      walltime: duration,
    },
    { requiredKeys: ['name', 'cpus', 'executable'] },
  );
}

export interface GeneratedCase {
  /** The workflow file's text. */
  text: string;
  /** The name of the folder it lies in (some cannot be named in a submit file). */
  folder: string;
  /** The document as generated (for the numbers it gives). */
  doc: { [k: string]: Value | undefined };
}

const FOLDERS = ['w x', 'w"q', 'w=1', 'w;x', 'w,x', 'w\\x', 'w\tx', 'w\nx', 'wé'];

export const generatedCase: fc.Arbitrary<GeneratedCase> = fc
  .record({
    name: mostly(fc.constantFrom('wf', 'a-b'), fc.constantFrom('Bad', '')),
    description: fc.option(
      mostly(fc.constantFrom('a run', 'é — #1', '$(DOLLAR)'), fc.constantFrom('\ud800', 'x\ny')),
      {
        nil: undefined,
      },
    ),
    vm: fc.option(
      fc.record(
        {
          hypervisor: fc.constantFrom<Value>('kvm', 'xen'),
          image: fc.constantFrom<Value>(
            { path: 'images/guest.qcow2', location: 'local' },
            { path: 'images/guest.qcow2', location: 'local', differential: true },
            { path: '/srv/images/base.qcow2', location: 'cluster', format: 'raw' },
          ),
          count: fc.oneof(
            { weight: 5, arbitrary: fc.integer({ min: 1, max: 4 }) },
            { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
          ),
          cpus: fc.integer({ min: 1, max: 4 }),
          memory: memory,
          lease: duration,
        },
        { requiredKeys: ['hypervisor', 'image', 'count', 'cpus', 'memory'] },
      ),
      { nil: undefined, freq: 2 },
    ),
    steps: fc.shuffledSubarray(STEP_NAMES, { minLength: 1, maxLength: 4 }),
    single: fc.boolean(),
    folder: mostly(fc.constantFrom('w', 'wé'), fc.constantFrom(...FOLDERS), 12),
  })
  .chain((g) => {
    const vmCpus = typeof g.vm?.cpus === 'number' ? g.vm.cpus : 1;
    const vmCount = typeof g.vm?.count === 'number' ? g.vm.count : 1;
    const n = g.single ? 1 : g.steps.length;
    return fc
      .tuple(...Array.from({ length: n }, (_, i) => step(g.steps, i, vmCpus * Math.min(vmCount, 4))))
      .map((steps): GeneratedCase => {
        const doc: { [k: string]: Value | undefined } = {
          version: 1,
          name: g.name,
          description: g.description,
          vm: g.vm as Value | undefined,
          compute: g.single ? { ...(steps[0] as object), name: undefined, after: undefined } : steps,
        };
        return { text: toYaml(doc), folder: g.folder, doc };
      });
  });

/** Edits of a valid workflow's text: a line dropped, doubled or cut, a value replaced by a hostile one. */
export const mutation = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('double' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('value' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(...SPECIAL_STRINGS.map((s) => JSON.stringify(s))),
      fc.constantFrom(...SPECIAL_NUMBERS.map((v) => scalar(v))),
      fc.constantFrom(
        ...STEP_NAMES,
        '[parent, child]',
        '{}',
        '[]',
        'null',
        '~',
        '&a x',
        '*a',
        '!!binary x',
        '|\n  x',
        '"\\x00"',
      ),
    ),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    value: fc.constantFrom(':', '-', '#', '"', "'", '\t', '\r', '\u00a0', '\ufeff', '{', '[', '\\', '\u0000'),
  }),
);
export type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

export function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = m.at % lines.length;
  switch (m.op) {
    case 'drop':
      return lines.filter((_, k) => k !== i).join('\n');
    case 'double':
      return [...lines.slice(0, i + 1), ...lines.slice(i)].join('\n');
    case 'cut':
      return text.slice(0, m.at % (text.length + 1));
    case 'value': {
      const line = lines[i] as string;
      const colon = line.indexOf(': ');
      lines[i] =
        colon < 0 ? `${line.replace(/\S.*$/, '')}- ${m.value}` : `${line.slice(0, colon + 2)}${m.value}`;
      return lines.join('\n');
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.value + text.slice(at);
    }
  }
}
