/**
 * Facts about the VM image, gathered at the edge (file system): what the image's first bytes say it is
 * (probeImage: a few hundred bytes, for validate's image checks), size and sha256 of a local image
 * (streamed, never read whole), and whether a `location: cluster` image is at a site — known only when the
 * site's `images` folder is visible from this machine (a shared file system, as in the lab), else "unknown".
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import {
  IMAGE_HEAD_BYTES,
  type ImageProbe,
  isProtocolName,
  l2DataEnd,
  l2TableOffsets,
  MAX_BACKING_NAME_BYTES,
  RAW_SIGNATURE_BYTES,
  rawSignature,
  readImageHeader,
} from '../validate/image-header.js';
import type { ImageAtSite } from './choose-site.js';

/** What a path that is not a regular file is, for a diagnostic. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Up to `length` bytes of the open file `fd` from `position` (fewer at its end). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let n = 0;
  for (let r = 1; r > 0 && n < length; n += r) r = readSync(fd, buf, n, length - n, position + n);
  return buf.subarray(0, n);
}

/**
 * What this host sees of the image at `absPath`: its size, its first IMAGE_HEAD_BYTES bytes as a header
 * (src/validate/image-header.ts), a raw image's mark of a partition table or file system (its first 64 KiB), and a qcow2 overlay's backing file name (at most 1023 bytes more) and
 * whether that file exists. Never more of the file; a pipe or device is not opened (opening a FIFO blocks).
 */
export function probeImage(absPath: string): ImageProbe {
  let st: Stats;
  try {
    st = statSync(absPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unreadable', why: errorText(e) };
  }
  if (!st.isFile()) return { kind: 'not-a-file', what: kindOf(st) };
  let fd: number;
  try {
    fd = openSync(absPath, 'r');
  } catch (e) {
    return { kind: 'unreadable', why: errorText(e) };
  }
  try {
    // One read covers the header and a raw disk's marks (64 KiB).
    const head = readAt(fd, 0, Math.max(IMAGE_HEAD_BYTES, RAW_SIGNATURE_BYTES));
    const header = readImageHeader(head.subarray(0, IMAGE_HEAD_BYTES), st.size);
    const probe: Extract<ImageProbe, { kind: 'file' }> = { kind: 'file', size: st.size, header };
    if (header.format === 'raw') probe.rawMark = rawSignature(head);
    else if (!header.truncated && header.supported) {
      // Where its L2 tables and data clusters end, read from the L1 table and the L2 tables inside the file
      // (one cluster each: a few MiB for a disk of 100 GiB). A copy cut short points past its own end.
      const cluster = 2 ** header.clusterBits;
      const l1 = header.tables[0];
      if (l1 && header.clusterBits >= 9 && header.clusterBits <= 21 && l1.offset + l1.bytes <= st.size) {
        let end = 0;
        for (const l2 of l2TableOffsets(readAt(fd, l1.offset, l1.bytes))) {
          end = Math.max(end, l2 + cluster);
          if (l2 + cluster <= st.size)
            end = Math.max(end, l2DataEnd(readAt(fd, l2, cluster), header.clusterBits, header.extendedL2));
        }
        probe.qcow2End = end;
      }
    }
    const ref =
      header.format === 'qcow2' && !header.truncated && header.supported ? header.backing : undefined;
    if (
      ref &&
      ref.length >= 1 &&
      ref.length <= MAX_BACKING_NAME_BYTES &&
      ref.offset + ref.length <= st.size
    ) {
      const name = readAt(fd, ref.offset, ref.length).toString('utf8');
      const backingPath = resolve(dirname(absPath), name);
      probe.backing = isProtocolName(name)
        ? { name, absPath: name }
        : { name, absPath: backingPath, exists: existsSync(backingPath) };
    }
    return probe;
  } catch (e) {
    return { kind: 'unreadable', why: errorText(e) };
  } finally {
    closeSync(fd);
  }
}

/** An fs error as "permission denied (EACCES)". */
function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err.code) return String(err.message ?? e);
  // "EACCES: permission denied, open '/x'" → "permission denied (EACCES)"
  const text = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${text} (${err.code})`;
}

export async function sha256File(absPath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(absPath, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface ImageFacts {
  absPath: string;
  bytes: number;
  sha256: string;
}

export async function imageFacts(absPath: string): Promise<ImageFacts> {
  const bytes = statSync(absPath).size;
  return { absPath, bytes, sha256: await sha256File(absPath) };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Is the cluster image `absPath` at this site? Checked against the site's `images` folder when visible. */
export function clusterImageAt(site: { name: string; images?: string }, absPath: string): ImageAtSite {
  if (!site.images) {
    return {
      state: 'unknown',
      detail: `${site.name} names no images folder in the site catalog; ${absPath} not checked`,
    };
  }
  const rel = relative(site.images, absPath);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    return {
      state: 'unknown',
      detail: `${absPath} is outside ${site.name}'s images folder ${site.images}; not checked`,
    };
  }
  if (!isDir(site.images)) {
    return {
      state: 'unknown',
      detail: `${site.name}'s images folder ${site.images} is not visible from here; not checked`,
    };
  }
  return existsSync(absPath)
    ? { state: 'present', detail: `${absPath} is in ${site.name}'s images folder` }
    : { state: 'missing', detail: `${site.name}'s images folder ${site.images} has no ${rel}` };
}
