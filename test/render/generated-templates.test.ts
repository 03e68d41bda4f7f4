import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { KNOWN_HELPERS, TEMPLATE_NAMES } from '../../src/render/templates.js';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/build-templates.mjs');

it('the precompiled templates match templates/*.hbs (npm run templates)', () => {
  const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

it('the build precompiles every template with the helpers the runtime registers', async () => {
  const build = (await import(SCRIPT)) as { NAMES: string[]; OPTIONS: { knownHelpers: object } };
  expect(build.NAMES).toEqual([...TEMPLATE_NAMES]);
  expect(Object.keys(build.OPTIONS.knownHelpers)).toEqual([...KNOWN_HELPERS]);
});
