/**
 * parse: YAML text → plain value + a source map (JSON pointer → line:column).
 *
 * Two readers, each used for what it is good at. js-yaml (core schema) builds the value: it reads the
 * 10,000-step benchmark workflow (2.1 MB) in ~0.25 s and ~90 MiB, where the `yaml` package's parseDocument
 * needs ~2.5 s and ~290 MiB (its CST parser alone ~1.8 s). The `yaml` package (parseDocument +
 * LineCounter) keeps every node's position: it is loaded and run only when a position is needed — a
 * diagnostic to locate, or a syntax error to report with every problem at once — so a valid workflow never
 * pays for it. js-yaml decides what is valid YAML; `yaml` explains where.
 */
import jsYaml from 'js-yaml';
import type { Diagnostic } from '../model/diagnostic.js';
import { type YamlSourceMap, yamlSourceMap } from './yaml-source-map.js';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedDocument {
  /** The file as the user named it (goes into every diagnostic). */
  file: string;
  /** The document as plain JSON-like data (undefined when the YAML could not be read). */
  value: unknown;
  /** YAML problems: syntax errors, duplicate keys, … (codes `yaml.*`). */
  diagnostics: Diagnostic[];
  /**
   * Where the node at a JSON pointer starts (1-based). mode `value` (default): the value; `key`: the key
   * naming it (for unknown or missing keys). Falls back to the nearest ancestor that exists.
   */
  locate(pointer: string, mode?: 'value' | 'key'): Position;
}

export function parseYaml(source: string, file: string): ParsedDocument {
  // A lone CR ends a line in YAML (js-yaml counts it) but not for the `yaml` package's LineCounter: make it
  // LF so both agree on lines. Same length, so every offset stays where it was.
  const text = source.includes('\r') ? source.replace(/\r(?!\n)/g, '\n') : source;
  let map: YamlSourceMap | undefined;
  const sourceMap = (): YamlSourceMap => {
    map ??= yamlSourceMap(text, file);
    return map;
  };
  const locate = (pointer: string, mode: 'value' | 'key' = 'value') => sourceMap().locate(pointer, mode);
  try {
    const value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
    return { file, value: value ?? null, diagnostics: [], locate };
  } catch (e) {
    if (!(e instanceof jsYaml.YAMLException)) throw e;
    const sm = sourceMap();
    let diagnostics = [...sm.diagnostics];
    if (!diagnostics.some((d) => d.severity === 'error')) {
      // js-yaml refused what the `yaml` package only warns about (an unknown tag, say): those warnings are
      // the errors. With no warning either, report js-yaml's own reason at its mark.
      diagnostics = diagnostics.map((d) => ({ ...d, severity: 'error' }));
    }
    if (!diagnostics.some((d) => d.severity === 'error')) {
      // From the mark's offset: its line and column are not always counted (a NUL byte is reported on
      // line 1 at its offset in the whole file).
      const mark = e.mark as { position?: number } | undefined;
      const before = text.slice(0, Math.min(mark?.position ?? 0, text.length));
      const lastBreak = before.lastIndexOf('\n');
      let line = 1;
      for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
      const column = before.length - lastBreak;
      diagnostics.push({
        severity: 'error',
        code: 'yaml.syntax',
        message: `invalid YAML: ${e.reason}`,
        file,
        line,
        column,
        pointer: sm.pointerAt(line, column),
      });
    }
    // Only duplicate keys leave a value worth validating: the schema and rules then still report the rest.
    const onlyDuplicates = diagnostics.every(
      (d) => d.severity !== 'error' || d.code === 'yaml.duplicate-key',
    );
    return { file, value: onlyDuplicates ? sm.value() : undefined, diagnostics, locate };
  }
}
