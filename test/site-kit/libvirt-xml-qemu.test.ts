/**
 * The site kit's LIBVIRT_XML_SCRIPT with qemu: differential disks made by qemu-img (this host's, else the
 * lab's), and the KVM probe boot (the lab's qemu and cached guest kernel). Lab project.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { requireOrSkip } from '../lab/lab-context.js';
import { ad, domain, list, run, scriptFor, tmp } from './libvirt-xml.js';

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
const NO_QEMU_IMG =
  "qemu-img: neither /usr/bin/qemu-img nor the running lab's (as root: vmdag lab up; or apt-get install qemu-utils)";

requireOrSkip(qemuImg, NO_QEMU_IMG).describe('differential disks (qemu-img)', () => {
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

requireOrSkip(
  probe,
  "the running lab's qemu-system-x86_64 and a cached guest kernel under /var/lib/vmdag/guest (as root: vmdag lab up)",
).describe('--emulation auto (probe boot under KVM)', () => {
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

/**
 * The disk check: a disk that cannot boot is replaced by a path libvirt refuses with "image is not in qcow2
 * format" (so that condor_vm-gahp holds the job with VMGAHP_ERR_BAD_IMAGE instead of taking the node's VM
 * universe offline), and the reason goes to stderr (the VMGahpLog). Images made by the lab's qemu-img.
 */
requireOrSkip(qemuImg, NO_QEMU_IMG).describe("the job's disk, checked before its VM is defined", () => {
  const REFUSED = "/dev/null/vmdag refused the job's disk - image is not in qcow2 format";
  const img = (args: string[]) => execFileSync(qemuImg as string, args, { encoding: 'utf8' });
  const dir = mkdtempSync(path.join(tmp, 'disks-'));
  chmodSync(dir, 0o755);
  /** A raw disk whose bytes carry an ext4 superblock's magic (0xEF53 at 1080), as a real root disk would. */
  const bootableRaw = path.join(dir, 'ext.raw');
  const ext = Buffer.alloc(4 << 20);
  ext.writeUInt16LE(0xef53, 1080);
  writeFileSync(bootableRaw, ext);
  const check = (disk: string, format: string, opts: Record<string, unknown> = {}) => {
    const r = run(
      scriptFor({ emulation: 'tcg', qemuImg, checkDisks: true, ...opts }),
      ad({ VMPARAM_vm_Disk: JSON.stringify(`${disk}:vda:r:${format}`) }),
    );
    expect(r.status, r.stderr).toBe(0);
    const disks = list(domain(r.stdout).devices.disk);
    return { sources: disks.map((d) => d.source['@file']), stderr: r.stderr };
  };
  const refused = (disk: string, format: string, reason: RegExp, opts: Record<string, unknown> = {}) => {
    const r = check(disk, format, opts);
    expect(r.sources).toEqual([REFUSED]);
    expect(r.stderr).toMatch(/refusing the job's disk: /);
    expect(r.stderr).toMatch(reason);
  };

  it('lets a good raw disk and a good qcow2 through unchanged', () => {
    expect(check(bootableRaw, 'raw').sources[0]).toBe(bootableRaw);
    const q = path.join(dir, 'good.qcow2');
    img(['convert', '-O', 'qcow2', bootableRaw, q]);
    expect(check(q, 'qcow2').sources[0]).toBe(q);
  });

  it('refuses a raw file the job calls qcow2, and a qcow2 it calls raw, naming both formats', () => {
    refused(bootableRaw, 'qcow2', /is raw but the job says qcow2 — set `format: raw`/);
    const q = path.join(dir, 'q.qcow2');
    img(['create', '-q', '-f', 'qcow2', q, '64M']);
    refused(q, 'raw', /is qcow2 but the job says raw/);
  });

  it('refuses random bytes, a folder, a file too small, a truncated qcow2 and a missing backing file', () => {
    const random = path.join(dir, 'random.img');
    writeFileSync(random, Buffer.from(Array.from({ length: 2 << 20 }, (_, i) => (i * 7919 + 13) % 251)));
    refused(random, 'raw', /holds no partition table and no file system/);
    const folder = path.join(dir, 'folder.qcow2');
    mkdirSync(folder);
    refused(folder, 'qcow2', /is a folder, not a disk image/);
    const small = path.join(dir, 'small.raw');
    writeFileSync(small, Buffer.alloc(4096));
    refused(small, 'raw', /too small to hold a file system/);
    // A qcow2 with data clusters, cut in half: its header is whole, its clusters end past the file's end.
    const full = path.join(dir, 'full.qcow2');
    img(['convert', '-O', 'qcow2', random, full]);
    const cut = path.join(dir, 'cut.qcow2');
    writeFileSync(cut, readFileSync(full).subarray(0, Math.floor(statSync(full).size / 2)));
    refused(cut, 'qcow2', /is a damaged qcow2 \(qemu-img check: \d+ corruptions\)/);
    const orphan = path.join(dir, 'orphan.qcow2');
    img([
      'create',
      '-q',
      '-f',
      'qcow2',
      '-u',
      '-F',
      'qcow2',
      '-b',
      path.join(dir, 'gone.qcow2'),
      orphan,
      '64M',
    ]);
    refused(orphan, 'qcow2', /qemu-img cannot open the disk image .*orphan\.qcow2: .*gone\.qcow2/);
  });

  it("refuses a disk behind a folder the VM's user cannot pass through", () => {
    const closed = path.join(dir, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const inside = path.join(closed, 'ext.raw');
    writeFileSync(inside, ext);
    refused(inside, 'raw', /the VM's user nobody cannot pass through the folders to .*closed\/ext\.raw/, {
      vmUser: 'nobody',
    });
    // The same disk with QEMU running as root (the lab's qemu.conf) goes through.
    expect(check(inside, 'raw', { vmUser: 'root' }).sources[0]).toBe(inside);
  });
});
