/** One problem found in an input file. Errors are data: stages return these, only the CLI prints them. */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `schema.type`, `rule.cpus-exceed-vms`. */
  code: string;
  message: string;
  /** Path of the input file as the user named it. */
  file: string;
  /** 1-based line of the offending value (for a missing key: the parent mapping's key). */
  line: number;
  /** 1-based column. */
  column: number;
  /** JSON pointer of the offending value, e.g. `/vm/count`. */
  pointer: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
