/**
 * The image checks: is the workflow's image (`vm.image`) what the workflow says, as far as this host can
 * see it? A local image always; a cluster image when its path exists here (a shared file system), else it
 * is "not checked" and `vmdag plan` says so. Read from the image: its size and first bytes only
 * (probeImage, through `env.probeImage`), never the whole file. One table of checks like rules.ts, each
 * with its code, what it demands and its test row (test/validate/image-rules.test.ts); judgeImage, pure,
 * gives every problem at once and the summary `vmdag plan` prints ("qcow2 v3, 2.0 GiB virtual").
 */
import { posix, resolve } from 'node:path';
import type { ImageFormat, ImageLocation } from '../model/workflow.js';
import type { ImageProbe } from './image-header.js';
import { MAX_BACKING_NAME_BYTES, QCOW2_HEADER_BYTES } from './image-header.js';
import { isObj, type Rule, type RuleContext } from './rule-context.js';
import { escapes } from './rule-helpers.js';

/**
 * The smallest disk vmdag boots: 1 MiB (1048576 bytes), for a raw file and for a qcow2's virtual size. A
 * disk with a partition table starts its first partition at 1 MiB (sector 2048, what fdisk, parted and
 * sfdisk choose), and a bare file system with a Linux root on it is far larger; what is smaller is a
 * stand-in, a stub or the wrong file.
 */
export const MIN_DISK_BYTES = 1024 * 1024;

/** The image as the workflow declares it, with its path resolved; `format` undefined: one the schema refuses. */
export interface DeclaredImage {
  /** As written in the workflow. */
  path: string;
  absPath: string;
  location: ImageLocation;
  format?: ImageFormat;
  /** `format` is written in the file; else qcow2 by default, and a mismatch is reported at the path. */
  formatWritten: boolean;
}

export type ImagePointer = '/vm/image/path' | '/vm/image/format';

export interface ImageIssue {
  code: string;
  pointer: ImagePointer;
  message: string;
}

/** What `vmdag plan` says of the image: checked (with what it is), or why not. */
export type ImageCheck =
  | {
      checked: true;
      /** "qcow2 v3, 2.0 GiB virtual", "raw, 1.0 GiB". */
      summary: string;
      format: ImageFormat;
      version?: 2 | 3;
      /** The disk the guest sees: a qcow2's virtual size, a raw file's size. */
      virtualBytes: number;
      backingFile?: string;
    }
  | { checked: false; reason: string };

/** 2147483648 → "2.0 GiB"; below 1 KiB in bytes. */
export function humanBytes(n: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(1)} ${unit}`;
  return `${n} bytes`;
}

/**
 * `qemu-img convert` from the image to `format`, into a new file beside it (`x.img` → `x.img.qcow2`: never the
 * image itself, nor a sibling that may exist, such as the lab's guest.img and guest.qcow2).
 */
function convertCommand(path: string, format: ImageFormat): string {
  return `\`qemu-img convert -O ${format} ${path} ${path}.${format}\``;
}

/** Every problem of the image `d` as `probe` shows it, and what plan says of it. Pure. */
export function judgeImage(d: DeclaredImage, probe: ImageProbe): { issues: ImageIssue[]; check: ImageCheck } {
  const p = d.path;
  const issues: ImageIssue[] = [];
  const at = (pointer: ImagePointer, code: string, message: string) =>
    issues.push({ code, pointer, message });
  const local = d.location === 'local';
  if (probe.kind === 'missing')
    // A local image that is missing is rule.file-missing's; a cluster image may be where this host cannot see.
    return { issues, check: { checked: false, reason: local ? 'missing' : 'not visible from this host' } };
  if (probe.kind === 'not-a-file') {
    at('/vm/image/path', 'image.not-a-file', `the image ${p} is ${probe.what}, not a file`);
    return { issues, check: { checked: false, reason: `${probe.what}, not a file` } };
  }
  if (probe.kind === 'unreadable') {
    // HTCondor reads a local image as the submitting user; a cluster image is read on the execute nodes,
    // perhaps as another user: unreadable here proves nothing about it.
    if (local) at('/vm/image/path', 'image.unreadable', `cannot read the image ${p}: ${probe.why}`);
    return { issues, check: { checked: false, reason: `not readable from this host: ${probe.why}` } };
  }
  const { size, header: h } = probe;
  const formatAt: ImagePointer = d.formatWritten ? '/vm/image/format' : '/vm/image/path';
  const says = d.formatWritten ? `the workflow says ${d.format}` : 'the workflow says qcow2 (the default)';
  if (size === 0) {
    at('/vm/image/path', 'image.too-small', `the image ${p} is empty (0 bytes)`);
    return { issues, check: { checked: true, summary: 'empty', format: 'raw', virtualBytes: 0 } };
  }
  const tooSmall = (what: string, bytes: number) =>
    at(
      '/vm/image/path',
      'image.too-small',
      `the image ${p} is ${what} of ${bytes} bytes, too small for a disk with a file system (at least 1 MiB, ${MIN_DISK_BYTES} bytes)`,
    );
  if (h.format === 'raw') {
    if (d.format === 'qcow2')
      at(
        formatAt,
        'image.format-mismatch',
        `the image ${p} is raw, not qcow2 (it does not begin with qcow2's magic bytes QFI\\xfb), but ${says} — set \`format: raw\` or convert it with ${convertCommand(p, 'qcow2')}`,
      );
    if (size < MIN_DISK_BYTES) tooSmall('a raw disk', size);
    else if (d.format === 'raw' && probe.rawMark === null)
      at(
        '/vm/image/path',
        'image.no-file-system',
        `the image ${p} holds no partition table and no file system that a VM could boot from (random or zeroed bytes? the wrong file?) — a raw disk starts with a partition table or a file system such as ext4`,
      );
    return {
      issues,
      check: { checked: true, summary: `raw, ${humanBytes(size)}`, format: 'raw', virtualBytes: size },
    };
  }
  if (!h.truncated && !h.supported) {
    at(
      formatAt,
      'image.format-mismatch',
      `the image ${p} is qcow version ${h.version} (it begins with the magic bytes QFI\\xfb), which QEMU's qcow2 driver does not read (qcow2 is version 2 or 3) — convert it with ${convertCommand(p, 'qcow2')}`,
    );
    return { issues, check: { checked: false, reason: `qcow version ${h.version}` } };
  }
  if (d.format === 'raw')
    at(
      formatAt,
      'image.format-mismatch',
      `the image ${p} is qcow2${h.version !== undefined ? ` (version ${h.version})` : ''}, but ${says} — set \`format: qcow2\` or convert it with ${convertCommand(p, 'raw')}`,
    );
  if (h.truncated) {
    const needs =
      h.version === undefined
        ? `a qcow2 header needs at least ${QCOW2_HEADER_BYTES[2]} bytes`
        : `a version ${h.version} header needs ${h.needs}`;
    at(
      '/vm/image/path',
      'image.truncated',
      `the image ${p} ends after ${size} bytes, inside its qcow2 header (${needs}) — it was cut short; copy it again`,
    );
    return { issues, check: { checked: false, reason: 'truncated' } };
  }
  const summary = [`qcow2 v${h.version}`, `${humanBytes(h.virtualBytes)} virtual`];
  const check: ImageCheck = {
    checked: true,
    summary: '',
    format: 'qcow2',
    version: h.version,
    virtualBytes: h.virtualBytes,
  };
  if (h.clusterBits < 9 || h.clusterBits > 21)
    at(
      '/vm/image/path',
      'image.bad-header',
      `the qcow2 header of ${p} gives cluster_bits ${h.clusterBits}; QEMU reads 9 to 21 (clusters of 512 bytes to 2 MiB)`,
    );
  else
    for (const t of h.tables)
      if (t.bytes > 0 && t.offset + t.bytes > size)
        at(
          '/vm/image/path',
          'image.truncated',
          `the image ${p} ends after ${size} bytes, before its qcow2 ${t.name} (bytes ${t.offset} to ${t.offset + t.bytes}) — it was cut short; copy it again`,
        );
  if (probe.qcow2End !== undefined && probe.qcow2End > size)
    at(
      '/vm/image/path',
      'image.truncated',
      `the image ${p} ends after ${size} bytes, but its qcow2 tables point at clusters up to byte ${probe.qcow2End} — it was cut short; copy it again`,
    );
  if (h.virtualBytes < MIN_DISK_BYTES) tooSmall('a qcow2 disk', h.virtualBytes);
  const ref = h.backing;
  if (ref && (ref.length < 1 || ref.length > MAX_BACKING_NAME_BYTES))
    at(
      '/vm/image/path',
      'image.bad-header',
      `the qcow2 header of ${p} names a backing file of ${ref.length} bytes; qcow2 allows 1 to ${MAX_BACKING_NAME_BYTES}`,
    );
  else if (ref && ref.offset + ref.length > size)
    at(
      '/vm/image/path',
      'image.truncated',
      `the image ${p} ends after ${size} bytes, before its backing file's name (bytes ${ref.offset} to ${ref.offset + ref.length}) — it was cut short; copy it again`,
    );
  const backing = probe.backing;
  if (backing) {
    check.backingFile = backing.name;
    summary.push(`backing file ${backing.name}${backing.exists === undefined ? ' (not checked)' : ''}`);
    if (backing.exists === false) {
      const where = backing.name === backing.absPath ? '' : ` (${backing.absPath})`;
      at(
        '/vm/image/path',
        'image.backing-missing',
        `the image ${p} is a qcow2 overlay of the backing file ${backing.name}${where}, which does not exist — put it there, or point the image at where it is with \`qemu-img rebase -u -b PATH ${p}\``,
      );
    }
  }
  check.summary = summary.join(', ');
  return { issues, check };
}

/** The workflow's image as written, when its path can be judged (other rules report the ones that cannot). */
export function declaredImage(ctx: Pick<RuleContext, 'vm' | 'env'>): DeclaredImage | undefined {
  const image = isObj(ctx.vm?.image) ? ctx.vm.image : undefined;
  const path = image?.path;
  const location = image?.location;
  if (typeof path !== 'string' || path === '') return undefined;
  if (location !== 'local' && location !== 'cluster') return undefined;
  let absPath: string;
  if (posix.isAbsolute(path)) absPath = path;
  else if (location === 'local' && !escapes(path)) absPath = resolve(ctx.env.dir, path);
  else return undefined; // rule.path-escapes, rule.cluster-image-absolute
  const written = image?.format;
  const format =
    written === undefined ? 'qcow2' : written === 'qcow2' || written === 'raw' ? written : undefined;
  return { path, absPath, location, ...(format ? { format } : {}), formatWritten: written !== undefined };
}

/** The image's probe and verdict, made once per validation (every check below reads them). */
const verdicts = new WeakMap<RuleContext, { probe: ImageProbe; issues: ImageIssue[] } | null>();

function verdictOf(ctx: RuleContext): { probe: ImageProbe; issues: ImageIssue[] } | null {
  let v = verdicts.get(ctx);
  if (v === undefined) {
    const d = declaredImage(ctx);
    if (d) {
      const probe = ctx.env.probeImage(d.absPath);
      v = { probe, issues: judgeImage(d, probe).issues };
    } else v = null;
    verdicts.set(ctx, v);
  }
  return v;
}

/** A `location: local` image that is not there (reported by rule.file-missing, with the other local files). */
export function localImageMissing(ctx: RuleContext): boolean {
  return verdictOf(ctx)?.probe.kind === 'missing';
}

const table: [code: string, summary: string][] = [
  ['image.not-a-file', 'the image path names a file, not a folder, device or pipe'],
  ['image.unreadable', 'a local image can be read by the user who runs vmdag'],
  [
    'image.format-mismatch',
    '`format` is what the header says: qcow2 begins with the bytes QFI\\xfb and version 2 or 3; anything else is raw',
  ],
  [
    'image.too-small',
    `the image is not empty, and its disk (a raw file, a qcow2's virtual size) is at least 1 MiB (${MIN_DISK_BYTES} bytes)`,
  ],
  [
    'image.no-file-system',
    'a raw disk starts with a partition table or a file system (MBR, GPT, ext2/3/4, XFS, btrfs, squashfs, ISO 9660, LVM), not random or zeroed bytes',
  ],
  [
    'image.truncated',
    'a qcow2 file holds its whole header (72 bytes in version 2, 104 in version 3) and the L1 table, refcount table and backing file name it points to, and every L2 table and data cluster its L1 and L2 tables point to',
  ],
  [
    'image.bad-header',
    'a qcow2 header QEMU accepts: cluster_bits 9 to 21, a backing file name of 1 to 1023 bytes',
  ],
  ['image.backing-missing', "a qcow2 overlay's backing file exists (a relative name: in the image's folder)"],
];

export const imageRules: Rule[] = table.map(([code, summary]) => ({
  code,
  summary,
  check(ctx) {
    for (const i of verdictOf(ctx)?.issues ?? [])
      if (i.code === code) ctx.report.error(i.pointer, code, i.message);
  },
}));
