/**
 * The site kit's LIBVIRT_XML_SCRIPT run for real (python3) on the job ad condor_vm-gahp 23.9.6 gave it on the
 * lab pool (fixtures/recorded/vm-gahp-job-ad-23.9.6.ad, kept with LIBVIRT_XML_SCRIPT_ARGS = --record DIR),
 * with single attributes changed per case.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSiteOptions, type SiteOptions } from '../../src/site/options.js';
import { renderSiteConfig } from '../../src/site/render-site-config.js';

const RECORDED = readFileSync(
  path.join(import.meta.dirname, '../../fixtures/recorded/vm-gahp-job-ad-23.9.6.ad'),
  'utf8',
);
const tmp = mkdtempSync(path.join(tmpdir(), 'vmdag-site-test-'));
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
};

let n = 0;
function scriptFor(opts: SiteOptions): string {
  const dir = path.join(tmp, `kit-${n++}`);
  const files = renderSiteConfig(resolveSiteOptions({ stateDir: path.join(dir, 'state'), ...BASE, ...opts }));
  const script = files.find((f) => f.mode === 0o755);
  if (!script) throw new Error('no script rendered');
  const file = path.join(dir, 'vmdag-libvirt-xml');
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(file, script.content, { mode: 0o755 });
  return file;
}

/** The recorded ad with attributes replaced or added (`undefined` removes one); VM_WORKING_DIR is a fresh
 * folder unless given (the recorded one is the lab's). */
function ad(given: Record<string, string | undefined> = {}): string {
  const changes = { VM_WORKING_DIR: JSON.stringify(mkdtempSync(path.join(tmp, 'work-'))), ...given };
  const lines = RECORDED.split('\n').filter((l) => {
    const name = /^(\w+) = /.exec(l)?.[1]?.toLowerCase();
    return !name || !Object.keys(changes).some((k) => k.toLowerCase() === name);
  });
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) lines.push(`${k} = ${v}`);
  return `${lines.join('\n')}\n`;
}

function run(script: string, input: string) {
  const r = spawnSync('python3', [script], { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
// biome-ignore lint/suspicious/noExplicitAny: parsed domain XML is checked field by field below
function domain(xml: string): any {
  return parser.parse(xml).domain;
}
// biome-ignore lint/suspicious/noExplicitAny: as above
function list(v: any): any[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

describe('vmdag-libvirt-xml on the recorded VM job ad', () => {
  it('tcg: type qemu, no host CPU, virtio read-only disk, bridge NIC, direct boot with the identity', () => {
    const work = mkdtempSync(path.join(tmp, 'scratch-'));
    const r = run(scriptFor({ emulation: 'tcg' }), ad({ VM_WORKING_DIR: JSON.stringify(work) }));
    expect(r.status, r.stderr).toBe(0);
    const d = domain(r.stdout);
    expect(d['@type']).toBe('qemu');
    expect(d.cpu).toBeUndefined();
    expect(d.name).toBe('vmdag_vmdag-lab_56.0');
    expect(d.memory).toMatchObject({ '#text': 512, '@unit': 'MiB' });
    expect(d.vcpu).toBe(1);
    expect(d.os.kernel).toBe('/srv/vmdag/vmlinuz');
    expect(d.os.initrd).toBe('/srv/vmdag/initrd.img');
    expect(String(d.os.cmdline).split(' ')).toEqual(
      expect.arrayContaining([
        'vmdag.wf=guesttest-1',
        'vmdag.owner=vmdag',
        'vmdag.lease=900',
        'vmdag.mem=512',
        'vmdag.pool=10.213.7.1:9618',
        'vmdag.sched=vmdag-lab',
      ]),
    );
    const [disk, scratch, ...more] = list(d.devices.disk);
    expect(more).toEqual([]);
    // the guest's execute dir: a sparse file in the job's scratch dir, writable
    expect(scratch.serial).toBe('vmdag-scratch');
    expect(scratch.source['@file']).toBe(path.join(work, 'vmdag-scratch.img'));
    expect(scratch).not.toHaveProperty('readonly');
    expect(statSync(scratch.source['@file']).size).toBe(8192 * 2 ** 20);
    expect(statSync(scratch.source['@file']).blocks).toBe(0);
    expect(disk.source['@file']).toBe('/var/lib/vmdag/guest/trixie-f71a3c6e6f70/guest.img');
    expect(disk.target).toMatchObject({ '@dev': 'vda', '@bus': 'virtio' });
    expect(disk.driver['@type']).toBe('raw');
    expect(disk).toHaveProperty('readonly');
    // The gahp passes the EP's VM_NETWORKING_BRIDGE_INTERFACE as VMPARAM_Bridge_Interface.
    expect(d.devices.interface).toMatchObject({ '@type': 'bridge', source: { '@bridge': 'vmdagbr0' } });
    expect(d.devices.interface.model['@type']).toBe('virtio');
    expect(d.on_poweroff).toBe('destroy');
  });

  it('kvm: type kvm with the host CPU', () => {
    const d = domain(run(scriptFor({ emulation: 'kvm' }), ad()).stdout);
    expect(d['@type']).toBe('kvm');
    expect(d.cpu['@mode']).toBe('host-passthrough');
  });

  it('takes kernel and initrd only from the configuration, and cannot be steered through the ad', () => {
    const r = run(
      scriptFor({ emulation: 'tcg' }),
      ad({
        VMPARAM_Xen_Kernel: '"/home/evil/vmlinuz"',
        VMPARAM_Xen_Initrd: '"/home/evil/initrd"',
        VMPARAM_Xen_Kernel_Params: '"init=/bin/sh"',
        VmWorkflowId: '"42 vmdag.pool=203.0.113.9 init=/bin/sh"',
        Owner: '"vm\\"dag</cmdline>"',
      }),
    );
    expect(r.status, r.stderr).toBe(0);
    const d = domain(r.stdout);
    expect(d.os.kernel).toBe('/srv/vmdag/vmlinuz');
    expect(d.os.initrd).toBe('/srv/vmdag/initrd.img');
    const words = String(d.os.cmdline).split(' ');
    expect(words.filter((w) => w.startsWith('vmdag.pool='))).toEqual(['vmdag.pool=10.213.7.1:9618']);
    expect(words).toContain('vmdag.wf=42vmdag.pool203.0.113.9initbinsh');
    expect(words).toContain('vmdag.owner=vmdagcmdline');
    expect(words.some((w) => w.startsWith('init='))).toBe(false);
  });

  it('caps the lease, and uses the cap when the job gives none', () => {
    const s = scriptFor({ emulation: 'tcg' });
    expect(domain(run(s, ad({ VmLeaseSeconds: '999999' })).stdout).os.cmdline).toContain('vmdag.lease=3600');
    expect(domain(run(s, ad({ VmLeaseSeconds: undefined })).stdout).os.cmdline).toContain('vmdag.lease=3600');
  });

  it('boots from the disk when the site gives no kernel', () => {
    const d = domain(run(scriptFor({ emulation: 'kvm', kernel: '', initrd: '' }), ad()).stdout);
    expect(d.os.kernel).toBeUndefined();
    expect(d.os.boot['@dev']).toBe('hd');
  });

  it('puts a file token on a root-only seed disk, not on the command line', () => {
    const tokenFile = path.join(tmp, 'guest.token');
    writeFileSync(tokenFile, 'header.payload.signature\n', { mode: 0o600 });
    const dir = path.join(tmp, `seeded-${n}`);
    const s = scriptFor({ emulation: 'tcg', guestToken: tokenFile, stateDir: dir });
    const r = run(s, ad());
    expect(r.status, r.stderr).toBe(0);
    const d = domain(r.stdout);
    expect(d.os.cmdline).not.toContain('header.payload');
    const seed = list(d.devices.disk).find((x) => x.serial === 'vmdag-seed');
    expect(seed.source['@file']).toBe(path.join(dir, 'seeds', 'vmdag_vmdag-lab_56.0.seed'));
    expect(seed).toHaveProperty('readonly');
    const st = statSync(seed.source['@file']);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(65536);
    expect(readFileSync(seed.source['@file'], 'utf8').split('\n').slice(0, 3)).toEqual([
      'vmdag-seed 1',
      'token header.payload.signature',
      'end',
    ]);
  });

  it('refuses a job that is not vm_type kvm', () => {
    const r = run(scriptFor({ emulation: 'tcg' }), ad({ JobVMType: '"xen"' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/only vm_type = kvm/);
    expect(r.stdout).toBe('');
  });
});

/** qemu-img on this host, else the lab's (its chroot sees /tmp at the same path). */
function findQemuImg(): string | undefined {
  if (existsSync('/usr/bin/qemu-img')) return '/usr/bin/qemu-img';
  try {
    const st = JSON.parse(readFileSync('/var/lib/vmdag/lab/current/state.json', 'utf8')) as { root?: string };
    if (st.root && existsSync(path.join(st.root, 'usr/bin/qemu-img'))) {
      const w = path.join(tmp, 'qemu-img');
      writeFileSync(w, `#!/bin/sh\nexec chroot ${st.root} /usr/bin/qemu-img "$@"\n`, { mode: 0o755 });
      return w;
    }
  } catch {}
  return undefined;
}
const qemuImg = findQemuImg();

describe.skipIf(!qemuImg)('differential disks (qemu-img)', () => {
  it('boots a qcow2 overlay in the job scratch dir and never writes the base', () => {
    const work = mkdtempSync(path.join(tmp, 'scratch-'));
    const base = path.join(tmp, 'base.raw');
    writeFileSync(base, Buffer.alloc(1 << 20, 7));
    const before = createHash('sha256').update(readFileSync(base)).digest('hex');
    const s = scriptFor({ emulation: 'tcg', qemuImg });
    const r = run(
      s,
      ad({
        VmDifferential: 'true',
        VM_WORKING_DIR: JSON.stringify(work),
        VMPARAM_vm_Disk: JSON.stringify(`${base}:vda:r:raw`),
      }),
    );
    expect(r.status, r.stderr).toBe(0);
    const disk = list(domain(r.stdout).devices.disk)[0];
    const overlay = path.join(work, 'vmdag-overlay-0.qcow2');
    expect(disk.source['@file']).toBe(overlay);
    expect(disk.driver['@type']).toBe('qcow2');
    expect(disk).not.toHaveProperty('readonly');
    const info = JSON.parse(
      execFileSync(qemuImg as string, ['info', '--output=json', overlay], { encoding: 'utf8' }),
    );
    expect(info['backing-filename']).toBe(base);
    expect(info['backing-filename-format']).toBe('raw');
    expect(createHash('sha256').update(readFileSync(base)).digest('hex')).toBe(before);
  });
});

/** The lab's qemu (its chroot sees /tmp and /var/lib/vmdag at the same paths), and the cached guest kernel. */
function probeKit(): { qemu: string; kernel: string; initrd: string } | undefined {
  try {
    const st = JSON.parse(readFileSync('/var/lib/vmdag/lab/current/state.json', 'utf8')) as { root?: string };
    const root = st.root;
    if (!root || !existsSync(path.join(root, 'usr/bin/qemu-system-x86_64'))) return undefined;
    const guests = '/var/lib/vmdag/guest';
    const build = existsSync(guests)
      ? execFileSync('ls', ['-t', guests], { encoding: 'utf8' })
          .split('\n')
          .find((d) => /^trixie-[0-9a-f]{12}$/.test(d))
      : undefined;
    if (!build) return undefined;
    const kernel = path.join(guests, build, 'vmlinuz');
    if (!existsSync(path.join(root, kernel))) return undefined;
    const qemu = path.join(tmp, 'qemu-system-x86_64');
    writeFileSync(qemu, `#!/bin/sh\nexec chroot ${root} /usr/bin/qemu-system-x86_64 "$@"\n`, { mode: 0o755 });
    return { qemu, kernel, initrd: path.join(guests, build, 'initrd.img') };
  } catch {
    return undefined;
  }
}
const probe = probeKit();

describe.skipIf(!probe)('--emulation auto (probe boot under KVM)', () => {
  it('chooses by booting the guest kernel once under KVM, then answers from its cache', {
    timeout: 60_000,
  }, () => {
    const state = mkdtempSync(path.join(tmp, 'probe-'));
    const s = scriptFor({ emulation: 'auto', ...probe, stateDir: state });
    const t0 = Date.now();
    const first = run(s, ad());
    const probeSeconds = (Date.now() - t0) / 1000;
    expect(first.status, first.stderr).toBe(0);
    const answer = readFileSync(path.join(state, 'emulation-probe'), 'utf8').trim();
    expect(['kvm', 'tcg']).toContain(answer);
    expect(domain(first.stdout)['@type']).toBe(answer === 'kvm' ? 'kvm' : 'qemu');
    expect(first.stderr).toMatch(/emulation probe: (kvm works|kvm unusable, using tcg)/);
    const t1 = Date.now();
    const second = run(s, ad());
    expect(domain(second.stdout)['@type']).toBe(answer === 'kvm' ? 'kvm' : 'qemu');
    expect(second.stderr).not.toMatch(/emulation probe/);
    process.stderr.write(
      `emulation probe: ${answer} in ${probeSeconds} s; cached answer in ${(Date.now() - t1) / 1000} s\n`,
    );
    expect(probeSeconds).toBeLessThan(25);
  });
});
