/**
 * Positions of a YAML document, from the `yaml` package's parseDocument + LineCounter: YAML problems as
 * diagnostics, JSON pointer → line:column, and line:column → JSON pointer.
 */
import { createRequire } from 'node:module';
import type { Node, Pair, YAMLMap } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.js';

/**
 * The `yaml` package, loaded on first use (synchronously, its CommonJS build): a valid workflow needs no
 * positions, and loading the package costs ~25 ms and ~5 MiB at every start.
 */
let lib: typeof import('yaml') | undefined;
function yamlLib(): typeof import('yaml') {
  lib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return lib;
}

export interface YamlSourceMap {
  diagnostics: Diagnostic[];
  locate(pointer: string, mode: 'value' | 'key'): { line: number; column: number };
  pointerAt(line: number, column: number): string;
  /** The document's value as the `yaml` package reads it (used when js-yaml refused it). */
  value(): unknown;
}

/** `/a/b~1c` → ['a', 'b/c']; '' → []. */
export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function joinPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function keyText(key: unknown): string | undefined {
  if (yamlLib().isScalar(key)) return String(key.value);
  return undefined;
}

function isEmptyScalar(node: unknown): boolean {
  return yamlLib().isScalar(node) && node.value === null && (node.source === '' || node.source === undefined);
}

/** The `yaml` package's messages that speak of its API or the engine, said in the user's terms. */
const YAML_MESSAGES: Partial<Record<string, string>> = {
  MULTIPLE_DOCS:
    'the file holds more than one YAML document (a second "---", or text after "..."); a workflow or site catalog is one document',
  RESOURCE_EXHAUSTION: 'the document nests too deeply to be read (a workflow needs only a few levels)',
};

/**
 * The item of `items` (in document order, their ranges one after another) whose range holds `offset`, by
 * bisection; -1 when none does.
 */
function itemAt<T>(items: readonly T[], range: (item: T) => [number, number], offset: number): number {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = range(items[mid] as T);
    if (offset < start) hi = mid - 1;
    else if (offset >= Math.max(end, start + 1)) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function yamlSourceMap(text: string, file: string): YamlSourceMap {
  const { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } = yamlLib();
  const lineCounter = new LineCounter();
  // Duplicate keys are found below, once per mapping: the package's own check (uniqueKeys) compares each key
  // with every earlier one, quadratic in a mapping's size (32,000 keys: seconds).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: false });
  const duplicates: Array<{ pos: [number, number]; code: string; message: string }> = [];
  visit(doc, {
    Map(_, map) {
      // The package's equality: the same scalar value (===, so 1 and "1" differ, and NaN is never equal).
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = pair.key;
        if (!isScalar(key) || Number.isNaN(key.value) || !key.range) continue;
        if (seen.has(key.value)) {
          duplicates.push({
            pos: [key.range[0], key.range[0] + 1],
            code: 'DUPLICATE_KEY',
            message: 'Map keys must be unique',
          });
        } else seen.add(key.value);
      }
    },
  });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: p.line, column: p.col };
  };

  function pointerAtOffset(offset: number): string {
    const path: (string | number)[] = [];
    let node: unknown = doc.contents;
    for (;;) {
      if (isMap(node)) {
        const pair =
          node.items[
            itemAt(
              node.items,
              (p) => {
                const k = p.key as Node | null;
                const v = p.value as Node | null;
                return [k?.range?.[0] ?? v?.range?.[0] ?? -1, v?.range?.[2] ?? k?.range?.[2] ?? -1];
              },
              offset,
            )
          ];
        const k = keyText(pair?.key);
        if (!pair || k === undefined) break;
        path.push(k);
        const keyRange = (pair.key as Node | null)?.range;
        if (keyRange && offset < keyRange[2]) break;
        node = pair.value;
      } else if (isSeq(node)) {
        const i = itemAt(
          node.items,
          (item) => {
            const r = (item as Node | null)?.range;
            return r ? [r[0], r[2]] : [-1, -1];
          },
          offset,
        );
        if (i < 0) break;
        path.push(i);
        node = node.items[i];
      } else break;
    }
    return joinPointer(path);
  }

  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const [severity, list] of [
    ['error', [...doc.errors, ...duplicates]],
    ['warning', doc.warnings],
  ] as const) {
    for (const e of list) {
      const p = pos(e.pos[0]);
      const code = `yaml.${e.code.toLowerCase().replace(/_/g, '-')}`;
      // An unclosed bracket 10,000 deep reports the same error at the same place 10,000 times: once is enough.
      const key = `${p.line}:${p.column}:${code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      diagnostics.push({
        severity,
        code,
        message: YAML_MESSAGES[e.code] ?? e.message.split('\n')[0] ?? e.message,
        file,
        line: p.line,
        column: p.column,
        pointer: pointerAtOffset(e.pos[0]),
      });
    }
  }

  // Each mapping's pairs by key text (the first pair of a key, as a search from the start finds), made when a
  // pointer first goes through the mapping: locating every one of n keys is linear, not quadratic.
  const byKey = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, seg: string): Pair | undefined => {
    let index = byKey.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        const k = isPair(p) ? keyText(p.key) : undefined;
        if (k !== undefined && !index.has(k)) index.set(k, p);
      }
      byKey.set(map, index);
    }
    return index.get(seg);
  };

  function locate(pointer: string, mode: 'value' | 'key') {
    let node: unknown = doc.contents;
    let key: Node | null = null;
    let reached = true;
    for (const seg of splitPointer(pointer)) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = pairOf(node, seg);
        if (!pair) {
          reached = false;
          break;
        }
        key = pair.key as Node | null;
        node = pair.value;
      } else if (isSeq(node) && /^(0|[1-9][0-9]*)$/.test(seg) && Number(seg) < node.items.length) {
        key = null;
        node = node.items[Number(seg)];
      } else {
        reached = false;
        break;
      }
    }
    // The key names the node: for `key` mode, for an empty value, and for the nearest existing ancestor.
    const preferKey = mode === 'key' || !reached || node === null || isEmptyScalar(node);
    if (preferKey && key?.range) return pos(key.range[0]);
    const range = (node as Node | null)?.range;
    if (range) return pos(range[0]);
    if (key?.range) return pos(key.range[0]);
    return { line: 1, column: 1 };
  }

  return {
    diagnostics,
    locate,
    pointerAt(line, column) {
      const start = lineCounter.lineStarts[line - 1] ?? text.length;
      return pointerAtOffset(start + column - 1);
    },
    value() {
      try {
        return doc.toJS({ maxAliasCount: 100 }) ?? null;
      } catch {
        return undefined;
      }
    },
  };
}
