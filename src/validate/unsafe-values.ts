/**
 * Values that cannot be written safely into a submit or DAG file: a line break would start a new submit
 * command or DAG line, NUL ends a C string, other control characters corrupt the file. Checked on every
 * string (and key) of the document, so the renderer never sees one.
 */
import { joinPointer } from '../parse/yaml-source-map.js';
import { readablePath } from './reporter.js';
import { isObj } from './rule-context.js';

// C0 controls, DEL, C1 NEL and the Unicode line/paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;

const names: Record<string, string> = {
  '\n': 'a line break (\\n)',
  '\r': 'a carriage return (\\r)',
  '\u0000': 'a NUL character',
  '\t': 'a tab',
};

export function describeUnsafe(s: string): string | undefined {
  const m = UNSAFE.exec(s);
  if (!m) return undefined;
  const c = m[0];
  return names[c] ?? `the control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

const TAIL = 'which cannot be written into a submit or DAG file';

/** Every string value (and mapping key) with an unsafe character: its pointer and the message. */
export function findUnsafeStrings(value: unknown): { pointer: string; message: string }[] {
  const found: { pointer: string; message: string }[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: (string | number)[]) => {
    if (typeof v === 'string') {
      const why = describeUnsafe(v);
      if (why)
        found.push({
          pointer: joinPointer(path),
          message: `${readablePath(joinPointer(path))} contains ${why}, ${TAIL}`,
        });
      return;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    } else if (isObj(v)) {
      for (const [k, item] of Object.entries(v)) {
        const why = describeUnsafe(k);
        if (why)
          found.push({
            pointer: joinPointer([...path, k]),
            message: `the key ${JSON.stringify(k)} contains ${why}, ${TAIL}`,
          });
        walk(item, [...path, k]);
      }
    }
  };
  walk(value, []);
  return found;
}
