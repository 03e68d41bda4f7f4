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

/**
 * Where a raw disk that can boot has a mark: a partition table or a file system at one of these offsets (MBR,
 * GPT, ext2/3/4, XFS, btrfs, squashfs, ISO 9660, LVM). Random or zeroed bytes have none. The vmdag site kit's
 * domain script checks the same on the execute node (templates/site/vmdag-libvirt-xml.py.hbs).
 */
export const RAW_SIGNATURES: ReadonlyArray<{ name: string; offset: number; bytes: Buffer }> = [
  { name: 'an MBR partition table', offset: 510, bytes: Buffer.from([0x55, 0xaa]) },
  { name: 'a GPT partition table', offset: 512, bytes: Buffer.from('EFI PART', 'latin1') },
  { name: 'an ext2/3/4 file system', offset: 1080, bytes: Buffer.from([0x53, 0xef]) },
  { name: 'an XFS file system', offset: 0, bytes: Buffer.from('XFSB', 'latin1') },
  { name: 'a btrfs file system', offset: 65600, bytes: Buffer.from('_BHRfS_M', 'latin1') },
  { name: 'a squashfs file system', offset: 0, bytes: Buffer.from('hsqs', 'latin1') },
  { name: 'an ISO 9660 file system', offset: 32769, bytes: Buffer.from('CD001', 'latin1') },
  { name: 'an LVM physical volume', offset: 536, bytes: Buffer.from('LVM2 001', 'latin1') },
];

/** The bytes of a raw image RAW_SIGNATURES looks at: the first 65608. */
export const RAW_SIGNATURE_BYTES = Math.max(...RAW_SIGNATURES.map((s) => s.offset + s.bytes.length));

/** What marks a raw disk's first bytes carry (`head`: its first RAW_SIGNATURE_BYTES or fewer), or null. */
export function rawSignature(head: Buffer): string | null {
  for (const s of RAW_SIGNATURES)
    if (
      head.length >= s.offset + s.bytes.length &&
      head.subarray(s.offset, s.offset + s.bytes.length).equals(s.bytes)
    )
      return s.name;
  return null;
}

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
      /** Incompatible feature bit 4: L2 entries of 16 bytes (subclusters). */
      extendedL2: boolean;
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
    extendedL2: version === 3 && (u64(head, 72) & 16) !== 0,
    tables: [
      { name: 'L1 table', offset: u64(head, 40), bytes: head.readUInt32BE(36) * 8 },
      { name: 'refcount table', offset: u64(head, 48), bytes: head.readUInt32BE(56) * clusterBytes },
    ],
  };
  const backingOffset = u64(head, 8);
  if (backingOffset !== 0) header.backing = { offset: backingOffset, length: head.readUInt32BE(16) };
  return header;
}

/** Bits 9 to 55 of an L1 or standard L2 entry: the offset of the cluster it points to. */
const OFFSET_MASK = 0x00ff_ffff_ffff_fe00n;

/** The offsets of the L2 tables an L1 table (its bytes) points to, in order; unallocated entries left out. */
export function l2TableOffsets(l1: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 8 <= l1.length; at += 8) {
    const offset = Number(l1.readBigUInt64BE(at) & OFFSET_MASK);
    if (offset !== 0) out.push(offset);
  }
  return out;
}

/**
 * The end (offset + length) of the last data cluster an L2 table (its bytes) points to, 0 when none: a
 * standard entry's cluster is `2^clusterBits` bytes at bits 9–55; a compressed one (bit 62) starts at its low
 * 62 − (clusterBits − 8) bits and is counted from there to one cluster on.
 */
export function l2DataEnd(l2: Buffer, clusterBits: number, extendedL2: boolean): number {
  const cluster = 2 ** clusterBits;
  const step = extendedL2 ? 16 : 8;
  let end = 0;
  for (let at = 0; at + 8 <= l2.length; at += step) {
    const e = l2.readBigUInt64BE(at);
    if (e === 0n) continue;
    const offset =
      (e >> 62n) & 1n ? Number(e & ((1n << BigInt(62 - (clusterBits - 8))) - 1n)) : Number(e & OFFSET_MASK);
    if (offset !== 0) end = Math.max(end, offset + cluster);
  }
  return end;
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
      /** A raw image's mark (rawSignature: "an ext2/3/4 file system"), null when it has none. */
      rawMark?: string | null;
      /** A qcow2's end as its tables see it: the furthest L2 table or data cluster they point to. */
      qcow2End?: number;
      /**
       * The backing file the qcow2 header names, when its name lies inside the file and is at most
       * MAX_BACKING_NAME_BYTES long: as written, resolved (relative to the image's folder), and whether it
       * exists (undefined: a protocol name, not looked for).
       */
      backing?: { name: string; absPath: string; exists?: boolean };
    };
