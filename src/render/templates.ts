/**
 * The one Handlebars environment of vmdag: strict (a missing field throws), no HTML escaping, the quoting
 * helpers of quote.ts registered by name. The templates (templates/*.hbs) are precompiled at build time by
 * scripts/build-templates.mjs into generated/templates.ts, so only `handlebars/runtime` is loaded here
 * (not the compiler); test/render/generated-templates.test.ts keeps the two in step.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type HandlebarsNs from 'handlebars';
import runtime from 'handlebars/runtime.js';
import { eachBodies, templateSpecs } from './generated/templates.js';
import {
  commentText,
  dagFileName,
  dagNodeName,
  submitArguments,
  submitClassAdString,
  submitFileList,
  submitValue,
} from './quote.js';

const Handlebars = runtime as unknown as typeof HandlebarsNs;

/** The package's templates folder (from src/render or dist/render alike). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export const TEMPLATE_NAMES = [
  'dag',
  'dagman.config',
  'vms.sub',
  'gate.sub',
  'compute.sub',
  'stop.sub',
  'reap.sub',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Helper scripts copied verbatim into every run directory that needs them. */
export const SCRIPT_NAMES = [
  'vmdag-mpi.sh',
  'vmdag-gate.sh',
  'vmdag-stop.sh',
  'vmdag-collect.sh',
  'vmdag-reap.sh',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface Templates {
  render(name: TemplateName, view: object): string;
  /**
   * The same text as render(name, view), in pieces made on demand: the `{{#each}}` blocks over the given
   * lists (arrays of the view, by identity) are rendered `batch` items at a time while the pieces are
   * iterated, so the whole text is never one string. Everything outside those blocks (where helpers may
   * refuse a value) is rendered now; each block's items must already be safe to render.
   */
  pieces(name: TemplateName, view: object, lists: readonly unknown[][], batch?: number): Iterable<string>;
  /**
   * The text of render(name, view) around its `{{#each}}` blocks over the given lists (arrays of the view,
   * by identity), rendered now: `texts` (one more than `blocks`), and each block in text order, with its
   * list and the renderer of its body over any items (Handlebars' own `each`).
   */
  split(name: TemplateName, view: object, lists: readonly unknown[][]): SplitTemplate;
  script(name: ScriptName): string;
}

export interface SplitTemplate {
  texts: string[];
  blocks: Array<{ list: unknown[]; render(items: unknown[]): string }>;
}

type HelperFn = (this: unknown, context: unknown, options: unknown) => string;

/** The `{{#each}}` calls deferred by pieces(): set only while its frame is rendered (synchronously). */
let deferring:
  | {
      lists: readonly unknown[][];
      calls: Array<{ self: unknown; list: unknown[]; options: unknown }>;
      tag: string;
    }
  | undefined;

let cached: Templates | undefined;

/** The options of a block body's call: none (read only by Handlebars). */
const NO_OPTIONS = Object.freeze({});

/**
 * The only helpers templates may call: the build declares them to the compiler (knownHelpersOnly), so
 * Handlebars calls them directly and rejects any other. Must match scripts/build-templates.mjs.
 */
export const KNOWN_HELPERS = [
  'submitArgs',
  'submitValue',
  'classAdString',
  'fileList',
  'nodeName',
  'dagFile',
  'comment',
] as const;

function makeEnvironment(): { hb: typeof Handlebars; each: HelperFn } {
  const hb = Handlebars.create();
  hb.registerHelper('submitArgs', (args: string[]) => submitArguments(args));
  hb.registerHelper('submitValue', (v: string) => submitValue(v));
  hb.registerHelper('classAdString', (v: string) => submitClassAdString(v));
  hb.registerHelper('fileList', (files: string[]) => submitFileList(files));
  hb.registerHelper('nodeName', (v: string) => dagNodeName(v));
  hb.registerHelper('dagFile', (v: string) => dagFileName(v));
  hb.registerHelper('comment', (v: string) => commentText(v));
  // `each` as Handlebars has it, except over a list pieces() defers: a marker stands for the block.
  const each = hb.helpers.each as HelperFn;
  hb.registerHelper('each', function (this: unknown, context: unknown, options: unknown) {
    const d = deferring;
    if (d === undefined || !Array.isArray(context) || !d.lists.includes(context)) {
      return each.call(this, context, options);
    }
    d.calls.push({ self: this, list: context, options });
    return `${d.tag}${d.calls.length - 1}${d.tag}`;
  });
  return { hb, each };
}

/** A block's place in its template (Handlebars gives it to block helpers as `options.loc`). */
type Loc = { start: { line: number; column: number } };

const bodies = eachBodies as Partial<Record<TemplateName, Record<string, (item: unknown) => string>>>;

/** The build's plain function for the `{{#each}}` block at `loc` of template `name`, if it made one. */
export function bodyAt(name: TemplateName, loc: Loc | undefined): ((item: unknown) => string) | undefined {
  return loc ? bodies[name]?.[`${loc.start.line}:${loc.start.column}`] : undefined;
}

/** The templates, ready once per process; helper scripts read from the package's templates/scripts. */
export function loadTemplates(): Templates {
  if (cached) return cached;
  const { hb, each } = makeEnvironment();
  const specs = templateSpecs as unknown as Record<TemplateName, TemplateSpecification>;
  const compiled = new Map<TemplateName, HandlebarsTemplateDelegate>();
  for (const name of TEMPLATE_NAMES) compiled.set(name, hb.template(specs[name]));
  const scripts = new Map<ScriptName, string>();
  for (const name of SCRIPT_NAMES) scripts.set(name, readFileSync(`${TEMPLATES_DIR}scripts/${name}`, 'utf8'));
  cached = {
    render(name, view) {
      const t = compiled.get(name);
      if (!t) throw new Error(`no template ${name}`);
      return t(view);
    },
    pieces(name, view, lists, batch = 256) {
      const { texts, blocks } = this.split(name, view, lists);
      return {
        *[Symbol.iterator]() {
          for (let i = 0; i < texts.length; i++) {
            if (texts[i] !== '') yield texts[i] as string;
            const block = blocks[i];
            if (!block) continue;
            for (let at = 0; at < block.list.length; at += batch) {
              const text = block.render(block.list.slice(at, at + batch));
              if (text !== '') yield text;
            }
          }
        },
      };
    },
    split(name, view, lists) {
      const t = compiled.get(name);
      if (!t) throw new Error(`no template ${name}`);
      // A marker no template text or value holds (NUL never passes validation; the tag is random).
      const tag = `\u0000vmdag-each-${Math.random().toString(36).slice(2)}\u0000`;
      const d: NonNullable<typeof deferring> = { lists, calls: [], tag };
      deferring = d;
      let frame: string;
      try {
        frame = t(view);
      } finally {
        deferring = undefined;
      }
      // parts: text, call index, text, call index, …, text
      const parts = frame.split(tag);
      const texts: string[] = [];
      const blocks: SplitTemplate['blocks'] = [];
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string;
        if (i % 2 === 0) {
          texts.push(part);
          continue;
        }
        const call = d.calls[Number(part)];
        if (!call) throw new Error(`no deferred block ${part}`);
        // The block's body over each item, as `each` renders it: the templates are compiled without @data
        // (data: false) and use no block parameters, so an item's text is the body's over the item alone.
        // (An options object given, shared: Handlebars makes a new {} per call without one.) A body the
        // build compiled to a plain function (text, fields, `if`: scripts/build-templates.mjs) runs as that.
        const options = call.options as { fn: (item: unknown, options: object) => string; loc?: Loc };
        const compiled = bodyAt(name, options.loc);
        const body = compiled ?? ((item: unknown) => options.fn(item, NO_OPTIONS));
        const render = (items: unknown[]): string => {
          if (items.length === 0) return each.call(call.self, items, call.options);
          let text = '';
          for (let k = 0; k < items.length; k++) text += body(items[k]);
          return text;
        };
        blocks.push({ list: call.list, render });
      }
      return { texts, blocks };
    },
    script(name) {
      const s = scripts.get(name);
      if (s === undefined) throw new Error(`no script ${name}`);
      return s;
    },
  };
  return cached;
}
