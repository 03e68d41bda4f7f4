/**
 * The `submitting.json` marker: written before condor_submit_dag runs, removed once run.json records the
 * DAGMan job. A marker without run.json means a submit was interrupted (killed, crashed): its token, given
 * to the DAGMan job as `VmdagSubmitId`, tells the next submit whether that DAG reached the schedd.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUBMIT_MARKER = 'submitting.json';

export interface SubmitMarker {
  token: string;
  startedAt: string;
  pid: number;
  /** Written by `vmdag restart` (the run has run.json already): the attempt being submitted. */
  restart?: number;
}

export function writeSubmitMarker(dir: string, marker: SubmitMarker): void {
  const tmp = join(dir, `.${SUBMIT_MARKER}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(marker, null, 2)}\n`);
  renameSync(tmp, join(dir, SUBMIT_MARKER));
}

export function readSubmitMarker(dir: string): SubmitMarker | undefined {
  const path = join(dir, SUBMIT_MARKER);
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<SubmitMarker>;
    return typeof m.token === 'string' && /^[0-9a-f-]{36}$/.test(m.token)
      ? {
          token: m.token,
          startedAt: String(m.startedAt ?? ''),
          pid: Number(m.pid ?? 0),
          ...(typeof m.restart === 'number' ? { restart: m.restart } : {}),
        }
      : undefined;
  } catch {
    return undefined;
  }
}

export function removeSubmitMarker(dir: string): void {
  rmSync(join(dir, SUBMIT_MARKER), { force: true });
}
