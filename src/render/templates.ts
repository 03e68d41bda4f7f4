/**
 * The one Handlebars environment of vmdag: strict (a missing field throws), no HTML escaping, the quoting
 * helpers of quote.ts registered by name. Templates are read from the package's `templates/` folder once
 * and compiled once per process.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import {
  commentText,
  dagFileName,
  dagNodeName,
  submitArguments,
  submitClassAdString,
  submitFileList,
  submitValue,
} from './quote.js';

/** The package's templates folder (from src/render or dist/render alike). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export const TEMPLATE_NAMES = [
  'dag',
  'dagman.config',
  'vms.sub',
  'gate.sub',
  'compute.sub',
  'stop.sub',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Helper scripts copied verbatim into every run directory that needs them. */
export const SCRIPT_NAMES = ['vmdag-mpi.sh', 'vmdag-gate.sh', 'vmdag-stop.sh', 'vmdag-collect.sh'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface Templates {
  render(name: TemplateName, view: object): string;
  script(name: ScriptName): string;
}

let cached: Templates | undefined;

/** The only helpers templates may call: declared so Handlebars calls them directly (and rejects others). */
const KNOWN = {
  submitArgs: true,
  submitValue: true,
  classAdString: true,
  fileList: true,
  nodeName: true,
  dagFile: true,
  comment: true,
} as const;

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

/** Load and compile every template once (per process, or per folder for tests). */
export function loadTemplates(dir: string = TEMPLATES_DIR): Templates {
  if (cached && dir === TEMPLATES_DIR) return cached;
  const hb = makeEnvironment();
  const compiled = new Map<TemplateName, HandlebarsTemplateDelegate>();
  for (const name of TEMPLATE_NAMES) {
    const text = readFileSync(`${dir}${name}.hbs`, 'utf8');
    compiled.set(
      name,
      hb.compile(text, {
        strict: true,
        noEscape: true,
        data: false,
        knownHelpers: KNOWN,
        knownHelpersOnly: true,
      }),
    );
  }
  const scripts = new Map<ScriptName, string>();
  for (const name of SCRIPT_NAMES) scripts.set(name, readFileSync(`${dir}scripts/${name}`, 'utf8'));
  const templates: Templates = {
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
  if (dir === TEMPLATES_DIR) cached = templates;
  return templates;
}
