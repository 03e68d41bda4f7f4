/**
 * The build compiles the bodies of `{{#each}}` blocks made only of text, `{{field}}` and `{{#if field}}` to
 * plain functions (scripts/build-templates.mjs); templates.pieces()/split() — how every DAG is written —
 * render those blocks with them. Here the same views are rendered both ways: through Handlebars' own `each`
 * (render()) and through the compiled bodies (pieces()), and the texts must be identical, for the DAG
 * template's node and PARENT blocks, over ordinary views and over values of every kind Handlebars treats
 * specially (null, 0, '', empty and non-empty lists, false).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { bodyAt, loadTemplates } from '../../src/render/templates.js';

const DAG = readFileSync(resolve(import.meta.dirname, '../../templates/dag.hbs'), 'utf8');

/** The `{{#each}}` blocks of the DAG template: their list's name and place. */
function eachBlocks(): Array<{ list: string; loc: { start: { line: number; column: number } } }> {
  const found: Array<{ list: string; loc: { start: { line: number; column: number } } }> = [];
  const walk = (program: hbs.AST.Program): void => {
    for (const st of program.body) {
      if (st.type !== 'BlockStatement') continue;
      const block = st as hbs.AST.BlockStatement;
      if ((block.path as hbs.AST.PathExpression).original === 'each') {
        found.push({ list: (block.params[0] as hbs.AST.PathExpression).original, loc: block.loc });
      } else {
        walk(block.program);
        if (block.inverse) walk(block.inverse);
      }
    }
  };
  walk(Handlebars.parse(DAG));
  return found;
}

const frame = (steps: unknown[], edges: unknown[]) => ({
  name: 'demo',
  description: null,
  vm: true,
  tuned: true,
  dag: { configFile: 'demo.config', statusFile: 'demo.status', jobstateLog: 'demo.jobstate.log' },
  steps,
  edges,
});

const node = (over: Record<string, unknown> = {}) => ({
  node: 'a',
  args: 'openmpi 4 2 ./app --n 5',
  machines: 2,
  cpus: 2,
  memory: 1024,
  inputs: '/w/bin/app,/w/in.dat',
  outputs: 'r.txt',
  remaps: 'r.txt=outputs/.a.$(Node).r.txt',
  walltime: 1800,
  retries: 0,
  collect: null,
  ...over,
});

function bothWays(view: ReturnType<typeof frame>): { handlebars: string; compiled: string } {
  const t = loadTemplates();
  return {
    handlebars: t.render('dag', view),
    compiled: [...t.pieces('dag', view, [view.steps, view.edges], 3)].join(''),
  };
}

describe('compiled {{#each}} bodies (scripts/build-templates.mjs)', () => {
  it('the DAG template’s node and PARENT blocks are compiled (the fast path is in use)', () => {
    const blocks = eachBlocks();
    expect(blocks.map((b) => b.list)).toEqual(['steps', 'edges']);
    for (const b of blocks) expect(bodyAt('dag', b.loc)).toBeTypeOf('function');
  });

  it('render the same text as Handlebars for ordinary nodes and edges', () => {
    const steps = [
      node(),
      node({ node: 'b', retries: 3 }),
      node({ node: 'c', collect: 'c r.txt', machines: 3 }),
      node({ node: 'd', retries: 1, collect: 'd x y', walltime: 0, outputs: '', remaps: '' }),
    ];
    const edges = [
      { parents: 'a b', child: 'c' },
      { parents: 'c', child: 'd' },
    ];
    const { handlebars, compiled } = bothWays(frame(steps, edges));
    expect(compiled).toBe(handlebars);
    expect(compiled).toContain('RETRY b 3\n');
    expect(compiled).toContain('SCRIPT POST d vmdag-collect.sh $RETURN d x y\n');
    expect(compiled).toContain('PARENT a b CHILD c\n');
  });

  it('render the same text as Handlebars for values of every kind `if` and output treat apart', () => {
    const values: unknown[] = [
      null,
      0,
      1,
      -1,
      '',
      'x',
      ' ',
      'a"b\\c',
      [],
      ['p'],
      ['p', 'q'],
      false,
      true,
      2.5,
    ];
    const steps: unknown[] = [];
    let i = 0;
    for (const retries of values)
      for (const collect of values)
        steps.push(node({ node: `n${i++}`, retries, collect, walltime: retries }));
    const edges = values.map((parents, k) => ({ parents, child: values[(k + 3) % values.length] }));
    const { handlebars, compiled } = bothWays(frame(steps, edges));
    expect(steps.length).toBe(values.length ** 2);
    expect(compiled).toBe(handlebars);
  });

  it('refuse a field the item lacks, as strict Handlebars does (null prints nothing)', () => {
    const { node: _dropped, ...noName } = node();
    const view = frame([noName], []);
    const t = loadTemplates();
    expect(() => t.render('dag', view)).toThrow(/"node" not defined/);
    expect(() => [...t.pieces('dag', view, [view.steps, view.edges])].join('')).toThrow(/"node" not defined/);
  });
});
