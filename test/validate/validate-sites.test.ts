/**
 * A valid site catalog read into sites: each key carried, and `transfer` resolved once here (default
 * `spool`: a catalog site is another organisation's, which shares nothing but the network). Bad values are
 * in the invalid-sites corpus (fixtures/invalid-sites/site-bad-values.yaml, with line:column).
 */
import { describe, expect, it } from 'vitest';
import type { Site } from '../../src/model/workflow.js';
import { parseYaml } from '../../src/parse/parse-yaml.js';
import { validateSites } from '../../src/validate/validate-sites.js';

const catalog = (site: string) => `version: 1\nsites:\n  - name: org-a\n    pool: cm.a:9618\n${site}`;

const rows: Array<[string, { given: string; want: Site }]> = [
  [
    'no transfer: spool, no tokens',
    { given: '', want: { name: 'org-a', pool: 'cm.a:9618', transfer: 'spool' } },
  ],
  [
    'transfer: spool as written',
    { given: '    transfer: spool\n', want: { name: 'org-a', pool: 'cm.a:9618', transfer: 'spool' } },
  ],
  [
    'transfer: shared (a shared file system at the same path)',
    { given: '    transfer: shared\n', want: { name: 'org-a', pool: 'cm.a:9618', transfer: 'shared' } },
  ],
  [
    'tokens: an absolute folder, with every other key',
    {
      given:
        '    schedd: org-a@gw\n    images: /shared/images\n    transfer: shared\n    tokens: /etc/vmdag/tokens.d/org-a\n',
      want: {
        name: 'org-a',
        pool: 'cm.a:9618',
        transfer: 'shared',
        schedd: 'org-a@gw',
        images: '/shared/images',
        tokens: '/etc/vmdag/tokens.d/org-a',
      },
    },
  ],
];

describe('validateSites: a valid catalog', () => {
  it.each(rows)('%s', (_name, { given, want }) => {
    const { catalog: got, diagnostics } = validateSites(parseYaml(catalog(given), 'sites.yaml'), {
      dir: '/w',
    });
    expect(diagnostics).toEqual([]);
    expect(got?.sites).toEqual([want]);
  });
});

describe('validateSites: transfer and tokens refused at their value', () => {
  const bad: Array<[string, { given: string; want: { code: string; line: number; column: number } }]> = [
    [
      'transfer not spool or shared',
      { given: '    transfer: nfs\n', want: { code: 'schema.enum', line: 5, column: 15 } },
    ],
    [
      'transfer in upper case',
      { given: '    transfer: SPOOL\n', want: { code: 'schema.enum', line: 5, column: 15 } },
    ],
    [
      'tokens relative',
      { given: '    tokens: tokens.d\n', want: { code: 'schema.pattern', line: 5, column: 13 } },
    ],
    [
      'tokens not a string',
      { given: '    tokens: [/a]\n', want: { code: 'schema.type', line: 5, column: 13 } },
    ],
  ];
  it.each(bad)('%s', (_name, { given, want }) => {
    const { catalog: got, diagnostics } = validateSites(parseYaml(catalog(given), 'sites.yaml'), {
      dir: '/w',
    });
    expect(got).toBeUndefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', file: 'sites.yaml', ...want }),
    ]);
  });
});
