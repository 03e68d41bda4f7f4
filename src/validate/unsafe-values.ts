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

/**
 * A UTF-16 surrogate without its pair (YAML's "\ud800" escape makes one): not a character, so UTF-8 has no
 * bytes for it and a writer would put U+FFFD in its place — the generated files would not say what plan.json
 * says.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function loneSurrogate(s: string): string | undefined {
  const m = LONE_SURROGATE.exec(s);
  if (!m) return undefined;
  const hex = m[0].charCodeAt(0).toString(16).toUpperCase();
  return `a lone UTF-16 surrogate (U+${hex}), which is not a character and cannot be written as UTF-8`;
}

export interface UnsafeString {
  pointer: string;
  code: 'unsafe.control-char' | 'unsafe.lone-surrogate';
  message: string;
}

/** Every string value (and mapping key) with an unsafe character: its pointer, code and message. */
export function findUnsafeStrings(value: unknown): UnsafeString[] {
  const found: UnsafeString[] = [];
  const seen = new Set<object>();
  // One shared path, pushed and popped: pointers are built only for the (rare) hits.
  const path: (string | number)[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      if (UNSAFE.test(v)) {
        const pointer = joinPointer(path);
        const message = `${readablePath(pointer)} contains ${describeUnsafe(v)}, ${TAIL}`;
        found.push({ pointer, code: 'unsafe.control-char', message });
      } else if (LONE_SURROGATE.test(v)) {
        const pointer = joinPointer(path);
        const message = `${readablePath(pointer)} holds ${loneSurrogate(v)}`;
        found.push({ pointer, code: 'unsafe.lone-surrogate', message });
      }
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
            code: 'unsafe.control-char',
            message: `the key ${JSON.stringify(k)} contains ${describeUnsafe(k)}, ${TAIL}`,
          });
        else if (LONE_SURROGATE.test(k))
          found.push({
            pointer: joinPointer(path),
            code: 'unsafe.lone-surrogate',
            message: `the key ${JSON.stringify(k)} holds ${loneSurrogate(k)}`,
          });
        walk(v[k]);
        path.pop();
      }
    }
  };
  walk(value);
  return found;
}
