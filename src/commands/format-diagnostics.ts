/**
 * Diagnostics for people and for programs (design.md §2): text lines `FILE:LINE:COL: error: MESSAGE [CODE]`
 * and the JSON document `{ok, diagnostics:[{severity, code, message, file, line, column, pointer}]}`.
 */
import type { Diagnostic } from '../model/diagnostic.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets escaped.
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/g;

/** A message on one line, whatever the input held: control characters become \n, \t, \u001b… */
export function oneLine(s: string): string {
  return s.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));
}

export function formatDiagnosticText(d: Diagnostic): string {
  return `${oneLine(d.file)}:${d.line}:${d.column}: ${d.severity}: ${oneLine(d.message)} [${d.code}]`;
}

/** One line per diagnostic, each ending in a newline ('' for none). */
export function formatDiagnosticsText(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${formatDiagnosticText(d)}\n`).join('');
}

export interface DiagnosticsJson {
  ok: boolean;
  diagnostics: Diagnostic[];
}

export function diagnosticsJson(diagnostics: readonly Diagnostic[]): DiagnosticsJson {
  return {
    ok: !diagnostics.some((d) => d.severity === 'error'),
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      file: d.file,
      line: d.line,
      column: d.column,
      pointer: d.pointer,
    })),
  };
}
