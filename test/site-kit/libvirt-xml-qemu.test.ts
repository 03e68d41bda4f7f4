/**
 * The site kit's LIBVIRT_XML_SCRIPT with qemu: differential disks made by qemu-img (this host's, else the
 * lab's), and the KVM probe boot (the lab's qemu and cached guest kernel). Lab project.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
