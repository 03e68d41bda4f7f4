import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

it('the precompiled validators match schemas/*.schema.json (npm run validators)', () => {
  const r = spawnSync(
    process.execPath,
    [resolve(import.meta.dirname, '../../scripts/build-validators.mjs'), '--check'],
    {
      encoding: 'utf8',
    },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
