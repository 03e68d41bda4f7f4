/** What several rules of rules.ts share: reading values of the raw document, and where a reported one is. */
import { posix } from 'node:path';
import { isObj, type RawStep, type RuleContext } from './rule-context.js';

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

export function escapes(p: string): boolean {
  const n = posix.normalize(p);
  return n === '..' || n.startsWith('../');
}

/** A path's verdict computed once per distinct path (10,000 steps name the same few files). */
export function memo<T>(fn: (p: string) => T): (p: string) => T {
  const seen = new Map<string, T>();
  return (p) => {
    let r = seen.get(p);
    if (r === undefined && !seen.has(p)) {
      r = fn(p);
      seen.set(p, r);
    }
    return r as T;
  };
}

/**
 * The pointer of a step's value (`key`, and its item `index` unless < 0), or without a step the local
 * image's path: built only for a report (no closure or string per step otherwise).
 */
export function at(step: RawStep | undefined, key: string, index: number): string {
  if (!step) return '/vm/image/path';
  return index < 0 ? `${step.pointer}/${key}` : `${step.pointer}/${key}/${index}`;
}

export type FileVisitor = (
  path: string,
  what: string,
  step: RawStep | undefined,
  key: string,
  index: number,
) => void;

/** Each string item of a step's list value with its index (others skipped: the schema reports them). */
export function eachItem(
  step: RawStep,
  key: string,
  fn: (value: string, step: RawStep, key: string, index: number) => void,
) {
  const list = step.value[key];
  if (!Array.isArray(list)) return;
  for (let k = 0; k < list.length; k++) {
    const v: unknown = list[k];
    if (typeof v === 'string') fn(v, step, key, k);
  }
}

/**
 * Files on the submit host that the workflow names: relative executables, inputs, a local image. Calls fn
 * with each one's path and where it is (see at()).
 */
export function eachLocalFile(ctx: RuleContext, fn: FileVisitor): void {
  const image = isObj(ctx.vm?.image) ? ctx.vm.image : undefined;
  if (image && typeof image.path === 'string' && image.path !== '' && image.location === 'local')
    fn(image.path, 'image', undefined, 'path', -1);
  for (let s = 0; s < ctx.steps.length; s++) {
    const step = ctx.steps[s] as RawStep;
    const exe = step.value.executable;
    if (typeof exe === 'string' && exe !== '' && !posix.isAbsolute(exe))
      fn(exe, 'executable', step, 'executable', -1);
    eachItem(step, 'inputs', (input, st, key, k) => {
      if (input !== '') fn(input, 'input', st, key, k);
    });
  }
}

export function stepName(ctx: RuleContext, i: number): string | undefined {
  const n = ctx.steps[i]?.value.name;
  return typeof n === 'string' ? n : undefined;
}
