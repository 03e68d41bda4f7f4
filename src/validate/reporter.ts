/** Collects diagnostics for one document, each located at its JSON pointer through the source map. */
import type { Diagnostic } from '../model/diagnostic.js';
import type { ParsedDocument } from '../parse/parse-yaml.js';
import { splitPointer } from '../parse/yaml-source-map.js';

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly doc: ParsedDocument) {}

  /** An error at the value of `pointer` (mode `key`: at the key naming it, for missing/unknown keys). */
  error(
    pointer: string,
    code: string,
    message: string,
    at: { pointer?: string; mode?: 'value' | 'key' } = {},
  ) {
    const { line, column } = this.doc.locate(at.pointer ?? pointer, at.mode ?? 'value');
    this.diagnostics.push({ severity: 'error', code, message, file: this.doc.file, line, column, pointer });
  }
}

/** Diagnostics in reading order: line, column, then code. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** `/compute/0/cpus` → `compute[0].cpus`; '' → `the document`. */
export function readablePath(pointer: string): string {
  let out = '';
  for (const seg of splitPointer(pointer)) {
    if (/^(0|[1-9][0-9]*)$/.test(seg)) out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? 'the document' : out;
}

/** A value as shown in a message: strings quoted, lists and mappings named. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}
