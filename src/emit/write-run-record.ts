/** Record a submitted run in its directory (`run.json`), atomically: temp file in the same folder, then rename. */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../model/run.js';

export function writeRunRecord(dir: string, record: RunRecord): string {
  const path = join(dir, 'run.json');
  const tmp = join(dir, `.run.json.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}
