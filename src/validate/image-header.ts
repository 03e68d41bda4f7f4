/**
 * What a VM image's first bytes say it is, read without QEMU. qcow2 by its header (QEMU's
 * docs/interop/qcow2.txt, all numbers big-endian): the magic "QFI\xfb" at 0, the version (2 or 3) at 4, the
 * backing file's name offset (u64) at 8 and length (u32) at 16, cluster_bits (u32) at 20, the virtual size
 * (u64) at 24, l1_size (u32) at 36, l1_table_offset (u64) at 40, refcount_table_offset (u64) at 48,
 * refcount_table_clusters (u32) at 56; the header is 72 bytes in version 2 and at least 104 in version 3.
 * Anything that does not start with the magic is raw: a raw image has no header to read.
 *
 * Pure: a function of the bytes read from the start of the file and its size. The reading itself is
 * probeImage's (src/site-catalog/image-facts.ts), the verdict judgeImage's (src/validate/image-rules.ts).
 */

/** The bytes read from the start of an image: a qcow2 v3 header (104 bytes) with room to spare. */
export const IMAGE_HEAD_BYTES = 512;

/** "QFI\xfb": the first four bytes of every qcow2 (and of the older qcow, version 1). */
export const QCOW_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/** The length of a qcow2 header: 72 bytes in version 2, at least 104 in version 3. */
export const QCOW2_HEADER_BYTES: Readonly<Record<2 | 3, number>> = { 2: 72, 3: 104 };

/** The longest backing file name qcow2 allows. */
export const MAX_BACKING_NAME_BYTES = 1023;

/** A table the qcow2 header places in the file: it must lie inside it. */
export interface Qcow2Table {
  name: 'L1 table' | 'refcount table';
  offset: number;
  bytes: number;
}

export type ImageHeader =
  | { format: 'raw' }
  /** The magic, then a file too short for the version it names (or for the version itself). */
  | { format: 'qcow2'; truncated: true; version?: number; needs: number }
  /** The magic with a version QEMU's qcow2 driver does not read (1: the older qcow). */
  | { format: 'qcow2'; truncated: false; version: number; supported: false }
  | {
      format: 'qcow2';
      truncated: false;
      version: 2 | 3;
      supported: true;
      virtualBytes: number;
      clusterBits: number;
      tables: Qcow2Table[];
      /** Where the backing file's name is, when the image has one (backing_file_offset ≠ 0). */
      backing?: { offset: number; length: number };
    };

/** A u64 as a number: exact up to 2^53 (8 PiB), which every offset and size of a real image is below. */
function u64(b: Buffer, at: number): number {
  return Number(b.readBigUInt64BE(at));
}

/** The header of an image from its first bytes (`head`, at most IMAGE_HEAD_BYTES) and its size in bytes. */
export function readImageHeader(head: Buffer, size: number): ImageHeader {
  if (head.length < QCOW_MAGIC.length || !head.subarray(0, QCOW_MAGIC.length).equals(QCOW_MAGIC))
    return { format: 'raw' };
  if (head.length < 8) return { format: 'qcow2', truncated: true, needs: QCOW2_HEADER_BYTES[2] };
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) return { format: 'qcow2', truncated: false, version, supported: false };
  const needs = QCOW2_HEADER_BYTES[version];
  if (size < needs || head.length < needs) return { format: 'qcow2', truncated: true, version, needs };
  const clusterBits = head.readUInt32BE(20);
  const clusterBytes = clusterBits < 64 ? 2 ** clusterBits : Number.POSITIVE_INFINITY;
  const header: ImageHeader = {
    format: 'qcow2',
    truncated: false,
    version,
    supported: true,
    virtualBytes: u64(head, 24),
    clusterBits,
    tables: [
      { name: 'L1 table', offset: u64(head, 40), bytes: head.readUInt32BE(36) * 8 },
      { name: 'refcount table', offset: u64(head, 48), bytes: head.readUInt32BE(56) * clusterBytes },
    ],
  };
  const backingOffset = u64(head, 8);
  if (backingOffset !== 0) header.backing = { offset: backingOffset, length: head.readUInt32BE(16) };
  return header;
}

/**
 * A backing file name that names no file on this host: a protocol (`nbd://…`, `http://…`) or QEMU's
 * `json:{…}` pseudo-protocol. Such a backing file is not looked for.
 */
export function isProtocolName(name: string): boolean {
  return name.startsWith('json:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(name);
}

/**
 * What this host sees of an image file, read by probeImage (src/site-catalog/image-facts.ts) for the pure
 * checks: nothing there, something that is not a file, a file it cannot read, or a file's size, header and
 * (a qcow2 overlay) its backing file.
 */
export type ImageProbe =
  | { kind: 'missing' }
  /** `what`: "a folder", "a device", "a named pipe", "a socket". */
  | { kind: 'not-a-file'; what: string }
  /** `why`: the error's code and text, e.g. "permission denied (EACCES)". */
  | { kind: 'unreadable'; why: string }
  | {
      kind: 'file';
      size: number;
      header: ImageHeader;
      /**
       * The backing file the qcow2 header names, when its name lies inside the file and is at most
       * MAX_BACKING_NAME_BYTES long: as written, resolved (relative to the image's folder), and whether it
       * exists (undefined: a protocol name, not looked for).
       */
      backing?: { name: string; absPath: string; exists?: boolean };
    };
