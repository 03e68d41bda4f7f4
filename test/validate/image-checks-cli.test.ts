/**
 * Issue 19, caught before submitting: a workflow whose image is not what it says is refused by `validate`,
 * `compile`, `plan` and `submit` with the same diagnostics (FILE:LINE:COL at `vm.image.path` or
 * `vm.image.format`), all problems at once, nothing written. Real files in a temp folder: qcow2 images from
 * test/image-files.ts (written from QEMU's qcow2 specification; qemu-img is not needed), raw ones of zeros
 * or random bytes. `plan` runs on a stand-in HTCondor that replays condor_status output recorded from the lab
 * pool (test/site-catalog/recorded/), so the image's report shows without a pool.
 */

import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCompile } from '../../src/commands/compile.js';
import { runPlan } from '../../src/commands/plan.js';
import { runValidate } from '../../src/commands/validate.js';
import type { CondorContext } from '../../src/condor/exec.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import { resolveSubmitOptions, submitRun } from '../../src/usecases/submit.js';
import { capture } from '../capture-output.js';
import { qcow2Bytes, writeQcow2, writeRaw } from '../image-files.js';
import { requireOrSkip } from '../lab/lab-context.js';

const MiB = 2 ** 20;
const work = mkdtempSync(join(tmpdir(), 'vmdag-image-checks-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const img = (name: string) => join(work, 'images', name);
mkdirSync(join(work, 'bin'));
mkdirSync(join(work, 'images', 'folder.qcow2'), { recursive: true });
writeFileSync(join(work, 'bin', 'app'), '#!/bin/sh\n', { mode: 0o755 });
writeQcow2(img('good.qcow2'), { virtualBytes: 2 * 2 ** 30 });
writeQcow2(img('good-v2.qcow2'), { version: 2 });
writeRaw(img('good.img'), MiB);
writeRaw(img('raw.img'), 2 * MiB);
writeRaw(img('empty.img'), 0);
writeRaw(img('tiny.img'), 1000);
writeRaw(img('blank.img'), 2 * MiB, { blank: true });
writeFileSync(img('random.bin'), randomBytes(4 * MiB));
writeFileSync(img('cut-header.qcow2'), qcow2Bytes().subarray(0, 60));
writeFileSync(img('cut-tables.qcow2'), qcow2Bytes().subarray(0, 4096));
writeQcow2(img('overlay.qcow2'), { backingFile: 'base-gone.qcow2' });
writeQcow2(img('overlay-ok.qcow2'), { backingFile: 'good.qcow2' });

/**
 * A file this user cannot open for reading (EACCES): mode 000, or for root (who reads any file) a write-only
 * sysfs attribute. None found: the EACCES cases are skipped (under CI they fail, saying so).
 */
function unreadableFile(): string | undefined {
  const candidates =
    process.getuid?.() === 0
      ? ['/sys/bus/pci/rescan', '/sys/bus/platform/drivers_probe']
      : [writeRaw(img('secret.img'), MiB)];
  for (const p of candidates) {
    try {
      if (!p.startsWith('/sys/')) chmodSync(p, 0o000);
      closeSync(openSync(p, 'r'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') return p;
    }
  }
  return undefined;
}
const UNREADABLE = unreadableFile();
const needsUnreadable = requireOrSkip(
  UNREADABLE,
  process.getuid?.() === 0
    ? 'a file root cannot open for reading (neither /sys/bus/pci/rescan nor /sys/bus/platform/drivers_probe refused with EACCES)'
    : 'a file this user cannot open for reading: chmod 000 did not make one (EACCES)',
);

interface Image {
  path: string;
  location?: 'local' | 'cluster';
  format?: 'qcow2' | 'raw';
  sha256?: string;
}

/**
 * A workflow naming `image`: `path` is on line 6 (its value at column 11), `format` on line 8 (column 13)
 * when given. `cpus` > 1 breaks rule.compute-cpus too.
 */
function workflow(name: string, image: Image, cpus = 1): string {
  const lines = [
    'version: 1',
    `name: ${name}`,
    'vm:',
    '  hypervisor: kvm',
    '  image:',
    `    path: ${image.path}`,
    `    location: ${image.location ?? 'local'}`,
    ...(image.format ? [`    format: ${image.format}`] : []),
    ...(image.sha256 ? [`    sha256: "${image.sha256}"`] : []),
    '  count: 1',
    '  cpus: 1',
    '  memory: 512MiB',
    'compute:',
    `  cpus: ${cpus}`,
    '  memory: 256MiB',
    '  executable: bin/app',
  ];
  writeFileSync(join(work, `${name}.yaml`), `${lines.join('\n')}\n`);
  return `${name}.yaml`;
}

const io = { cwd: work, env: {} };

/** validate --json and compile --json of one file: the same diagnostics, and compile wrote nothing. */
async function both(file: string): Promise<{ code: number; diagnostics: Diagnostic[] }> {
  const v = capture();
  const vCode = await runValidate([file], { json: true }, v, io);
  const c = capture();
  const outDir = join(work, `${file}.run`);
  const cCode = await runCompile([file], { json: true, output: outDir }, c, io);
  const vDoc = JSON.parse(v.stdout) as { diagnostics: Diagnostic[] };
  expect(cCode, c.stdout + c.stderr).toBe(vCode);
  if (vCode !== 0) {
    expect(JSON.parse(c.stdout), 'compile and validate agree').toEqual(vDoc);
    expect(existsSync(outDir), 'compile wrote nothing').toBe(false);
  }
  return { code: vCode, diagnostics: vDoc.diagnostics };
}

type Want = [code: string, line: number, column: number, says: RegExp];
const AT_PATH = [6, 11] as const;
const AT_FORMAT = [8, 13] as const;

const refused: [string, { image: Image; want: Want[] }][] = [
  [
    'a folder, not a file',
    {
      image: { path: 'images/folder.qcow2' },
      want: [['image.not-a-file', ...AT_PATH, /^the image images\/folder\.qcow2 is a folder, not a file$/]],
    },
  ],
  [
    'a local image that is missing',
    {
      image: { path: 'images/gone.qcow2' },
      want: [['rule.file-missing', ...AT_PATH, /image "images\/gone\.qcow2" does not exist/]],
    },
  ],
  [
    'a raw file declared qcow2',
    {
      image: { path: 'images/raw.img', format: 'qcow2' },
      want: [
        [
          'image.format-mismatch',
          ...AT_FORMAT,
          /^the image images\/raw\.img is raw, not qcow2 .* but the workflow says qcow2 — set `format: raw` or convert it with `qemu-img convert -O qcow2 images\/raw\.img images\/raw\.img\.qcow2`$/,
        ],
      ],
    },
  ],
  [
    'a raw file, qcow2 by default (no format written): at the path',
    {
      image: { path: 'images/raw.img' },
      want: [['image.format-mismatch', ...AT_PATH, /the workflow says qcow2 \(the default\)/]],
    },
  ],
  [
    'a qcow2 file declared raw',
    {
      image: { path: 'images/good.qcow2', format: 'raw' },
      want: [
        [
          'image.format-mismatch',
          ...AT_FORMAT,
          /is qcow2 \(version 3\), but the workflow says raw — set `format: qcow2` or convert it/,
        ],
      ],
    },
  ],
  [
    '4 MiB of random bytes declared qcow2: not qcow2',
    {
      image: { path: 'images/random.bin', format: 'qcow2' },
      want: [['image.format-mismatch', ...AT_FORMAT, /is raw, not qcow2 \(it does not begin with/]],
    },
  ],
  [
    'an empty file',
    {
      image: { path: 'images/empty.img', format: 'raw' },
      want: [['image.too-small', ...AT_PATH, /^the image images\/empty\.img is empty \(0 bytes\)$/]],
    },
  ],
  [
    'a raw image of zeros (no partition table, no file system)',
    {
      image: { path: 'images/blank.img', format: 'raw' },
      want: [
        [
          'image.no-file-system',
          ...AT_PATH,
          /^the image images\/blank\.img holds no partition table and no file system/,
        ],
      ],
    },
  ],
  [
    'a raw image under 1 MiB',
    {
      image: { path: 'images/tiny.img', format: 'raw' },
      want: [['image.too-small', ...AT_PATH, /is a raw disk of 1000 bytes, too small/]],
    },
  ],
  [
    'a qcow2 cut inside its header',
    {
      image: { path: 'images/cut-header.qcow2' },
      want: [['image.truncated', ...AT_PATH, /ends after 60 bytes, inside its qcow2 header/]],
    },
  ],
  [
    'a qcow2 cut after its first cluster',
    {
      image: { path: 'images/cut-tables.qcow2' },
      want: [
        ['image.truncated', ...AT_PATH, /before its qcow2 L1 table/],
        ['image.truncated', ...AT_PATH, /before its qcow2 refcount table/],
      ],
    },
  ],
  [
    'a qcow2 overlay whose backing file is gone',
    {
      image: { path: 'images/overlay.qcow2' },
      want: [
        [
          'image.backing-missing',
          ...AT_PATH,
          new RegExp(`backing file base-gone\\.qcow2 \\(${img('base-gone.qcow2')}\\), which does not exist`),
        ],
      ],
    },
  ],
  [
    'a cluster image visible here is checked too',
    {
      image: { path: img('raw.img'), location: 'cluster', format: 'qcow2' },
      want: [['image.format-mismatch', ...AT_FORMAT, /is raw, not qcow2/]],
    },
  ],
];

describe('validate and compile refuse an image that is not what the workflow says', () => {
  refused.forEach(([name, { image, want }], i) => {
    it(name, async () => {
      const r = await both(workflow(`bad-${i}`, image));
      expect(r.code).toBe(1);
      expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual(
        want.map(([c, l, col]) => [c, l, col]),
      );
      want.forEach(([, , , says], k) => {
        expect(r.diagnostics[k]?.message).toMatch(says);
        expect(r.diagnostics[k]?.file).toBe(`bad-${i}.yaml`);
      });
    });
  });

  needsUnreadable.it('an image this user cannot read (EACCES)', async () => {
    const r = await both(workflow('unreadable', { path: UNREADABLE as string, format: 'raw' }));
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.pointer])).toEqual([
      ['image.unreadable', ...AT_PATH, '/vm/image/path'],
    ]);
    expect(r.diagnostics[0]?.message).toMatch(/^cannot read the image .*: permission denied \(EACCES\)$/);
  });

  it('every problem at once: the image and the rest of the file', async () => {
    const r = await both(workflow('many', { path: 'images/tiny.img', format: 'qcow2' }, 4));
    expect(r.diagnostics.map((d) => d.code)).toEqual([
      'image.too-small',
      'image.format-mismatch',
      'rule.compute-cpus',
    ]);
  });

  it('text: FILE:LINE:COL: error: MESSAGE [CODE] on stderr', async () => {
    const o = capture();
    expect(
      await runValidate([workflow('text', { path: 'images/raw.img', format: 'qcow2' })], {}, o, io),
    ).toBe(1);
    expect(o.stderr).toMatch(
      /^text\.yaml:8:13: error: the image images\/raw\.img is raw, not qcow2 .* \[image\.format-mismatch\]\n$/,
    );
  });

  const sound: [string, Image][] = [
    ['qcow2 v3', { path: 'images/good.qcow2' }],
    ['qcow2 v2', { path: 'images/good-v2.qcow2', format: 'qcow2' }],
    ['raw of exactly 1 MiB', { path: 'images/good.img', format: 'raw' }],
    ['a qcow2 overlay whose backing file is there', { path: 'images/overlay-ok.qcow2' }],
    [
      'a cluster image not visible here (not checked)',
      { path: '/nonexistent/shared/g.qcow2', location: 'cluster' },
    ],
  ];
  sound.forEach(([name, image], i) => {
    it(`accepts ${name}`, async () => {
      const r = await both(workflow(`ok-${i}`, image));
      expect(r).toEqual({ code: 0, diagnostics: [] });
    });
  });
  needsUnreadable.it('a cluster image this user cannot read is not checked, not refused', async () => {
    const r = await both(workflow('cluster-unreadable', { path: UNREADABLE as string, location: 'cluster' }));
    expect(r).toEqual({ code: 0, diagnostics: [] });
  });
});

/** A stand-in HTCondor: condor_status answers with the lab pool's recorded output; anything else fails. */
function recordedCondor(): CondorContext {
  const rec = join(import.meta.dirname, '../site-catalog/recorded');
  const script = join(work, 'recorded-condor');
  writeFileSync(
    script,
    `#!/bin/sh
[ "$1" = condor_status ] || { echo "recorded-condor: $1 was not recorded" >&2; exit 1; }
case " $* " in
  *" -schedd "*) exec cat "${rec}/lab-schedds.stdout" ;;
  *" -collector "*) exec cat "${rec}/lab-collector.stdout" ;;
  *) exec cat "${rec}/lab-vm-slots.stdout" ;;
esac
`,
    { mode: 0o755 },
  );
  return { prefix: [script] };
}
const CONDOR = recordedCondor();
/** HTCondor that cannot be started: a command that reaches it fails with exit 3. */
const NO_CONDOR: CondorContext = { prefix: ['/nonexistent/condor-prefix'] };
const planIo = (ctx: CondorContext) => ({
  cwd: work,
  env: { VMDAG_IMAGES: 'none' },
  condor: async () => ctx,
});

describe('plan says whether the image was checked', () => {
  it('text: checked, with what it is', async () => {
    const o = capture();
    const code = await runPlan([workflow('plan-ok', { path: 'images/good.qcow2' })], {}, o, planIo(CONDOR));
    expect(code, o.stderr).toBe(0);
    expect(o.stdout).toContain('\n  checked here: qcow2 v3, 2.0 GiB virtual\n');
  });
  it('--json: image.check', async () => {
    const o = capture();
    const file = workflow('plan-raw', { path: 'images/good.img', format: 'raw' });
    expect(await runPlan([file], { json: true }, o, planIo(CONDOR))).toBe(0);
    expect(JSON.parse(o.stdout).image.check).toEqual({
      checked: true,
      summary: 'raw, 1.0 MiB',
      format: 'raw',
      virtualBytes: MiB,
    });
  });
  it('a cluster image not visible here: not checked, and why', async () => {
    const file = workflow('plan-cluster', { path: '/nonexistent/shared/g.qcow2', location: 'cluster' });
    const o = capture();
    expect(await runPlan([file], {}, o, planIo(CONDOR))).toBe(0);
    expect(o.stdout).toContain('\n  not checked here: not visible from this host\n');
    const j = capture();
    await runPlan([file], { json: true }, j, planIo(CONDOR));
    expect(JSON.parse(j.stdout).image.check).toEqual({
      checked: false,
      reason: 'not visible from this host',
    });
  });
  it('a bad image: the diagnostics, before HTCondor is asked anything', async () => {
    const file = workflow('plan-bad', { path: 'images/raw.img', format: 'qcow2' });
    const o = capture();
    expect(await runPlan([file], { json: true }, o, planIo(NO_CONDOR))).toBe(1);
    expect(JSON.parse(o.stdout).diagnostics.map((d: Diagnostic) => [d.code, d.line, d.column])).toEqual([
      ['image.format-mismatch', ...AT_FORMAT],
    ]);
  });
  it('a wrong sha256: a diagnostic at vm.image.sha256', async () => {
    const file = workflow('plan-sum', { path: 'images/good.qcow2', sha256: '0'.repeat(64) });
    const o = capture();
    expect(await runPlan([file], { json: true }, o, planIo(CONDOR))).toBe(1);
    const doc = JSON.parse(o.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatch(/sha256 mismatch: the workflow says 0{64}, the file is [0-9a-f]{64}/);
    expect(doc.diagnostics.map((d: Diagnostic) => [d.code, d.line, d.column, d.pointer])).toEqual([
      ['image.sha256-mismatch', 8, 13, '/vm/image/sha256'],
    ]);
    const t = capture();
    expect(await runPlan([file], {}, t, planIo(CONDOR))).toBe(1);
    expect(t.stderr).toMatch(/^plan-sum\.yaml:8:13: error: .*sha256 mismatch.* \[image\.sha256-mismatch\]$/m);
  });
});

describe('submit refuses before anything is staged, written or submitted', () => {
  const submit = (file: string, ctx: CondorContext) =>
    submitRun(ctx, resolveSubmitOptions({ target: file, output: `${file}.run` }, { cwd: work, env: {} }));
  it('a bad image: the diagnostics validate gives', async () => {
    const file = workflow('submit-bad', { path: 'images/overlay.qcow2' });
    const r = await submit(file, NO_CONDOR);
    expect(r).toMatchObject({ ok: false, kind: 'diagnostics' });
    const v = await both(file);
    expect(r.ok === false && r.kind === 'diagnostics' && r.diagnostics).toEqual(v.diagnostics);
    expect(existsSync(join(work, `${file}.run`))).toBe(false);
  });
  it('a wrong sha256: its diagnostic at vm.image.sha256', async () => {
    const file = workflow('submit-sum', { path: 'images/good.qcow2', sha256: 'f'.repeat(64) });
    const r = await submit(file, CONDOR);
    expect(r.ok === false && r.kind === 'diagnostics' && r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['image.sha256-mismatch', 8],
    ]);
    expect(existsSync(join(work, `${file}.run`))).toBe(false);
  });
});
