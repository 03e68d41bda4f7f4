/**
 * The staging decision (pure) and this host's view of an images folder: when a local image is staged once
 * per run, when it falls back to HTCondor file transfer with each VM job, and when it is used in place.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_IMAGES_DIR,
  imagesFolderOf,
  probeFolder,
  resolveLocalImages,
} from '../../src/image-staging/images-folder.js';
import { stagingAt } from '../../src/image-staging/staging-at.js';
import { decideStaging, type StagingInput, stagedName } from '../../src/image-staging/staging-decision.js';
import { makeVm } from '../plan/make-workflow.js';

const SHA = 'ab'.repeat(32);
const base: StagingInput = {
  site: 'org-a',
  transfer: 'shared',
  location: 'local',
  format: 'qcow2',
  differential: true,
  count: 4,
  sha256: SHA,
  bytes: 1000,
  folder: { dir: '/shared/images/', from: 'catalog', state: 'writable' },
};

describe('decideStaging', () => {
  it('stages a differential local image once, content-addressed, in the site folder', () => {
    const d = decideStaging(base);
    expect(d).toMatchObject({
      delivery: 'staged',
      stagedPath: `/shared/images/vmdag-${SHA}.qcow2`,
      reuse: false,
      copies: 1,
    });
    expect(d.createFolder).toBeUndefined();
    expect(d.reason).toMatch(/copied once for this run into org-a's images folder/);
  });

  it('reuses a copy already staged with the same name and size, copying nothing', () => {
    const d = decideStaging({ ...base, existingBytes: 1000 });
    expect(d).toMatchObject({ delivery: 'staged', reuse: true, copies: 0 });
    expect(d.reason).toMatch(/reused, not copied/);
  });

  it('copies again over a file of the wrong size at the staged path', () => {
    expect(decideStaging({ ...base, existingBytes: 999 })).toMatchObject({ reuse: false, copies: 1 });
  });

  it('marks a creatable folder (the local pool default) to be made first', () => {
    const d = decideStaging({
      ...base,
      folder: { dir: DEFAULT_IMAGES_DIR, from: 'default', state: 'creatable' },
    });
    expect(d).toMatchObject({ delivery: 'staged', createFolder: true });
    expect(d.stagedPath).toBe(`${DEFAULT_IMAGES_DIR}/${stagedName(SHA, 'qcow2')}`);
  });

  it('uses a cluster image in place: nothing crosses', () => {
    expect(decideStaging({ ...base, location: 'cluster' })).toMatchObject({
      delivery: 'in-place',
      copies: 0,
    });
  });

  it('falls back to one transfer per VM for a writable (non-differential) disk, and says why', () => {
    const d = decideStaging({ ...base, differential: false });
    expect(d).toMatchObject({ delivery: 'per-vm', copies: 4 });
    expect(d.stagedPath).toBeUndefined();
    expect(d.reason).toMatch(/4 copies.*differential: false/);
  });

  it('falls back to one transfer per VM when the site has no usable images folder', () => {
    const none = { ...base };
    delete none.folder;
    expect(decideStaging(none).reason).toMatch(/org-a names no images folder/);
    expect(decideStaging({ ...none, site: 'local' }).reason).toMatch(/VMDAG_IMAGES/);
    for (const [state, words] of [
      ['missing', /does not exist here/],
      ['read-only', /not writable from this host/],
      ['not-a-folder', /is not a folder/],
    ] as const) {
      const d = decideStaging({ ...base, folder: { dir: '/shared/images', from: 'catalog', state } });
      expect(d.delivery).toBe('per-vm');
      expect(d.reason).toMatch(words);
    }
  });

  it('a site the run travels to (transfer: spool): never staged, the image goes with the run to each VM', () => {
    const reason =
      "the run travels to the site with its files (transfer: spool): the image goes once with the run and from the site's spool to each VM";
    const spool: StagingInput = { ...base, transfer: 'spool' };
    // Even with a writable images folder, an image already staged there, or differential: false.
    for (const given of [spool, { ...spool, existingBytes: 1000 }, { ...spool, differential: false }]) {
      const d = decideStaging(given);
      expect(d).toEqual({ delivery: 'per-vm', copies: 4, reason });
    }
    // A cluster image is the site's own: used in place as ever.
    expect(decideStaging({ ...spool, location: 'cluster' })).toMatchObject({
      delivery: 'in-place',
      copies: 0,
    });
  });

  it('names raw images .raw and lower-cases the hash', () => {
    expect(stagedName(SHA.toUpperCase(), 'raw')).toBe(`vmdag-${SHA}.raw`);
  });
});

describe('images folder of a site', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'vmdag-stage-folder-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('catalog sites use their images entry and only that; the local pool defaults to /var/lib/vmdag/images', () => {
    const local = (env: Record<string, string>) => resolveLocalImages(env, '/w');
    expect(imagesFolderOf({ name: 'org-a', pool: 'cm:9618', images: '/shared' }, local({}))).toEqual({
      dir: '/shared',
      from: 'catalog',
    });
    expect(imagesFolderOf({ name: 'org-a', pool: 'cm:9618' }, local({ VMDAG_IMAGES: '/x' }))).toBeUndefined();
    expect(imagesFolderOf({ name: 'local' }, local({}))).toEqual({
      dir: DEFAULT_IMAGES_DIR,
      from: 'default',
    });
    expect(imagesFolderOf({ name: 'local' }, local({ VMDAG_IMAGES: '/srv/img' }))).toEqual({
      dir: '/srv/img',
      from: 'env',
    });
    expect(imagesFolderOf({ name: 'local' }, local({ VMDAG_IMAGES: 'img' }))).toEqual({
      dir: '/w/img',
      from: 'env',
    });
    expect(imagesFolderOf({ name: 'local' }, local({ VMDAG_IMAGES: '' }))).toBeUndefined();
    expect(imagesFolderOf({ name: 'local' }, local({ VMDAG_IMAGES: 'none' }))).toBeUndefined();
  });

  it("a spool site's writable images folder is not used: the run's image goes with the run", () => {
    const dir = join(scratch, 'org-a-images');
    mkdirSync(dir);
    const site = { name: 'org-a', pool: 'cm:9618', images: dir };
    const facts = { sha256: SHA, bytes: 1000 };
    expect(stagingAt({ ...site, transfer: 'shared' }, makeVm(), facts, 'none').delivery).toBe('staged');
    expect(stagingAt({ ...site, transfer: 'spool' }, makeVm(), facts, 'none')).toMatchObject({
      delivery: 'per-vm',
      copies: 2,
    });
  });

  it('probes the folder as this host sees it', () => {
    const dir = join(scratch, 'images');
    expect(probeFolder(dir, false)).toBe('missing');
    expect(probeFolder(join(dir, 'a', 'b'), true)).toBe('creatable');
    mkdirSync(dir);
    expect(probeFolder(dir, false)).toBe('writable');
    writeFileSync(join(scratch, 'file'), '');
    expect(probeFolder(join(scratch, 'file'), false)).toBe('not-a-folder');
    expect(probeFolder('relative/images', true)).toBe('missing');
    chmodSync(dir, 0o555);
    // root may write anywhere: read-only is seen only by other users
    expect(probeFolder(dir, false)).toBe(process.getuid?.() === 0 ? 'writable' : 'read-only');
  });
});
