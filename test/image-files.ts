/**
 * Image files for the tests, written without QEMU (qemu-img is not on every machine that runs the unit
 * tests). A qcow2 here is written by hand from QEMU's specification, docs/interop/qcow2.txt: a complete,
 * empty image (header, refcount table, one refcount block, the L1 table; no L2 table, no data cluster), as
 * `qemu-img create -f qcow2` would make it, but with small clusters so that it stays a few KiB.
 * test/validate/image-rules.test.ts has `qemu-img check` confirm that where qemu-img exists.
 */
import { writeFileSync } from 'node:fs';

export interface Qcow2Options {
  /** 2 or 3 (default 3); any other number only writes the magic and that version. */
  version?: number;
  /** The disk the guest sees. Default 1 GiB. */
  virtualBytes?: number;
  /** log2 of the cluster size. Default 12 (4 KiB clusters). */
  clusterBits?: number;
  /** A backing file name, stored in the first cluster after the header extensions. */
  backingFile?: string;
}

/** The bytes of an empty qcow2 image (layout: header, refcount table, refcount block, L1 table). */
export function qcow2Bytes(o: Qcow2Options = {}): Buffer {
  const version = o.version ?? 3;
  const virtualBytes = o.virtualBytes ?? 2 ** 30;
  const clusterBits = o.clusterBits ?? 12;
  const cluster = 2 ** clusterBits;
  // One L1 entry points at an L2 table of cluster/8 entries, each mapping one cluster.
  const l1Entries = Math.ceil(virtualBytes / (cluster * (cluster / 8)));
  const l1Clusters = Math.max(1, Math.ceil((l1Entries * 8) / cluster));
  const clusters = 3 + l1Clusters;
  const b = Buffer.alloc(clusters * cluster);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(version, 4);
  if (version !== 2 && version !== 3) return b.subarray(0, 8);
  const headerLength = version === 2 ? 72 : 104;
  b.writeUInt32BE(clusterBits, 20);
  b.writeBigUInt64BE(BigInt(virtualBytes), 24);
  b.writeUInt32BE(0, 32); // crypt_method: none
  b.writeUInt32BE(l1Entries, 36);
  b.writeBigUInt64BE(BigInt(3 * cluster), 40); // l1_table_offset
  b.writeBigUInt64BE(BigInt(cluster), 48); // refcount_table_offset
  b.writeUInt32BE(1, 56); // refcount_table_clusters
  if (version === 3) {
    b.writeUInt32BE(4, 96); // refcount_order: 16-bit refcounts
    b.writeUInt32BE(headerLength, 100);
  }
  // Header extensions: only the end marker (8 zero bytes at headerLength), then the backing file name.
  if (o.backingFile !== undefined) {
    const name = Buffer.from(o.backingFile, 'utf8');
    const at = headerLength + 8;
    if (at + name.length > cluster) throw new Error('backing file name does not fit the first cluster');
    name.copy(b, at);
    b.writeBigUInt64BE(BigInt(at), 8);
    b.writeUInt32BE(name.length, 16);
  }
  b.writeBigUInt64BE(BigInt(2 * cluster), cluster); // refcount table[0] → the refcount block
  for (let i = 0; i < clusters; i++) b.writeUInt16BE(1, 2 * cluster + 2 * i); // every cluster used once
  return b;
}

export function writeQcow2(path: string, o: Qcow2Options = {}): string {
  writeFileSync(path, qcow2Bytes(o));
  return path;
}

/**
 * A raw image of `bytes` bytes: zeros with an ext2/3/4 superblock's magic (0xEF53 at 1080) when it has room,
 * as a disk holding a file system would; `{ blank: true }`: zeros only (no partition table, no file system).
 */
export function writeRaw(path: string, bytes: number, o: { blank?: boolean } = {}): string {
  const b = Buffer.alloc(bytes);
  if (!o.blank && bytes >= 1082) b.writeUInt16LE(0xef53, 1080);
  writeFileSync(path, b);
  return path;
}
