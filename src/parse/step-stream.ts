/**
 * parse, one compute step at a time: a workflow whose `compute` is a block sequence and its last root key is
 * read as its other root keys (the head) and its steps, each step's value made only when it is reached, so
 * that a 10,000-step file is never one value in memory. Each part is read by fast-yaml.ts, and the result
 * is exactly the value it (and js-yaml) gives for the whole file: the head is the text before `compute:`,
 * each step the lines of its `-` item. Anything else — compute written otherwise, a root key after it, a
 * line the fast reader declines — is not streamable: undefined, or an iteration that throws
 * NotStreamable, and the caller reads the whole file instead.
 */
import { fastReader, fastYaml } from './fast-yaml.js';

/** The file leaves the streamable shape at this point (the caller then reads the whole file). */
export class NotStreamable extends Error {}

export interface StepStream {
  /** The root keys before `compute`, in order (a plain value, as the whole file's). */
  head: Record<string, unknown>;
  /** The compute steps' values, in batches of up to `size` steps, each read as it is reached. */
  batches(size: number): Iterable<unknown[]>;
}

/** Anything but printable ASCII and LF: the fast reader declines it. */
const OUTSIDE = /[^\n\x20-\x7e]/;
/** The `compute:` line at the root: the key alone, maybe a comment. */
const COMPUTE_LINE = /^compute:[ ]*(?:[ ]#.*)?$/;

export function streamSteps(text: string): StepStream | undefined {
  if (OUTSIDE.test(text)) return undefined;
  const at = text.startsWith('compute:') ? 0 : text.indexOf('\ncompute:') + 1;
  if (at <= 0 && !text.startsWith('compute:')) return undefined;
  const lineEnd = text.indexOf('\n', at);
  if (lineEnd < 0 || !COMPUTE_LINE.test(text.slice(at, lineEnd))) return undefined;
  const parsed = at === 0 ? { value: {} } : fastYaml(text.slice(0, at));
  const head = parsed?.value as Record<string, unknown> | undefined;
  if (!head || typeof head !== 'object' || Array.isArray(head) || head.compute !== undefined)
    return undefined;
  // The first content line after `compute:` must be a dash: its column is the sequence's.
  let pos = lineEnd + 1;
  const n = text.length;
  /** The next line with content from pos: its start, its indent (pos moves past blanks and comments). */
  const nextContent = (): number => {
    while (pos < n) {
      let i = pos;
      while (i < n && text.charCodeAt(i) === 32) i++;
      const c = text.charCodeAt(i);
      if (i >= n) break;
      if (c !== 10 && c !== 35) return i;
      const nl = text.indexOf('\n', i);
      pos = nl < 0 ? n : nl + 1;
    }
    pos = n;
    return -1;
  };
  const isDash = (i: number): boolean => {
    if (text.charCodeAt(i) !== 45) return false;
    const c = text.charCodeAt(i + 1);
    return i + 1 >= n || c === 32 || c === 10;
  };
  const first = nextContent();
  if (first < 0 || !isDash(first)) return undefined;
  const col = first - pos;
  const start = pos;
  const reader = fastReader(text);
  // Each step starts on a line of exactly `col` blanks and a dash followed by a blank or the line's end; no
  // other line can look so (deeper lines have more blanks; a dash at `col` not followed by a blank is not
  // an item, and the fast reader has no multi-line scalars). Those lines are found with indexOf; whether
  // the text between them is a well-formed sequence is the fast reader's to say: a batch it reads short
  // (a line less indented, another root key) or declines is not streamable.
  const pad = ' '.repeat(col);
  const item = `\n${pad}- `;
  const bare = `\n${pad}-\n`;
  // The next match of each form at or after the last offset asked (offsets only grow: each form is searched
  // once through the text, not once per step).
  let nextA = -2;
  let nextB = -2;
  /** The '\n' before the next item line at or after offset i, or -1. */
  const nextItem = (i: number): number => {
    if (nextA !== -1 && nextA < i) nextA = text.indexOf(item, i);
    if (nextB !== -1 && nextB < i) nextB = text.indexOf(bare, i);
    return nextA < 0 ? nextB : nextB < 0 || nextA < nextB ? nextA : nextB;
  };
  return {
    head,
    *batches(size) {
      let from = start;
      nextA = -2;
      nextB = -2;
      for (;;) {
        let count = 1;
        let k = nextItem(from);
        while (k >= 0 && count < size) {
          count++;
          k = nextItem(k + 1);
        }
        const end = k < 0 ? n : k + 1;
        const batch = reader.sequence(from, end);
        if (batch?.length !== count) throw new NotStreamable();
        yield batch;
        if (k < 0) return;
        from = end;
      }
    },
  };
}
