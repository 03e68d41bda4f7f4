/**
 * The image checks, pure (src/validate/image-header.ts, src/validate/image-rules.ts): headers from bytes,
 * and one row per check of the table — an image that breaks it and a near one that does not. The same
 * checks on real files, through the commands: test/validate/image-checks-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  type ImageHeader,
  type ImageProbe,
  l2DataEnd,
  l2TableOffsets,
  RAW_SIGNATURE_BYTES,
  rawSignature,
  readImageHeader,
} from '../../src/validate/image-header.js';
import {
  type DeclaredImage,
  humanBytes,
  imageRules,
  judgeImage,
  MIN_DISK_BYTES,
} from '../../src/validate/image-rules.js';
import { qcow2Bytes } from '../image-files.js';

const GiB = 2 ** 30;

/** The probe of a file holding `bytes` (its first 512 bytes as probeImage reads them). */
/** `b` with `mark` written at `at` (a partition table's or a file system's signature). */
function withMark(b: Buffer, at: number, mark: number[]): Buffer {
  Buffer.from(mark).copy(b, at);
  return b;
}

function fileProbe(bytes: Buffer, backing?: { name: string; exists?: boolean }): ImageProbe {
  const probe: ImageProbe = {
    kind: 'file',
    size: bytes.length,
    header: readImageHeader(bytes.subarray(0, 512), bytes.length),
  };
  // as probeImage does: a raw image's mark from its first 64 KiB
  if (probe.header.format === 'raw') probe.rawMark = rawSignature(bytes.subarray(0, RAW_SIGNATURE_BYTES));
  if (backing) probe.backing = { ...backing, absPath: `/img/${backing.name}` };
  return probe;
}

describe('readImageHeader', () => {
  const rows: [string, { given: Buffer; want: Partial<ImageHeader> & Record<string, unknown> }][] = [
    ['zeros are raw', { given: Buffer.alloc(4096), want: { format: 'raw' } }],
    ['text is raw', { given: Buffer.from('stand-in image\n'), want: { format: 'raw' } }],
    ['an empty file is raw', { given: Buffer.alloc(0), want: { format: 'raw' } }],
    [
      'qcow2 v3: version, virtual size, cluster bits, tables',
      {
        given: qcow2Bytes({ virtualBytes: 2 * GiB }),
        want: {
          format: 'qcow2',
          truncated: false,
          version: 3,
          supported: true,
          virtualBytes: 2 * GiB,
          clusterBits: 12,
          tables: [
            { name: 'L1 table', offset: 3 * 4096, bytes: 1024 * 8 },
            { name: 'refcount table', offset: 4096, bytes: 4096 },
          ],
        },
      },
    ],
    [
      'qcow2 v2',
      { given: qcow2Bytes({ version: 2 }), want: { format: 'qcow2', version: 2, virtualBytes: GiB } },
    ],
    [
      'a backing file: where its name is',
      {
        given: qcow2Bytes({ backingFile: 'base.qcow2' }),
        want: { format: 'qcow2', backing: { offset: 112, length: 10 } },
      },
    ],
    [
      'the magic alone: truncated before the version',
      { given: Buffer.from([0x51, 0x46, 0x49, 0xfb]), want: { format: 'qcow2', truncated: true, needs: 72 } },
    ],
    [
      'a v3 header cut at 100 bytes',
      {
        given: qcow2Bytes().subarray(0, 100),
        want: { format: 'qcow2', truncated: true, version: 3, needs: 104 },
      },
    ],
    [
      'a v2 header cut at 71 bytes',
      { given: qcow2Bytes({ version: 2 }).subarray(0, 71), want: { truncated: true, version: 2, needs: 72 } },
    ],
    [
      'qcow version 1: the magic, a version qcow2 is not',
      { given: qcow2Bytes({ version: 1 }), want: { format: 'qcow2', version: 1, supported: false } },
    ],
  ];
  for (const [name, { given, want }] of rows)
    it(name, () => {
      expect(readImageHeader(given.subarray(0, 512), given.length)).toMatchObject(want);
    });
});

const QCOW2: DeclaredImage = {
  path: 'images/guest.qcow2',
  absPath: '/w/images/guest.qcow2',
  location: 'local',
  format: 'qcow2',
  formatWritten: true,
};
const RAW: DeclaredImage = { ...QCOW2, path: 'images/guest.img', format: 'raw' };

interface Row {
  declared: DeclaredImage;
  bad: ImageProbe;
  /** The pointers of the issues on `bad` (all of this row's code) and a piece of each message. */
  at: [pointer: string, says: RegExp][];
  good: ImageProbe;
}

const rows: Record<string, Row> = {
  'image.not-a-file': {
    declared: QCOW2,
    bad: { kind: 'not-a-file', what: 'a folder' },
    at: [['/vm/image/path', /^the image images\/guest\.qcow2 is a folder, not a file$/]],
    good: fileProbe(qcow2Bytes()),
  },
  'image.unreadable': {
    declared: QCOW2,
    bad: { kind: 'unreadable', why: 'permission denied (EACCES)' },
    at: [['/vm/image/path', /^cannot read the image images\/guest\.qcow2: permission denied \(EACCES\)$/]],
    good: fileProbe(qcow2Bytes()),
  },
  'image.format-mismatch': {
    declared: QCOW2,
    bad: fileProbe(Buffer.alloc(2 * MIN_DISK_BYTES)),
    at: [
      [
        '/vm/image/format',
        /is raw, not qcow2 .*but the workflow says qcow2 — set `format: raw` or convert it with `qemu-img convert -O qcow2 images\/guest\.qcow2 images\/guest\.qcow2\.qcow2`$/,
      ],
    ],
    good: fileProbe(qcow2Bytes()),
  },
  'image.no-file-system': {
    declared: RAW,
    bad: fileProbe(Buffer.alloc(2 * MIN_DISK_BYTES)),
    at: [
      [
        '/vm/image/path',
        /^the image images\/guest\.img holds no partition table and no file system that a VM could boot from \(random or zeroed bytes\? the wrong file\?\)/,
      ],
    ],
    good: fileProbe(withMark(Buffer.alloc(2 * MIN_DISK_BYTES), 1080, [0x53, 0xef])),
  },
  'image.too-small': {
    declared: RAW,
    bad: fileProbe(Buffer.alloc(MIN_DISK_BYTES - 1)),
    at: [
      ['/vm/image/path', /is a raw disk of 1048575 bytes, too small .*\(at least 1 MiB, 1048576 bytes\)$/],
    ],
    good: fileProbe(withMark(Buffer.alloc(MIN_DISK_BYTES), 510, [0x55, 0xaa])),
  },
  'image.truncated': {
    declared: QCOW2,
    bad: fileProbe(qcow2Bytes().subarray(0, 100)),
    at: [
      ['/vm/image/path', /ends after 100 bytes, inside its qcow2 header \(a version 3 header needs 104\)/],
    ],
    good: fileProbe(qcow2Bytes()),
  },
  'image.bad-header': {
    declared: QCOW2,
    bad: fileProbe(qcow2Bytes({ clusterBits: 8, virtualBytes: 2 * MIN_DISK_BYTES })),
    at: [['/vm/image/path', /gives cluster_bits 8; QEMU reads 9 to 21/]],
    good: fileProbe(qcow2Bytes({ clusterBits: 9, virtualBytes: 2 * MIN_DISK_BYTES })),
  },
  'image.backing-missing': {
    declared: QCOW2,
    bad: fileProbe(qcow2Bytes({ backingFile: 'base.qcow2' }), { name: 'base.qcow2', exists: false }),
    at: [
      [
        '/vm/image/path',
        /is a qcow2 overlay of the backing file base\.qcow2 \(\/img\/base\.qcow2\), which does not exist/,
      ],
    ],
    good: fileProbe(qcow2Bytes({ backingFile: 'base.qcow2' }), { name: 'base.qcow2', exists: true }),
  },
};

describe('image checks: one row each', () => {
  it('every check of the table has a row here', () => {
    expect(Object.keys(rows).sort()).toEqual(imageRules.map((r) => r.code).sort());
  });
  for (const [code, row] of Object.entries(rows)) {
    it(`${code}: reported where broken`, () => {
      const { issues } = judgeImage(row.declared, row.bad);
      expect(issues.map((i) => [i.code, i.pointer])).toEqual(row.at.map(([p]) => [code, p]));
      row.at.forEach(([, says], k) => {
        expect(issues[k]?.message).toMatch(says);
      });
    });
    it(`${code}: silent on the near sound image`, () => {
      expect(judgeImage(row.declared, row.good).issues).toEqual([]);
    });
  }
});

describe('judgeImage: more of each check', () => {
  const codes = (d: DeclaredImage, p: ImageProbe) => judgeImage(d, p).issues.map((i) => [i.code, i.pointer]);
  it('a qcow2 declared raw: at format, with both ways out', () => {
    const { issues } = judgeImage(RAW, fileProbe(qcow2Bytes()));
    expect(issues.map((i) => i.code)).toEqual(['image.format-mismatch']);
    expect(issues[0]?.message).toBe(
      'the image images/guest.img is qcow2 (version 3), but the workflow says raw — set `format: qcow2` or convert it with `qemu-img convert -O raw images/guest.img images/guest.img.raw`',
    );
  });
  it('no `format` written: qcow2 by default, the mismatch at the path', () => {
    const d = { ...QCOW2, formatWritten: false };
    const { issues } = judgeImage(d, fileProbe(Buffer.alloc(MIN_DISK_BYTES)));
    expect(issues.map((i) => i.pointer)).toEqual(['/vm/image/path']);
    expect(issues[0]?.message).toMatch(/the workflow says qcow2 \(the default\)/);
  });
  it('a small text file declared qcow2: not qcow2, and too small for a raw disk', () => {
    expect(codes(QCOW2, fileProbe(Buffer.from('stand-in image\n')))).toEqual([
      ['image.format-mismatch', '/vm/image/format'],
      ['image.too-small', '/vm/image/path'],
    ]);
  });
  it('an empty file: too small, nothing else', () => {
    const { issues } = judgeImage(QCOW2, fileProbe(Buffer.alloc(0)));
    expect(issues.map((i) => [i.code, i.message])).toEqual([
      ['image.too-small', 'the image images/guest.qcow2 is empty (0 bytes)'],
    ]);
  });
  it('qcow version 1: a format mismatch whatever the workflow says', () => {
    for (const d of [QCOW2, RAW])
      expect(codes(d, fileProbe(qcow2Bytes({ version: 1 })))).toEqual([
        ['image.format-mismatch', '/vm/image/format'],
      ]);
  });
  it('a qcow2 cut after its header: its tables lie past the end', () => {
    const { issues } = judgeImage(QCOW2, fileProbe(qcow2Bytes().subarray(0, 4096)));
    expect(issues.map((i) => i.message)).toEqual([
      'the image images/guest.qcow2 ends after 4096 bytes, before its qcow2 L1 table (bytes 12288 to 16384) — it was cut short; copy it again',
      'the image images/guest.qcow2 ends after 4096 bytes, before its qcow2 refcount table (bytes 4096 to 8192) — it was cut short; copy it again',
    ]);
  });
  it('a qcow2 v2 cut inside its 72-byte header', () => {
    expect(
      judgeImage(QCOW2, fileProbe(qcow2Bytes({ version: 2 }).subarray(0, 60))).issues[0]?.message,
    ).toMatch(/ends after 60 bytes, inside its qcow2 header \(a version 2 header needs 72\)/);
  });
  it('a qcow2 disk below 1 MiB virtual is too small', () => {
    expect(codes(QCOW2, fileProbe(qcow2Bytes({ virtualBytes: 64 * 1024 })))).toEqual([
      ['image.too-small', '/vm/image/path'],
    ]);
  });
  it('a backing name longer than 1023 bytes is a bad header', () => {
    const b = qcow2Bytes();
    b.writeBigUInt64BE(112n, 8);
    b.writeUInt32BE(2000, 16);
    expect(codes(QCOW2, fileProbe(b))).toEqual([['image.bad-header', '/vm/image/path']]);
  });
  it('a backing name past the end of the file is a truncation', () => {
    const b = qcow2Bytes({ backingFile: 'base.qcow2' });
    b.writeBigUInt64BE(BigInt(b.length - 4), 8);
    expect(codes(QCOW2, fileProbe(b))).toEqual([['image.truncated', '/vm/image/path']]);
  });
  it('a cluster image this host cannot see or read: not checked, no issue', () => {
    const cluster = { ...QCOW2, location: 'cluster' as const, path: '/shared/g.qcow2' };
    expect(judgeImage(cluster, { kind: 'missing' })).toEqual({
      issues: [],
      check: { checked: false, reason: 'not visible from this host' },
    });
    expect(judgeImage(cluster, { kind: 'unreadable', why: 'permission denied (EACCES)' })).toEqual({
      issues: [],
      check: { checked: false, reason: 'not readable from this host: permission denied (EACCES)' },
    });
  });
  it('a local image that is missing is left to rule.file-missing', () => {
    expect(judgeImage(QCOW2, { kind: 'missing' }).issues).toEqual([]);
  });
});

describe('judgeImage: what plan says of a sound image', () => {
  const rows: [string, { d: DeclaredImage; p: ImageProbe; want: string }][] = [
    [
      'qcow2 v3',
      { d: QCOW2, p: fileProbe(qcow2Bytes({ virtualBytes: 2 * GiB })), want: 'qcow2 v3, 2.0 GiB virtual' },
    ],
    ['qcow2 v2', { d: QCOW2, p: fileProbe(qcow2Bytes({ version: 2 })), want: 'qcow2 v2, 1.0 GiB virtual' }],
    [
      'raw',
      {
        d: RAW,
        p: fileProbe(withMark(Buffer.alloc(3 * MIN_DISK_BYTES), 1080, [0x53, 0xef])),
        want: 'raw, 3.0 MiB',
      },
    ],
    [
      'an overlay',
      {
        d: QCOW2,
        p: fileProbe(qcow2Bytes({ backingFile: 'base.qcow2' }), { name: 'base.qcow2', exists: true }),
        want: 'qcow2 v3, 1.0 GiB virtual, backing file base.qcow2',
      },
    ],
    [
      'an overlay of a network disk',
      {
        d: QCOW2,
        p: fileProbe(qcow2Bytes({ backingFile: 'nbd://h/x' }), { name: 'nbd://h/x' }),
        want: 'qcow2 v3, 1.0 GiB virtual, backing file nbd://h/x (not checked)',
      },
    ],
  ];
  for (const [name, { d, p, want }] of rows)
    it(name, () => {
      expect(judgeImage(d, p)).toMatchObject({ issues: [], check: { checked: true, summary: want } });
    });
  it('humanBytes', () => {
    expect([0, 1023, 1024, 1536, MIN_DISK_BYTES, 2 * GiB, 2 ** 40].map(humanBytes)).toEqual([
      '0 bytes',
      '1023 bytes',
      '1.0 KiB',
      '1.5 KiB',
      '1.0 MiB',
      '2.0 GiB',
      '1.0 TiB',
    ]);
  });
});

describe('a qcow2 cut short past its header: where its tables point', () => {
  it('l2TableOffsets: the allocated L1 entries, bits 9 to 55 (the copied flag dropped)', () => {
    const l1 = Buffer.alloc(24);
    l1.writeBigUInt64BE((1n << 63n) | 0x30000n, 0);
    l1.writeBigUInt64BE(0x50000n, 16);
    expect(l2TableOffsets(l1)).toEqual([0x30000, 0x50000]);
  });
  it('l2DataEnd: the furthest standard or compressed cluster, one cluster on', () => {
    const l2 = Buffer.alloc(32);
    l2.writeBigUInt64BE((1n << 63n) | 0x70000n, 0); // standard, copied
    l2.writeBigUInt64BE(0x90000n, 8); // standard
    l2.writeBigUInt64BE((1n << 62n) | 0xa1234n, 24); // compressed: 62 − (16 − 8) = 54 offset bits
    expect(l2DataEnd(l2, 16, false)).toBe(0xa1234 + 0x10000);
    expect(l2DataEnd(l2.subarray(0, 16), 16, false)).toBe(0x90000 + 0x10000);
    // Extended L2 entries are 16 bytes: the entry at 8 is a subcluster bitmap, not a cluster.
    expect(l2DataEnd(l2.subarray(0, 16), 16, true)).toBe(0x70000 + 0x10000);
    expect(l2DataEnd(Buffer.alloc(64), 16, false)).toBe(0);
  });
  it('judgeImage: a qcow2 whose clusters lie past its end is truncated, at the path', () => {
    const bytes = qcow2Bytes();
    const probe = { ...fileProbe(bytes), qcow2End: bytes.length + 4096 } as ImageProbe;
    const { issues } = judgeImage(QCOW2, probe);
    expect(issues.map((i) => [i.code, i.pointer])).toEqual([['image.truncated', '/vm/image/path']]);
    expect(issues[0]?.message).toBe(
      `the image images/guest.qcow2 ends after ${bytes.length} bytes, but its qcow2 tables point at clusters up to byte ${bytes.length + 4096} — it was cut short; copy it again`,
    );
    expect(judgeImage(QCOW2, { ...fileProbe(bytes), qcow2End: bytes.length } as ImageProbe).issues).toEqual(
      [],
    );
  });
});
