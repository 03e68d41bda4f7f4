/**
 * A fast reader for the plain shape workflows are written in, used before js-yaml: it builds the same value
 * js-yaml would (same objects, key order and scalars, the scalars resolved by js-yaml's own core-schema
 * types) in a fraction of the time and memory, and declines anything else. It declines (returns undefined)
 * on the first thing outside its subset, so js-yaml still reads, and judges, every other file:
 *
 * - printable ASCII and line feeds only (no tab, CR, BOM, non-ASCII, control character);
 * - a block mapping at the root; block mappings and sequences nested by spaces, `- key: v` compact mappings,
 *   a sequence under a key at the key's own indentation;
 * - plain keys (`[A-Za-z_][A-Za-z0-9_.-]*`, not a null or boolean word, not `__proto__`), each once;
 * - values on the key's or dash's line: plain scalars (not starting with an indicator, no `: `, no trailing
 *   `:`), single- or double-quoted strings (escapes `\\` and `\"` only), and one-line flow sequences and
 *   mappings of such scalars;
 * - comments and blank lines anywhere.
 *
 * No anchors, aliases, tags, directives, document markers, block scalars or multi-line scalars: those go to
 * js-yaml. test/parse/fast-yaml.test.ts checks the value against js-yaml's on every fixture and on edge cases.
 */
import { resolvePlain } from './plain-scalar.js';

/** Declines the file: js-yaml reads it. */
class Decline extends Error {}

const MAX_DEPTH = 20;
const KEY = /[A-Za-z_][A-Za-z0-9_.-]*/y;
/** Anything but printable ASCII and LF. */
const OUTSIDE = /[^\n\x20-\x7e]/;

export function fastYaml(text: string): { value: unknown } | undefined {
  if (OUTSIDE.test(text)) return undefined;
  return fastReader(text).document();
}

/** The fast reader of one text (printable ASCII and LF only: the caller checks). */
export interface FastReader {
  /** The whole text, or undefined when it declines. */
  document(): { value: unknown } | undefined;
  /**
   * The block sequence whose first dash is on the line starting at `from`, read as if the text ended at `to`
   * (a line start), nested as a root key's value is; undefined when it declines. One reader serves every
   * call: no closures made per call (the streaming parse reads a 10,000-step list a batch at a time).
   */
  sequence(from: number, to: number): unknown[] | undefined;
}

export function fastReader(text: string): FastReader {
  let n = text.length;
  // The reader's state, kept in variables rather than returned in objects (no garbage per line or value):
  // pos, the start of the line not yet read; at and indent, the current content line (at -1: none left);
  // end, where the value just read ends; keyEnd, where the key just read ends (after its colon).
  let pos = 0;
  let at = -1;
  let indent = 0;
  let end = 0;
  let keyEnd = 0;

  /** Move to the next line with content (not blank, not only a comment): at and indent, or at = -1. */
  function nextLine(): void {
    while (pos < n) {
      let i = pos;
      while (i < n && text.charCodeAt(i) === 32) i++;
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 10 || c === 35 /* # */) {
        const nl = text.indexOf('\n', i);
        pos = nl < 0 ? n : nl + 1;
        continue;
      }
      at = i;
      indent = i - pos;
      return;
    }
    pos = n;
    at = -1;
  }

  /** The rest of the line from i holds only blanks, then EOL or a comment after a blank; pos moves past it. */
  function endOfLine(i: number): void {
    const start = i;
    while (i < n && text.charCodeAt(i) === 32) i++;
    if (i >= n) {
      pos = n;
      return;
    }
    const c = text.charCodeAt(i);
    if (c === 35 && i > start) {
      const nl = text.indexOf('\n', i);
      pos = nl < 0 ? n : nl + 1;
      return;
    }
    if (c !== 10) throw new Decline();
    pos = i + 1;
  }

  /** A key at i followed by `:` and a blank or EOL: the key (keyEnd after the colon), or undefined. */
  function keyAt(i: number): string | undefined {
    KEY.lastIndex = i;
    if (!KEY.test(text)) return undefined;
    const e = KEY.lastIndex;
    if (text.charCodeAt(e) !== 58 /* : */) return undefined;
    const next = text.charCodeAt(e + 1);
    if (e + 1 < n && next !== 32 && next !== 10) return undefined;
    const slice = text.slice(i, e);
    let key = keys.get(slice);
    if (key === undefined) {
      if (slice === '__proto__' || resolvePlain(slice) !== slice) throw new Decline();
      keys.set(slice, slice);
      key = slice;
    }
    keyEnd = e + 1;
    return key;
  }

  // Each distinct key as one string, used for every object that has it: V8 then finds the property by that
  // string at once (a new string per key and object is looked up afresh each time).
  const keys = new Map<string, string>();

  /**
   * A key seen twice declines (js-yaml reports it). Values are never undefined (an empty one is null), so a
   * defined entry is a duplicate, or an inherited name (`constructor`, `toString`): js-yaml reads those.
   */
  function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
    if (obj[key] !== undefined) throw new Decline();
    obj[key] = value;
  }

  function skipBlanks(i: number): number {
    while (text.charCodeAt(i) === 32) i++;
    return i;
  }

  /** Whether a plain scalar may start so (no indicator; `-` only before a non-blank). */
  function plainStart(s: string): boolean {
    const c = s.charCodeAt(0);
    if (c === 45) return s.length > 1 && s.charCodeAt(1) !== 32;
    return !'?:,[]{}#&*!|>\'"%@`'.includes(s[0] as string);
  }

  /** A single- or double-quoted string on one line, from i at the quote; end after the closing quote. */
  function quoted(i: number): string {
    const q = text.charCodeAt(i);
    let out = '';
    let from = i + 1;
    for (let j = from; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === 10) break;
      if (q === 39 && c === 39) {
        if (text.charCodeAt(j + 1) !== 39) {
          end = j + 1;
          return out + text.slice(from, j);
        }
        out += text.slice(from, j + 1);
        from = ++j + 1;
      } else if (q === 34 && c === 34) {
        end = j + 1;
        return out + text.slice(from, j);
      } else if (q === 34 && c === 92) {
        const e = text.charCodeAt(j + 1);
        if (e !== 92 && e !== 34) throw new Decline();
        out += text.slice(from, j);
        from = ++j;
      }
    }
    throw new Decline();
  }

  /** A scalar in a flow collection, from i; end after it. */
  function flowScalar(i: number): unknown {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) return quoted(i);
    let j = i;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (d === 44 || d === 93 || d === 125 || d === 10) break; // , ] } LF
      // [ { : # " ' start something a plain flow scalar may not hold, here: js-yaml decides.
      if (d === 91 || d === 123 || d === 58 || d === 35 || d === 34 || d === 39) throw new Decline();
    }
    const s = text.slice(i, j).trimEnd();
    if (s === '' || !plainStart(s)) throw new Decline();
    end = j;
    return resolvePlain(s);
  }

  // Items of a flow list gather here and are copied once at their exact length: a list grown by push from
  // empty reserves 17 slots, and the benchmark has 40,000 one-item lists.
  const scratch: unknown[] = [];
  /** A short list copied at its exact length. */
  const exact = (arr: unknown[]): unknown[] => (arr.length < 17 ? arr.slice() : arr);

  /** `[a, "b"]` or `{k: v}` on one line, from i at the bracket; end after the closing bracket. */
  function flow(i: number): unknown {
    const seq = text.charCodeAt(i) === 91;
    const close = seq ? 93 : 125;
    let k = 0;
    const obj: Record<string, unknown> = {};
    i = skipBlanks(i + 1);
    if (text.charCodeAt(i) !== close) {
      for (;;) {
        if (seq) {
          scratch[k++] = flowScalar(i);
        } else {
          const key = keyAt(i);
          if (key === undefined || text.charCodeAt(keyEnd) !== 32) throw new Decline();
          setKey(obj, key, flowScalar(skipBlanks(keyEnd)));
        }
        i = skipBlanks(end);
        const c = text.charCodeAt(i);
        if (c === close) break;
        if (c !== 44) throw new Decline();
        i = skipBlanks(i + 1);
        if (text.charCodeAt(i) === close) throw new Decline(); // a trailing comma
      }
    }
    end = i + 1;
    return seq ? scratch.slice(0, k) : obj;
  }

  /** The value written on the line at i (after `key: ` or `- `); pos moves past the line. */
  function inline(i: number): unknown {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      const v = flow(i);
      endOfLine(end);
      return v;
    }
    if (c === 34 || c === 39) {
      const v = quoted(i);
      endOfLine(end);
      return v;
    }
    let nl = text.indexOf('\n', i);
    if (nl < 0) nl = n;
    // A comment starts at ` #`; search this line only.
    let e = i;
    while (e < nl && !(text.charCodeAt(e) === 35 && text.charCodeAt(e - 1) === 32)) e++;
    const s = text.slice(i, e).trimEnd();
    if (!plainStart(s) || s.includes(': ') || s.endsWith(':')) throw new Decline();
    pos = nl < n ? nl + 1 : n;
    return resolvePlain(s);
  }

  /** After an inline value in a block at column `col`: the next line must not be more indented. */
  function noContinuation(col: number): void {
    nextLine();
    if (at >= 0 && indent > col) throw new Decline();
  }

  function isDash(i: number): boolean {
    if (text.charCodeAt(i) !== 45) return false;
    const c = text.charCodeAt(i + 1);
    return i + 1 >= n || c === 32 || c === 10;
  }

  /** The value of a key or dash with nothing after it: a nested block, a same-indent sequence, or null. */
  function blockValue(col: number, allowSameIndentSeq: boolean): unknown {
    nextLine();
    if (at >= 0 && indent > col) return block();
    if (at >= 0 && allowSameIndentSeq && indent === col && isDash(at)) return block();
    return null;
  }

  /** Nesting depth: a workflow needs a few levels; deep files go to js-yaml (it limits nesting to 100). */
  let depth = 0;

  /** The block (mapping or sequence) starting at the current line. */
  function block(): unknown {
    if (++depth > MAX_DEPTH) throw new Decline();
    const r = isDash(at) ? sequence() : mapping(at, indent);
    depth--;
    return r;
  }

  /** A block mapping whose first key is at offset first, its keys at column col. */
  function mapping(first: number, col: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    let i = first;
    for (;;) {
      const key = keyAt(i);
      if (key === undefined) throw new Decline();
      const after = keyEnd;
      const v = skipBlanks(after);
      const c = text.charCodeAt(v);
      if (v >= n || c === 10 || (c === 35 && v > after)) {
        endOfLine(after);
        setKey(obj, key, blockValue(col, true));
      } else {
        setKey(obj, key, inline(v));
        noContinuation(col);
      }
      if (at < 0 || indent < col) return obj;
      if (indent > col || isDash(at)) throw new Decline();
      i = at;
    }
  }

  /** A block sequence whose dashes are at the current line's column. */
  function sequence(): unknown[] {
    const col = indent;
    const arr: unknown[] = [];
    for (;;) {
      const dash = at;
      const i = skipBlanks(dash + 1);
      const c = text.charCodeAt(i);
      if (i >= n || c === 10 || (c === 35 && i > dash + 1)) {
        endOfLine(dash + 1);
        arr.push(blockValue(col, false));
      } else if (isDash(i)) {
        throw new Decline();
      } else if (keyAt(i) !== undefined) {
        // `- key: v`: a mapping whose keys sit at this column.
        if (++depth > MAX_DEPTH) throw new Decline();
        arr.push(mapping(i, col + (i - dash)));
        depth--;
      } else {
        arr.push(inline(i));
        noContinuation(col);
      }
      if (at < 0 || indent < col) return exact(arr);
      if (indent > col) throw new Decline();
      if (!isDash(at)) return exact(arr);
    }
  }

  return {
    document() {
      pos = 0;
      depth = 0;
      try {
        nextLine();
        if (at < 0 || indent !== 0 || isDash(at)) return undefined;
        const value = mapping(at, 0);
        if (at >= 0) return undefined;
        return { value };
      } catch (e) {
        if (e instanceof Decline) return undefined;
        throw e;
      }
    },
    sequence(from, to) {
      pos = from;
      n = to;
      depth = 0;
      try {
        nextLine();
        if (at < 0 || !isDash(at)) return undefined;
        const value = block();
        return at < 0 && Array.isArray(value) ? value : undefined;
      } catch (e) {
        if (e instanceof Decline) return undefined;
        throw e;
      } finally {
        n = text.length;
      }
    },
  };
}
