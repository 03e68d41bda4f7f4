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
import { templateSpecs } from './generated/templates.js';
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
  'dag-node',
  'dag-tail',
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
  script(name: ScriptName): string;
}

let cached: Templates | undefined;

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

function makeEnvironment(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('submitArgs', (args: string[]) => submitArguments(args));
  hb.registerHelper('submitValue', (v: string) => submitValue(v));
  hb.registerHelper('classAdString', (v: string) => submitClassAdString(v));
  hb.registerHelper('fileList', (files: string[]) => submitFileList(files));
  hb.registerHelper('nodeName', (v: string) => dagNodeName(v));
  hb.registerHelper('dagFile', (v: string) => dagFileName(v));
  hb.registerHelper('comment', (v: string) => commentText(v));
  return hb;
}

/** The templates, ready once per process; helper scripts read from the package's templates/scripts. */
export function loadTemplates(): Templates {
  if (cached) return cached;
  const hb = makeEnvironment();
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
    script(name) {
      const s = scripts.get(name);
      if (s === undefined) throw new Error(`no script ${name}`);
      return s;
    },
  };
  return cached;
}
