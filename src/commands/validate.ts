/**
 * `vmdag validate FILE… [--json] [--sites FILE]`: schema + rules for each workflow file, every problem at
 * once (design.md §2–§3). Exit 0 valid, 1 invalid, 2 usage. Also exports the file-reading front end that
 * `compile` shares: site catalog discovery, read, parse, validate.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { SiteCatalog, Workflow } from '../model/workflow.js';
import { decodeText } from '../parse/decode-text.js';
import { parseYaml } from '../parse/parse-yaml.js';
import { findSitesFile } from '../validate/find-sites.js';
import { validateSites } from '../validate/validate-sites.js';
import { validateWorkflow } from '../validate/validate-workflow.js';
import { diagnosticsJson, formatDiagnosticsText } from './format-diagnostics.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

export interface FrontEndIo {
  cwd: string;
  env: Record<string, string | undefined>;
}

function isFile(absPath: string): boolean {
  try {
    return statSync(absPath).isFile();
  } catch {
    return false;
  }
}

function unreadable(file: string, code: string, message: string): Diagnostic {
  return { severity: 'error', code, message, file, line: 1, column: 1, pointer: '' };
}

/** Read an input file as UTF-8 text; unreadable or not UTF-8 → a diagnostic. */
export function readText(file: string, absPath: string): { text?: string; diagnostic?: Diagnostic } {
  try {
    return decodeText(readFileSync(absPath), file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a folder' : err.message;
    return { diagnostic: unreadable(file, 'file.unreadable', `cannot read ${file}: ${why}`) };
  }
}

/** The site catalog by design.md §1's discovery, validated. `undefined` catalog: none found or invalid. */
export function loadSites(
  flag: string | undefined,
  io: FrontEndIo,
): { catalog?: SiteCatalog; found: boolean; diagnostics: Diagnostic[] } {
  const src = findSitesFile({ flag, env: io.env, cwd: io.cwd, fileExists: existsSync });
  if (!src) return { found: false, diagnostics: [] };
  const read = readText(src.file, src.absPath);
  if (read.diagnostic) return { found: true, diagnostics: [read.diagnostic] };
  const doc = parseYaml(read.text as string, src.file);
  return { found: true, ...validateSites(doc, { dir: dirname(src.absPath) }) };
}

/** Read, parse and validate one workflow file against a catalog (from loadSites). */
export function loadWorkflow(
  file: string,
  sites: { catalog?: SiteCatalog; found: boolean },
  io: FrontEndIo,
): { workflow?: Workflow; diagnostics: Diagnostic[] } {
  const absPath = resolve(io.cwd, file);
  const read = readText(file, absPath);
  if (read.diagnostic) return { diagnostics: [read.diagnostic] };
  const doc = parseYaml(read.text as string, file);
  const env = {
    dir: dirname(absPath),
    fileExists: isFile,
    ...(sites.catalog ? { sites: sites.catalog } : {}),
  };
  const result = validateWorkflow(doc, env);
  // A catalog that exists but is invalid has its own diagnostics; don't also claim there is none.
  if (sites.found && !sites.catalog)
    result.diagnostics = result.diagnostics.filter((d) => d.code !== 'rule.unknown-site');
  return result;
}

export async function runValidate(
  files: string[],
  opts: Record<string, unknown>,
  out: Output,
  io: FrontEndIo,
): Promise<number> {
  if (files.length === 0) {
    out.err('vmdag validate: no workflow file given\nusage: vmdag validate FILE… [--json] [--sites FILE]\n');
    return ExitCode.usage;
  }
  const sites = loadSites(typeof opts.sites === 'string' ? opts.sites : undefined, io);
  const diagnostics = [...sites.diagnostics];
  const valid: string[] = [];
  for (const file of files) {
    const r = loadWorkflow(file, sites, io);
    diagnostics.push(...r.diagnostics);
    if (r.workflow) valid.push(file);
  }
  const json = diagnosticsJson(diagnostics);
  if (opts.json) out.out(`${JSON.stringify(json, null, 2)}\n`);
  else {
    out.err(formatDiagnosticsText(diagnostics));
    for (const file of valid) out.err(`${file}: valid\n`);
  }
  return json.ok ? ExitCode.ok : ExitCode.invalid;
}

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'check workflow files against the schema and the rules; print every problem with its line:column',
  configure(cmd) {
    cmd
      .argument('[files...]', 'workflow files (YAML)')
      .option('--sites <file>', 'site catalog (default: $VMDAG_SITES, else ./sites.yaml when present)')
      .addHelpText(
        'after',
        '\nExit status: 0 valid, 1 invalid, 2 usage error.\nText diagnostics go to stderr as FILE:LINE:COL: error: MESSAGE [CODE]; --json prints {ok, diagnostics} on stdout.',
      );
  },
  run: (args, opts, out) => runValidate(args, opts, out, { cwd: process.cwd(), env: process.env }),
};
