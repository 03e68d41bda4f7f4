/**
 * `$` in values, as the injection tests found it: condor_submit expands `$(X)` and rescans `$(DOLLAR)`;
 * the schedd expands `$$(X)` from the machine ad at match time unless written `$$(DOLLARDOLLAR)`.
 * The encodings below were run on the lab (HTCondor 25.14.1): the job printed exactly the value.
 */
import { describe, expect, it } from 'vitest';
import { escapeDollar, submitArguments, UnsafeValueError } from '../../src/render/quote.js';

describe('escapeDollar', () => {
  const rows: [string, { given: string; want: string }][] = [
    ['no dollar', { given: 'plain', want: 'plain' }],
    ['one dollar', { given: '$HOME', want: '$(DOLLAR)HOME' }],
    ['a submit macro', { given: '$(Cluster)', want: '$(DOLLAR)(Cluster)' }],
    ['a match-time macro', { given: '$$(Memory)', want: '$$(DOLLARDOLLAR)(Memory)' }],
    ['three dollars', { given: '$$$(x)', want: '$$(DOLLARDOLLAR)$(DOLLAR)(x)' }],
    ['four dollars', { given: 'a$$$$b', want: 'a$$(DOLLARDOLLAR)$$(DOLLARDOLLAR)b' }],
    ['the schedd escape itself', { given: '$$(DOLLARDOLLAR)', want: '$$(DOLLARDOLLAR)(DOLLARDOLLAR)' }],
    ['$$(DOLLAR) is fine (no single $ before it)', { given: '$$(DOLLAR)', want: '$$(DOLLARDOLLAR)(DOLLAR)' }],
  ];
  for (const [name, { given, want }] of rows) it(name, () => expect(escapeDollar(given)).toBe(want));

  it('a literal $(DOLLAR) cannot be written (condor_submit rescans it to $)', () => {
    expect(() => escapeDollar('$(DOLLAR)')).toThrow(UnsafeValueError);
    expect(() => escapeDollar('x$(dollar)y')).toThrow(UnsafeValueError);
    expect(() => escapeDollar('$$$(Dollar)')).toThrow(UnsafeValueError);
  });

  it('arguments carry the escapes inside their quoting', () => {
    expect(submitArguments(['$$(Memory)', "it's"])).toBe(`"$$(DOLLARDOLLAR)(Memory) 'it''s'"`);
  });
});
