/**
 * Helpers of the tests that run the site kit's LIBVIRT_XML_SCRIPT for real (python3) on the job ad condor_vm-gahp 23.9.6 gave it on the
 * lab pool (fixtures/recorded/vm-gahp-job-ad-23.9.6.ad, kept with LIBVIRT_XML_SCRIPT_ARGS = --record DIR),
 * with single attributes changed per case.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll } from 'vitest';
import { resolveSiteOptions, type SiteOptions } from '../../src/site-kit/options.js';
import { renderSiteConfig } from '../../src/site-kit/render-site-config.js';

const RECORDED = readFileSync(
  path.join(import.meta.dirname, '../../fixtures/recorded/vm-gahp-job-ad-23.9.6.ad'),
  'utf8',
);
export const tmp = mkdtempSync(path.join(tmpdir(), 'vmdag-site-test-'));
afterAll(() => {
  spawnSync('rm', ['-rf', tmp]);
});

const BASE: SiteOptions = {
  kernel: '/srv/vmdag/vmlinuz',
  initrd: '/srv/vmdag/initrd.img',
  bridge: 'br-site',
  scheddName: 'vmdag-lab',
  pool: '10.213.7.1:9618',
  maxLeaseSeconds: 3600,
  guestToken: 'none',
  consoleDir: '',
  // The recorded ad names the lab's image of its day, not on this host: the disk check has its own cases
  // (libvirt-xml-qemu.test.ts, with qemu-img).
  checkDisks: false,
};

let n = 0;
export function scriptFor(opts: SiteOptions): string {
  const dir = path.join(tmp, `kit-${n++}`);
  const files = renderSiteConfig(resolveSiteOptions({ stateDir: path.join(dir, 'state'), ...BASE, ...opts }));
  const script = files.find((f) => f.path.endsWith('/vmdag-libvirt-xml'));
  if (!script) throw new Error('no script rendered');
  const file = path.join(dir, 'vmdag-libvirt-xml');
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(file, script.content, { mode: 0o755 });
  return file;
}

/** The recorded ad with attributes replaced or added (`undefined` removes one); VM_WORKING_DIR is a fresh
 * folder unless given (the recorded one is the lab's). */
export function ad(given: Record<string, string | undefined> = {}): string {
  const changes = { VM_WORKING_DIR: JSON.stringify(mkdtempSync(path.join(tmp, 'work-'))), ...given };
  const lines = RECORDED.split('\n').filter((l) => {
    const name = /^(\w+) = /.exec(l)?.[1]?.toLowerCase();
    return !name || !Object.keys(changes).some((k) => k.toLowerCase() === name);
  });
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) lines.push(`${k} = ${v}`);
  return `${lines.join('\n')}\n`;
}

export function run(script: string, input: string) {
  const r = spawnSync('python3', [script], { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
// biome-ignore lint/suspicious/noExplicitAny: parsed domain XML is checked field by field below
export function domain(xml: string): any {
  return parser.parse(xml).domain;
}
// biome-ignore lint/suspicious/noExplicitAny: as above
export function list(v: any): any[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
