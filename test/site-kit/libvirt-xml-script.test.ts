/**
 * The site kit's LIBVIRT_XML_SCRIPT run for real (python3) on the job ad condor_vm-gahp 23.9.6 gave it on the
 * lab pool (fixtures/recorded/vm-gahp-job-ad-23.9.6.ad), with single attributes changed per case. No qemu
 * and no lab here; libvirt-xml-qemu.test.ts runs the parts that need them.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ad, domain, list, run, scriptFor, tmp } from './libvirt-xml.js';

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
    const dir = mkdtempSync(path.join(tmp, 'seeded-'));
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
