import { describe, expect, it } from 'vitest';
import { labSiteFiles } from '../../src/site-kit/lab-site-kit.js';

const input = {
  root: '/var/lib/vmdag/lab/builds/x/root',
  bridge: 'vmdagbr0',
  address: '10.213.7.1',
  schedd: 'vmdag-lab',
  kernel: '/var/lib/vmdag/guest/trixie-0123456789ab/vmlinuz',
  initrd: '/var/lib/vmdag/guest/trixie-0123456789ab/initrd.img',
};

describe('labSiteFiles', () => {
  it('is the site kit with the lab bridge, its collector, its schedd and software emulation', () => {
    const [conf, script] = labSiteFiles(input, {});
    expect(conf?.content.split('\n')).toEqual(
      expect.arrayContaining([
        'VM_NETWORKING_BRIDGE_INTERFACE = vmdagbr0',
        'VM_MEMORY = 4096',
        'VmdagEmulation = "tcg"',
      ]),
    );
    const settings = JSON.parse(
      /SETTINGS = json\.loads\(r"""([\s\S]*?)"""\)/.exec(script?.content ?? '')?.[1] ?? '{}',
    );
    expect(settings).toMatchObject({
      emulation: 'tcg',
      pool: '10.213.7.1:9618',
      scheduler: 'vmdag-lab',
      kernel: input.kernel,
      initrd: input.initrd,
      guestToken: 'mint',
    });
  });

  it('checks disks, and runs the VM-universe recheck as a STARTD_CRON job beside the domain script', () => {
    const [conf, script, recheck] = labSiteFiles(input, {});
    expect(script?.content).toContain('"checkDisks": true');
    expect(recheck?.path).toBe('/usr/libexec/vmdag/vmdag-vm-recheck');
    expect(recheck?.mode).toBe(0o755);
    expect(conf?.content.split('\n')).toEqual(
      expect.arrayContaining([
        'STARTD_CRON_JOBLIST = $(STARTD_CRON_JOBLIST) VMDAGRECHECK',
        'STARTD_CRON_VMDAGRECHECK_EXECUTABLE = /usr/libexec/vmdag/vmdag-vm-recheck',
        'STARTD_CRON_VMDAGRECHECK_PERIOD = 60s',
      ]),
    );
    // What it checks before sending HasVM = True: the lab's own qemu, bridge, kernel and initramfs.
    expect(recheck?.content.split('\n')).toEqual(
      expect.arrayContaining([
        "QEMU='/usr/bin/qemu-system-x86_64'",
        "BRIDGE='vmdagbr0'",
        `KERNEL='${input.kernel}'`,
        `INITRD='${input.initrd}'`,
      ]),
    );
  });

  it('lets VMDAG_LAB_EMULATION choose', () => {
    const [conf] = labSiteFiles(input, { VMDAG_LAB_EMULATION: 'auto' });
    expect(conf?.content).toContain('VmdagEmulation = "auto"');
  });
});
