/** Shared by the golden tests: discover cases, compare with `<case>.expected.json`, update on request. */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../../src/model/diagnostic.js';

/** UPDATE_GOLDENS=1 rewrites the expected files locally; never in CI. */
export const updating = process.env.UPDATE_GOLDENS === '1' && process.env.CI !== 'true';

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `<case>.yaml` files of a folder (not `<case>.sites.yaml` companions), sorted. */
export function discoverCases(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('.sites.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export type GoldenDiagnostic = Pick<
  Diagnostic,
  'severity' | 'file' | 'line' | 'column' | 'code' | 'pointer' | 'message'
>;

export function toGolden(diagnostics: readonly Diagnostic[]): GoldenDiagnostic[] {
  return diagnostics.map(({ severity, file, line, column, code, pointer, message }) => ({
    severity,
    file,
    line,
    column,
    code,
    pointer,
    message,
  }));
}

/** The expected diagnostics of a case (writing them first when updating). */
export function expectedFor(dir: string, name: string, actual: GoldenDiagnostic[]): GoldenDiagnostic[] {
  const file = join(dir, `${name}.expected.json`);
  if (updating) writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
  return JSON.parse(readFileSync(file, 'utf8')) as GoldenDiagnostic[];
}
