/**
 * The front end every command that reads a workflow shares (`validate`, `compile`, `plan`, `submit`): the
 * site catalog by design.md §1's discovery, then read → decode → parse → validate of the workflow file, with
 * the image's header (probeImage). The file system is reached here, at the edge; the stages (src/parse,
 * src/validate) stay pure.
 */
import { closeSync, existsSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Diagnostic } from './model/diagnostic.js';
import type { SiteCatalog, Workflow } from './model/workflow.js';
import { decodeText } from './parse/decode-text.js';
import { type ParsedDocument, parseYaml } from './parse/parse-yaml.js';
import { probeImage } from './site-catalog/image-facts.js';
import { findSitesFile } from './validate/find-sites.js';
import type { ImageProbe } from './validate/image-header.js';
import { type ImageCheck, judgeImage } from './validate/image-rules.js';
import { validateSites } from './validate/validate-sites.js';
import { validateWorkflow } from './validate/validate-workflow.js';

export interface FrontEndIo {
  cwd: string;
  env: Record<string, string | undefined>;
}

export function isFile(absPath: string): boolean {
  try {
    return statSync(absPath).isFile();
  } catch {
    return false;
  }
}

/** A problem with the file as a whole (unreadable, a bad option), at its first line. */
export function fileDiagnostic(file: string, code: string, message: string): Diagnostic {
  return { severity: 'error', code, message, file, line: 1, column: 1, pointer: '' };
}

/** The largest workflow or site catalog read: 32 MiB (the 10,000-step benchmark workflow is 2.1 MB). */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** What a file that is not a regular one is, for a diagnostic. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file of at most MAX_FILE_BYTES, or why not. A pipe, a device (/dev/zero) or a
 * folder is refused before it is opened (opening a FIFO with no writer blocks); the read stops one byte past
 * the limit, so a file growing meanwhile cannot make it unbounded.
 */
function readBounded(absPath: string): Buffer | { code: string; why: string } {
  const st = statSync(absPath);
  const tooLarge = {
    code: 'file.too-large',
    why: `it is larger than ${MAX_FILE_BYTES} bytes (32 MiB), the most vmdag reads`,
  };
  if (!st.isFile()) return { code: 'file.not-regular', why: `it is ${kindOf(st)}, not a regular file` };
  if (st.size > MAX_FILE_BYTES) return tooLarge;
  const fd = openSync(absPath, 'r');
  try {
    const buf = Buffer.alloc(Math.min(st.size + 1, MAX_FILE_BYTES + 1));
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_FILE_BYTES) return tooLarge;
    if (n === buf.length) {
      // It grew past its stat'ed size: read on, up to the limit.
      return readFileWithin(fd, buf) ?? tooLarge;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The rest of a file that grew while read, when the whole stays within MAX_FILE_BYTES. */
function readFileWithin(fd: number, head: Buffer): Buffer | undefined {
  const parts = [head];
  let total = head.length;
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    const r = readSync(fd, chunk, 0, chunk.length, null);
    if (r === 0) return Buffer.concat(parts, total);
    total += r;
    if (total > MAX_FILE_BYTES) return undefined;
    parts.push(Buffer.from(chunk.subarray(0, r)));
  }
}

/** Read an input file as UTF-8 text; unreadable, not a regular file, too large or not UTF-8 → a diagnostic. */
export function readText(file: string, absPath: string): { text?: string; diagnostic?: Diagnostic } {
  try {
    const bytes = readBounded(absPath);
    if (!Buffer.isBuffer(bytes))
      return { diagnostic: fileDiagnostic(file, bytes.code, `cannot read ${file}: ${bytes.why}`) };
    return decodeText(bytes, file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a folder' : err.message;
    return { diagnostic: fileDiagnostic(file, 'file.unreadable', `cannot read ${file}: ${why}`) };
  }
}

export interface LoadedSites {
  /** The validated catalog; undefined when none was found or it is invalid. */
  catalog?: SiteCatalog;
  /** A catalog file was found (valid or not). */
  found: boolean;
  diagnostics: Diagnostic[];
}

/** The site catalog by design.md §1's discovery, validated. */
export function loadSites(flag: string | undefined, io: FrontEndIo): LoadedSites {
  const src = findSitesFile({ flag, env: io.env, cwd: io.cwd, fileExists: existsSync });
  if (!src) return { found: false, diagnostics: [] };
  const read = readText(src.file, src.absPath);
  if (read.diagnostic) return { found: true, diagnostics: [read.diagnostic] };
  const doc = parseYaml(read.text as string, src.file);
  return { found: true, ...validateSites(doc, { dir: dirname(src.absPath) }) };
}

export interface LoadedWorkflow {
  /** The normalised workflow, when the file has no error. */
  workflow?: Workflow;
  /** The file's diagnostics (not the catalog's: those are the LoadedSites'). */
  diagnostics: Diagnostic[];
  /** The parsed file, for locating what later stages find (plan, render); absent when it could not be read. */
  doc?: ParsedDocument;
  /** What the image checks found of a valid workflow's image (`vmdag plan` reports it). */
  image?: ImageCheck;
}

/** Read, decode, parse and validate one workflow file against a catalog (from loadSites). */
export function loadWorkflow(file: string, sites: LoadedSites, io: FrontEndIo): LoadedWorkflow {
  const absPath = resolve(io.cwd, file);
  const read = readText(file, absPath);
  if (read.diagnostic) return { diagnostics: [read.diagnostic] };
  const doc = parseYaml(read.text as string, file);
  // The image's header is read once, by the image checks; plan's report reuses it.
  const probes = new Map<string, ImageProbe>();
  const probe = (p: string): ImageProbe => {
    let r = probes.get(p);
    if (!r) {
      r = probeImage(p);
      probes.set(p, r);
    }
    return r;
  };
  const env = {
    dir: dirname(absPath),
    fileExists: isFile,
    probeImage: probe,
    ...(sites.catalog ? { sites: sites.catalog } : {}),
  };
  const result = validateWorkflow(doc, env);
  // A catalog that exists but is invalid has its own diagnostics; don't also claim there is none.
  if (sites.found && !sites.catalog)
    result.diagnostics = result.diagnostics.filter((d) => d.code !== 'rule.unknown-site');
  const img = result.workflow?.vm?.image;
  if (!img) return { ...result, doc };
  const { check } = judgeImage({ ...img, formatWritten: true }, probe(img.absPath));
  return { ...result, doc, image: check };
}
