/**
 * `vmdag validate` runs every check `vmdag compile` runs (issue 14, item 2): for each case both commands
 * give the same exit status and the same diagnostics, and compile writes nothing when validate refuses.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCompile } from '../../src/commands/compile.js';
import { runValidate } from '../../src/commands/validate.js';
import { capture } from '../capture-output.js';

const root = mkdtempSync(join(tmpdir(), 'vmdag-agree-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const step = (name: string, extra = '') =>
  `  - name: ${name}\n    cpus: 1\n    executable: bin/echo-args\n${extra}`;
const wf = (body: string) => `version: 1\nname: agree\ncompute:\n${body}`;

/** [case, workflow text, folder name, exit status both must give] */
const cases: Array<[string, string, string, 0 | 1]> = [
  [
    'DAG words as step names',
    wf(['job', 'parent', 'final', 'post', 'child'].map((n) => step(n)).join('')),
    'w',
    0,
  ],
  [
    "vmdag's own node names as step names",
    wf(['vms', 'gate', 'reap', 'stop'].map((n) => step(n)).join('')),
    'w',
    0,
  ],
  ['the argument $(DOLLAR)', wf(step('a', '    arguments: ["$(DOLLAR)"]\n')), 'w', 1],
  ['an output holding a backslash', wf(step('a', '    outputs: ["a\\\\b"]\n')), 'w', 1],
  ["an output '~/x'", wf(step('a', "    outputs: ['~/x']\n")), 'w', 1],
  ['an input landing on the executable', wf(step('a', '    inputs: [bin/./echo-args]\n')), 'w', 1],
  ...[' ', '"', '=', ';', ',', '\\', '\t', '\n'].map((c): [string, string, string, 0 | 1] => [
    `a folder name holding ${JSON.stringify(c)}`,
    wf(step('a')),
    `w${c}x`,
    1,
  ]),
];

describe('validate agrees with compile', () => {
  cases.forEach(([what, text, folder, want], i) => {
    it(what, async () => {
      const dir = join(root, String(i), folder);
      mkdirSync(join(dir, 'bin'), { recursive: true });
      writeFileSync(join(dir, 'bin/echo-args'), '#!/bin/sh\n');
      writeFileSync(join(dir, 'wf.yaml'), text);
      const io = { cwd: dir, env: {} };
      const v = capture();
      const vs = await runValidate(['wf.yaml'], { json: true }, v, io);
      const c = capture();
      const cs = await runCompile(['wf.yaml'], { json: true, output: 'out' }, c, io);
      expect([vs, cs], `${v.stdout}\n${c.stdout}`).toEqual([want, want]);
      if (want === 1) {
        expect(JSON.parse(v.stdout)).toEqual(JSON.parse(c.stdout));
        expect(existsSync(join(dir, 'out'))).toBe(false);
      }
    });
  });
});
