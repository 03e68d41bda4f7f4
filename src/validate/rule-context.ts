/** What the semantic rules see: the raw document (shape not guaranteed), its steps, the environment. */
import type { SiteCatalog } from '../model/workflow.js';
import type { ImageProbe } from './image-header.js';
import type { Reporter } from './reporter.js';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pure stage's window on the file system and the site catalog. */
export interface ValidateEnv {
  /** Absolute folder of the workflow file: relative paths are resolved against it. */
  dir: string;
  fileExists(absPath: string): boolean;
  /** What this host sees of the image file at absPath: its size and first bytes (probeImage, image-facts.ts). */
  probeImage(absPath: string): ImageProbe;
  /** The site catalog, when one was found. Without one the only site is "local" (the local pool). */
  sites?: SiteCatalog;
}

/** One step as written (a mapping whose shape is not yet guaranteed) and its JSON pointer in the file. */
export interface RawStep {
  pointer: string;
  value: Obj;
}

export interface RuleContext {
  root: Obj;
  vm?: Obj;
  steps: RawStep[];
  /** compute was written as a list. */
  listForm: boolean;
  env: ValidateEnv;
  report: Reporter;
}

export interface Rule {
  code: string;
  /** One line for docs/dsl.md and the tests. */
  summary: string;
  check(ctx: RuleContext): void;
}

/** A step of the list form; its pointer is made only when read (a rule reports), not for every step. */
class ListStep implements RawStep {
  constructor(
    readonly value: Obj,
    private readonly index: number,
  ) {}
  get pointer(): string {
    return `/compute/${this.index}`;
  }
}

export function buildContext(value: unknown, env: ValidateEnv, report: Reporter): RuleContext {
  const root = isObj(value) ? value : {};
  const vm = isObj(root.vm) ? root.vm : undefined;
  const compute = root.compute;
  const listForm = Array.isArray(compute);
  const steps: RawStep[] = [];
  if (Array.isArray(compute)) {
    for (let i = 0; i < compute.length; i++) {
      const s: unknown = compute[i];
      if (isObj(s)) steps.push(new ListStep(s, i));
    }
  } else if (isObj(compute)) {
    steps.push({ pointer: '/compute', value: compute });
  }
  return { root, vm, steps, listForm, env, report };
}
