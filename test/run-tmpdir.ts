/**
 * vitest's globalSetup (vitest.config.ts): the run's own temporary folder. Tests make hundreds of run
 * directories under os.tmpdir(); pointing TMPDIR at a folder of this run — set before vitest starts its
 * workers, which inherit it — and removing that folder at the end leaves nothing in /tmp, whoever started
 * vitest (`npm test`, `npm run test:unit`, `npm run test:compat` or a plain `npx vitest run`).
 * Under /tmp, which the lab's root shares, and open to the lab's user as /tmp is.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

export default function setup(): () => void {
  // vitest runs a globalSetup for the root config and for each project that extends it: the first makes
  // the folder, the others find it.
  if (process.env.VMDAG_TEST_TMPDIR) return () => {};
  const before = process.env.TMPDIR;
  const tmp = mkdtempSync(path.join('/tmp', 'vmdag-test-run-'));
  chmodSync(tmp, 0o1777);
  process.env.TMPDIR = tmp;
  process.env.VMDAG_TEST_TMPDIR = tmp;
  return () => {
    delete process.env.VMDAG_TEST_TMPDIR;
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    try {
      const entries = readdirSync(tmp).length;
      rmSync(tmp, { recursive: true, force: true });
      process.stderr.write(`test: temporary folder ${tmp}: ${entries} entries, removed\n`);
    } catch (e) {
      process.stderr.write(`test: temporary folder ${tmp}: not removed (${(e as Error).message})\n`);
    }
  };
}
