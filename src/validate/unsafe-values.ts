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
  // One shared path, pushed and popped: pointers are built only for the (rare) hits.
  const path: (string | number)[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      if (!UNSAFE.test(v)) return;
      const pointer = joinPointer(path);
      found.push({ pointer, message: `${readablePath(pointer)} contains ${describeUnsafe(v)}, ${TAIL}` });
      return;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        walk(v[i]);
        path.pop();
      }
    } else if (isObj(v)) {
      for (const k in v) {
        path.push(k);
        if (UNSAFE.test(k))
          found.push({
            pointer: joinPointer(path),
            message: `the key ${JSON.stringify(k)} contains ${describeUnsafe(k)}, ${TAIL}`,
          });
        walk(v[k]);
        path.pop();
      }
    }
  };
  walk(value);
  return found;
}
