/**
 * Restart's writes into a run directory that keeps its logs: each file whose text changed, atomically (a temp
 * file in the same folder, then rename), and the rescue file vmdag writes. Nothing else is touched.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
