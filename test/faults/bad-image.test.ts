/**
 * Issue 19's catalogue, on the lab pool: the ways a VM image goes wrong — the wrong format, random bytes, a
 * folder, a missing file, a qcow2 cut short, a qcow2 whose backing file is missing. Each is
 * - refused before anything is submitted where vmdag can see the file (`vmdag validate`, at vm.image.*);
 * - otherwise (the file only where the execute node sees it: under the lab root's /opt, not shared with this
 *   host) submitted, and the run fails within a minute with its cause named — the site kit's domain script
 *   refuses the disk, condor_vm-gahp holds the VM job (VMGAHP_ERR_BAD_IMAGE, or …_INVALID_DISK_PARAM for a
 *   missing file), the gate counts it as ended;
 * and in every case the node keeps its VM universe (HasVM on every slot) and a good VM workflow submitted
 * right after boots and succeeds. First, the site kit's recheck: a VM universe HTCondor took offline (the
 * starter's own update, HasVM = False with VMOfflineReason) is back within about a minute.
 * "Unreadable by the VM's user" cannot happen here (the lab's QEMU runs as root); the domain script's check
 * of it is in test/site-kit/libvirt-xml-qemu.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCondor } from '../../src/condor/exec.js';
import { labStatus } from '../../src/lab/index.js';
import { labContext, labRunsVms, NO_VMS, requireOrSkip } from '../lab/lab-context.js';
import { runCli } from './cli-process.js';
import {
  asLabRoot,
  nothingLeft,
  oneStep,
  removeStarted,
  type Status,
  submit,
  vmClusters,
  vmSection,
  watched,
} from './lab-runs.js';

const ctx = await labContext();
const lab = ctx ? await labStatus() : undefined;
const ready = Boolean(lab?.guestImage && lab.root && lab.netns) && (await labRunsVms(ctx));
const T = 600_000;
const figures: string[] = [];

/** A command as root inside the lab (its namespace and chroot). */
const inLab = (argv: string[], input?: string) => asLabRoot(lab ?? {}, argv, { input });

/** Every slot's HasVM and VMOfflineReason. */
async function hasVm(): Promise<string[]> {
  if (!ctx) throw new Error('the lab is not running');
  const r = await runCondor(ctx, 'condor_status', ['-af', 'Name', 'HasVM', 'VMOfflineReason'], { cwd: '/' });
  return r.stdout.trim().split('\n').filter(Boolean);
}

/** The bad images, written by `make` into `dir` (a path as the execute node sees it, and as written here). */
interface Case {
  name: string;
  format: 'raw' | 'qcow2';
  /** Writes the image under `host` (this host's path of the folder); returns its file name. */
  make: (host: string) => string;
  /** What `vmdag validate` says of it when it sees it (undefined: cannot refuse it). */
  refused?: [code: string, says: RegExp];
  /** The VM job's hold. */
  hold: RegExp;
}

const ext4Zeros = (bytes: number) => {
  const b = Buffer.alloc(bytes);
  b.writeUInt16LE(0xef53, 1080);
  return b;
};

const qemuImg = (args: string[]) => inLab(['qemu-img', ...args]);

const CASES: Case[] = [
  {
    name: 'wrong-format',
    format: 'qcow2',
    make: (host) => {
      writeFileSync(path.join(host, 'disk.img'), ext4Zeros(4 << 20));
      return 'disk.img';
    },
    refused: ['image.format-mismatch', /is raw, not qcow2/],
    hold: /VMGAHP_ERR_BAD_IMAGE/,
  },
  {
    name: 'random-bytes',
    format: 'raw',
    make: (host) => {
      writeFileSync(path.join(host, 'disk.img'), randomBytes(4 << 20));
      return 'disk.img';
    },
    refused: ['image.no-file-system', /holds no partition table and no file system/],
    hold: /VMGAHP_ERR_BAD_IMAGE/,
  },
  {
    name: 'folder',
    format: 'qcow2',
    make: (host) => {
      mkdirSync(path.join(host, 'disk.qcow2'));
      return 'disk.qcow2';
    },
    refused: ['image.not-a-file', /is a folder, not a file/],
    hold: /VMGAHP_ERR_BAD_IMAGE/,
  },
  {
    name: 'missing',
    format: 'qcow2',
    make: () => 'no-such-disk.qcow2',
    hold: /VMGAHP_ERR_JOBCLASSAD_KVM_INVALID_DISK_PARAM/,
  },
  {
    name: 'truncated-qcow2',
    format: 'qcow2',
    make: (host) => {
      writeFileSync(path.join(host, 'data.raw'), randomBytes(4 << 20));
      // qemu-img runs in the lab; the folder is under the lab root, at `host` here.
      const inside = `/${path.relative(lab?.root ?? '/', host)}`;
      qemuImg(['convert', '-O', 'qcow2', `${inside}/data.raw`, `${inside}/full.qcow2`]);
      const full = readFileSync(path.join(host, 'full.qcow2'));
      writeFileSync(path.join(host, 'disk.qcow2'), full.subarray(0, Math.floor(full.length / 2)));
      return 'disk.qcow2';
    },
    refused: ['image.truncated', /was cut short/],
    hold: /VMGAHP_ERR_BAD_IMAGE/,
  },
  {
    name: 'backing-missing',
    format: 'qcow2',
    make: (host) => {
      const inside = `/${path.relative(lab?.root ?? '/', host)}`;
      qemuImg([
        'create',
        '-q',
        '-f',
        'qcow2',
        '-u',
        '-F',
        'qcow2',
        '-b',
        `${inside}/gone.qcow2`,
        `${inside}/disk.qcow2`,
        '64M',
      ]);
      return 'disk.qcow2';
    },
    refused: ['image.backing-missing', /backing file .*gone\.qcow2.* which does not exist/],
    hold: /VMGAHP_ERR_BAD_IMAGE/,
  },
];

requireOrSkip(ready, `${NO_VMS}; or lab status names no root or netns`).describe(
  'a bad VM image never takes the node down (issue 19)',
  () => {
    // Where only the execute node sees the images: the lab root's /opt (not a folder shared with this host).
    const siteOnly = mkdtempSync(path.join(lab?.root as string, 'opt', 'vmdag-bad-images-'));
    const siteOnlyInside = `/${path.relative(lab?.root as string, siteOnly)}`;
    // Where vmdag sees them too.
    const visible = mkdtempSync(path.join(tmpdir(), 'vmdag-bad-images-'));
    afterAll(() => {
      rmSync(siteOnly, { recursive: true, force: true });
      rmSync(visible, { recursive: true, force: true });
    });

    it('the site kit brings back a VM universe HTCondor took offline, within about a minute', {
      timeout: T,
    }, async () => {
      const before = await hasVm();
      expect(
        before.every((l) => / true undefined$/.test(l)),
        before.join('\n'),
      ).toBe(true);
      // The recheck brings HasVM back at most once every 10 minutes (its stamp): this is the node's first time.
      inLab(['sh', '-c', 'rm -f "$(condor_config_val LOG)/.vmdag-vm-restored"']);
      // What the starter sends when a VM fails to start for a reason it does not blame on the job (handleFTL).
      const addr = inLab(['sh', '-c', 'head -n 1 "$(condor_config_val STARTD_ADDRESS_FILE)"']).trim();
      inLab(
        [
          'sh',
          '-c',
          // A file of its own, removed whatever happens (the lab's /tmp is the host's).
          `f=$(mktemp) && trap 'rm -f "$f"' EXIT && cat > "$f" && condor_update_machine_ad -name '${addr}' "$f"`,
        ],
        'HasVM = False\nVMOfflineReason = "VMGAHP_ERR_INTERNAL (vmdag test: the starter\'s update, sent by hand)"\n',
      );
      const t0 = Date.now();
      // The startd sends its ads to the collector at once (caUpdateMachineAd: update_all); allow a few seconds.
      let off: string[] = [];
      for (let k = 0; k < 10; k++) {
        off = await hasVm();
        if (off.every((l) => / false VMGAHP_ERR_INTERNAL/.test(l))) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(
        off.every((l) => / false VMGAHP_ERR_INTERNAL/.test(l)),
        off.join('\n'),
      ).toBe(true);
      let seconds = 0;
      for (;;) {
        const now = await hasVm();
        seconds = (Date.now() - t0) / 1000;
        if (now.every((l) => / true undefined$/.test(l))) break;
        if (seconds > 90) throw new Error(`HasVM not back after ${seconds} s: ${now.join('; ')}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
      const log = inLab(['sh', '-c', 'cat "$(condor_config_val LOG)/VmdagSiteKitLog"']);
      expect(log).toMatch(
        /the VM universe was offline \(VMGAHP_ERR_INTERNAL \(vmdag test.*\); the node is healthy: HasVM = True sent/,
      );
      if (!ctx) throw new Error('the lab is not running');
      const ad = await runCondor(ctx, 'condor_status', ['-af', 'VmdagVmRestoredReason'], { cwd: '/' });
      expect(ad.stdout).toMatch(/VMGAHP_ERR_INTERNAL \(vmdag test/);
      figures.push(`HasVM back ${seconds.toFixed(1)} s after the starter's offline update`);
    });

    it('refused before submit where vmdag sees the file; at the site, held and failed within a minute with the cause named; HasVM stays; a good VM run right after succeeds', {
      timeout: T,
    }, async () => {
      if (!ctx) throw new Error('the lab is not running');
      // Seen from this host: validate refuses each (the missing file is a cluster path it cannot judge).
      for (const c of CASES) {
        const host = path.join(visible, c.name);
        mkdirSync(host);
        const file = path.join(host, c.make(host));
        const dir = oneStep(`bad-${c.name}`, 'true', { vm: vmSection(file, { format: c.format }) });
        const r = runCli(['validate', '--json', 'workflow.yaml'], { cwd: dir, timeoutMs: 60_000 });
        if (!c.refused) {
          expect(r.status, `${c.name}: ${r.stdout}${r.stderr}`).toBe(0);
          continue;
        }
        expect(r.status, `${c.name}: ${r.stdout}${r.stderr}`).toBe(1);
        const codes = (JSON.parse(r.stdout) as { diagnostics: { code: string; message: string }[] })
          .diagnostics;
        const d = codes.find((x) => x.code === c.refused?.[0]);
        expect(d?.message, `${c.name}: ${r.stdout}`).toMatch(c.refused[1]);
      }

      // Seen only by the execute node: every run submitted at once.
      const runs = CASES.map((c) => {
        const host = path.join(siteOnly, c.name);
        mkdirSync(host);
        const name = c.make(host);
        const image = `${siteOnlyInside}/${c.name}/${name}`;
        const dir = oneStep(`site-${c.name}`, 'true', { vm: vmSection(image, { format: c.format }) });
        const t0 = Date.now();
        return { c, t0, ...submit(dir) };
      });
      const ended: { c: Case; s: Status; seconds: number; t0: number }[] = [];
      for (const r of runs) {
        const s = watched(r.runDir);
        ended.push({ c: r.c, s, seconds: (Date.now() - r.t0) / 1000, t0: r.t0 });
      }
      for (const { c, s, seconds } of ended) {
        expect(s.state, `${c.name}: ${JSON.stringify(s)}`).toBe('failed');
        const vmNode = s.nodes.find((n) => n.name === 'VMS');
        const said = `${s.cause ?? ''} | ${vmNode?.cause ?? ''}`;
        expect(said, c.name).toMatch(c.hold);
        // The disk and the format the workflow gave, named from the run's vm_disk.
        if (c.name !== 'missing')
          expect(said, c.name).toMatch(new RegExp(`${c.name}/\\S+ \\(the job says ${c.format}\\)`));
        expect(String(s.cause), c.name).toMatch(/node GATE: .*cannot start/);
        figures.push(
          `${c.name}: failed ${seconds.toFixed(1)} s after submit — ${String(vmNode?.cause ?? s.cause)}`,
        );
      }
      // Within a minute of submitting (watched returns within a second of the end).
      for (const { c, seconds } of ended) expect(seconds, c.name).toBeLessThanOrEqual(60);
      const slots = await hasVm();
      expect(
        slots.every((l) => / true undefined$/.test(l)),
        slots.join('\n'),
      ).toBe(true);
      for (const { s, t0 } of ended) await nothingLeft(ctx, s.dagmanJobId, vmClusters(s), 120_000, t0);

      // Another VM workflow right after: it boots on the same node and succeeds.
      const good = oneStep('after-bad-images', 'echo booted on $(hostname)', {
        vm: vmSection(lab?.guestImage as string),
      });
      const t0 = Date.now();
      const { runDir } = submit(good);
      const s = watched(runDir);
      expect(s.state, JSON.stringify(s)).toBe('succeeded');
      figures.push(`a good 1-VM run right after: succeeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await nothingLeft(ctx, s.dagmanJobId, vmClusters(s), 120_000, t0);
    });
  },
);

afterAll(() => {
  removeStarted();
  if (figures.length) process.stderr.write(`bad images (issue 19):\n  ${figures.join('\n  ')}\n`);
});
