/**
 * Restart's writes into a run directory that keeps its logs: each file whose text changed, atomically (a temp
 * file in the same folder, then rename), the rescue file vmdag writes and the attempt's marker. Nothing else
 * is touched.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Restarting } from '../restart/attempts.js';

/** What the attempt being submitted records (src/restart/attempts.ts, Restarting). */
export const RESTARTING = 'restarting.json';

export interface TextFile {
  path: string;
  text: string;
  mode: number;
}

function writeAtomic(dir: string, f: TextFile): void {
  const dest = join(dir, f.path);
  const tmp = join(dirname(dest), `.restart.${process.pid}.tmp`);
  writeFileSync(tmp, f.text, { mode: f.mode });
  chmodSync(tmp, f.mode);
  renameSync(tmp, dest);
}

/** Writes the files of `files` whose text differs from the run directory's; returns their paths. */
export function updateRunDir(dir: string, files: TextFile[]): string[] {
  const written: string[] = [];
  for (const f of files) {
    let old: string | undefined;
    try {
      old = readFileSync(join(dir, f.path), 'utf8');
    } catch {
      old = undefined;
    }
    if (old === f.text) continue;
    writeAtomic(dir, f);
    written.push(f.path);
  }
  return written;
}

export function writeRescueFile(dir: string, name: string, text: string): void {
  writeAtomic(dir, { path: name, text, mode: 0o644 });
}

/**
 * The changed files of a restart attempt, after its marker (`restarting.json`) with what the attempt records:
 * a restart killed midway has left the changes it was writing in the marker. Returns the files written.
 */
export function writeAttempt(dir: string, marker: Restarting, files: TextFile[]): string[] {
  writeAtomic(dir, { path: RESTARTING, text: `${JSON.stringify(marker, null, 2)}\n`, mode: 0o644 });
  return updateRunDir(dir, files);
}
