/**
 * The guest image for real: build it (or take it from the cache), boot it under software emulation with
 * the lab's qemu, and check that PID 1 brings HTCondor up, powers off on the ACPI power button, and powers
 * off by itself when its lease is over. Network: qemu's user network with restrict=on (nothing leaves the
 * guest; its DHCP is qemu's own). Needs root and the running lab (`vmdag lab up`), whose chroot has qemu.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ensureGuestImage, type GuestImage } from '../../src/lab/guest/ensure-guest-image.js';
import { requireOrSkip } from '../lab/lab-context.js';

function labRoot(): string | undefined {
  try {
    const st = JSON.parse(readFileSync('/var/lib/vmdag/lab/current/state.json', 'utf8')) as { root?: string };
    return st.root && existsSync(path.join(st.root, 'usr/bin/qemu-system-x86_64')) ? st.root : undefined;
  } catch {
    return undefined;
  }
}
const root = labRoot();
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Boot {
  serial: string;
  monitor: string;
  exited: Promise<number>;
  started: number;
}

function boot(g: GuestImage, cmdline: string): Boot {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmdag-guest-boot-'));
  const serial = path.join(dir, 'serial.log');
  const monitor = path.join(dir, 'monitor.sock');
  // the scratch disk the site kit gives each guest: a sparse file, formatted by the guest
  const scratch = path.join(dir, 'scratch.img');
  writeFileSync(scratch, '');
  truncateSync(scratch, 2 ** 30);
  const argv = [
    ...[
      '-machine',
      'q35,accel=tcg',
      '-m',
      '512',
      '-smp',
      '1',
      '-nodefaults',
      '-display',
      'none',
      '-no-reboot',
    ],
    ...['-kernel', g.kernel, '-initrd', g.initrd, '-append', `console=ttyS0 quiet panic=-1 ${cmdline}`],
    ...['-drive', `file=${g.image},if=virtio,format=raw,readonly=on`],
    ...[
      '-drive',
      `file=${scratch},if=none,id=scr,format=raw`,
      '-device',
      'virtio-blk-pci,drive=scr,serial=vmdag-scratch',
    ],
    ...[
      '-netdev',
      'user,id=n0,restrict=on',
      '-device',
      'virtio-net-pci,netdev=n0',
      '-device',
      'virtio-rng-pci',
    ],
    ...['-serial', `file:${serial}`, '-monitor', `unix:${monitor},server,nowait`],
  ];
  const p = spawn('chroot', [root as string, '/usr/bin/qemu-system-x86_64', ...argv], { stdio: 'ignore' });
  const exited = new Promise<number>((resolve) => p.on('exit', (code) => resolve(code ?? -1)));
  setTimeout(() => p.kill('SIGKILL'), 170_000).unref();
  return { serial, monitor, exited, started: Date.now() };
}

function guestConsole(b: Boot): string {
  return existsSync(b.serial) ? readFileSync(b.serial, 'utf8') : '';
}

async function waitFor(b: Boot, text: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (guestConsole(b).includes(text)) return (Date.now() - b.started) / 1000;
    await sleep(250);
  }
  throw new Error(
    `'${text}' not on the guest console within ${ms / 1000} s:\n${guestConsole(b).slice(-2000)}`,
  );
}

async function powerButton(b: Boot): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect(b.monitor, () => {
      s.write('system_powerdown\n');
      setTimeout(() => {
        s.end();
        resolve();
      }, 300);
    });
    s.on('error', reject);
  });
}

const missing = [
  ...(isRoot ? [] : ['root (qemu runs chrooted into the lab)']),
  ...(root ? [] : ['the running lab with qemu-system-x86_64 in its root (as root: vmdag lab up)']),
];

requireOrSkip(missing.length === 0, missing.join('; ')).describe(
  'guest image boots (software emulation)',
  () => {
    let guest: GuestImage;

    it('builds or finds the image', { timeout: 900_000 }, async () => {
      const t0 = Date.now();
      guest = await ensureGuestImage();
      process.stderr.write(
        `guest image: ${guest.built ? `built in ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'cached'} — ${guest.dir}, ${(guest.imageBytes / 2 ** 20).toFixed(0)} MiB, kernel ${guest.kernelVersion}, HTCondor ${guest.condorVersion}\n`,
      );
      expect(existsSync(guest.image) && existsSync(guest.kernel) && existsSync(guest.initrd)).toBe(true);
      expect(guest.condorVersion).toMatch(/^23\./);
      // the image is reachable from the lab's chroot (libvirt and qemu run there)
      expect(existsSync(path.join(root as string, guest.image))).toBe(true);
    });

    it('starts HTCondor with the identity from its command line, and powers off on the power button', {
      timeout: 180_000,
    }, async () => {
      const b = boot(
        guest,
        'vmdag.pool=10.0.2.2 vmdag.sched=lab vmdag.wf=wf-7 vmdag.owner=alice vmdag.debug=1',
      );
      const master = await waitFor(b, 'vmdag-init: condor_master started', 120_000);
      const ready = await waitFor(b, 'vmdag-init: startd ready', 120_000);
      expect(guestConsole(b)).toMatch(/vmdag-init: network up: eth0 10\.0\.2\.15\/24 as vmdag-10-0-2-15/);
      expect(guestConsole(b)).toContain('HTCondor configured: pool 10.0.2.2 workflow wf-7 owner alice');
      expect(guestConsole(b)).toMatch(/vmdag-init: scratch disk \/dev\/vd[a-z] on \/var\/lib\/condor/);
      const pressed = Date.now();
      await powerButton(b);
      expect(await b.exited).toBe(0);
      const off = (Date.now() - pressed) / 1000;
      process.stderr.write(
        `guest boot: condor_master at ${master} s, startd ready at ${ready} s, off ${off} s after the power button\n`,
      );
      expect(guestConsole(b)).toContain('vmdag-init: power off: power button');
      expect(off).toBeLessThan(15);
    });

    it('powers itself off when the lease is over', { timeout: 180_000 }, async () => {
      const b = boot(guest, 'vmdag.pool=10.0.2.2 vmdag.wf=wf-8 vmdag.owner=alice vmdag.lease=20');
      await waitFor(b, 'vmdag-init: condor_master started', 120_000);
      expect(await b.exited).toBe(0);
      expect(guestConsole(b)).toContain('vmdag-init: power off: lease of 20 s over');
    });
  },
);
