/**
 * VM gahp errors in plain words, on hold reasons and event logs recorded from real VM jobs on the lab
 * (HTCondor 25.14.1; fixtures/recorded/vm-holds/*, made by `scripts/lab-record-fixtures.mjs vm-holds`: job.sub
 * is what was submitted, COMMAND.txt how). The VMGAHP_ERR_INTERNAL case was recorded by hand before the site
 * kit checked disks and cannot be made by script any more: fixtures/recorded/by-hand/, kept apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adString, parseAdsJson } from '../../src/condor/classads.js';
import { parseEventLog } from '../../src/condor/event-log.js';
import { trackProcs } from '../../src/status/derive-status.js';
import { explainVmError, vmGahpError } from '../../src/status/explain-vm-error.js';
import { vmDiskOf } from '../../src/status/gather-status.js';

const DIR = 'fixtures/recorded/vm-holds';
const ad = (name: string, file: string) => {
  const a = parseAdsJson(readFileSync(join(DIR, name, file), 'utf8'))[0];
  if (!a) throw new Error(`${name}/${file}: no ad`);
  return a;
};
const procOf = (name: string) => {
  const { procs } = trackProcs(parseEventLog(readFileSync(join(DIR, name, 'job.log'), 'utf8')));
  const p = [...procs.values()][0];
  if (!p) throw new Error(`${name}: no job in the log`);
  return p;
};

describe('VM gahp errors recorded on the lab', () => {
  it('a relative vm_disk that is not transferred: held, and the fix says vm_disk must be absolute', () => {
    const a = ad('relative-disk', 'condor_q.json');
    const reason = adString(a, 'HoldReason') ?? '';
    expect(vmGahpError(reason)).toBe('VMGAHP_ERR_JOBCLASSAD_KVM_INVALID_DISK_PARAM');
    const fix = explainVmError(reason, { vmDisk: adString(a, 'VMPARAM_vm_Disk') ?? '' });
    expect(fix).toMatch(
      /^vm_disk must be an absolute path when the image is not transferred \(guest\.img is relative\)/,
    );
  });

  it('a disk that does not exist on the execute node: the same error, the fix names the file', () => {
    const a = ad('missing-disk', 'condor_q.json');
    const reason = adString(a, 'HoldReason') ?? '';
    expect(vmGahpError(reason)).toBe('VMGAHP_ERR_JOBCLASSAD_KVM_INVALID_DISK_PARAM');
    expect(explainVmError(reason, { vmDisk: adString(a, 'VMPARAM_vm_Disk') ?? '' })).toMatch(
      /^the execute node cannot read the disk image \/var\/lib\/vmdag\/guest\/no-such-image\.img: it does not exist there/,
    );
  });

  it('the held event alone (no job ad): the cause carries the hold, its code and the general fix', () => {
    const events = parseEventLog(readFileSync(join(DIR, 'relative-disk', 'job.log'), 'utf8'));
    const held = [...trackProcs(events.filter((e) => e.code !== 9)).procs.values()][0];
    expect(held?.state).toBe('held');
    expect(held?.cause).toMatch(
      /^held: Error from slot\d+@vmdag-lab: VMGAHP_ERR_JOBCLASSAD_KVM_INVALID_DISK_PARAM \(hold code 6 subcode 10\) — /,
    );
    expect(held?.cause).toMatch(
      /must be an absolute path to an image file that exists and is readable there/,
    );
    // Removed afterwards (condor_rm here; periodic_remove after the hold timeout in a run): the hold stays.
    const p = procOf('relative-disk');
    expect(p.state).toBe('removed');
    expect(p.cause).toMatch(
      /^removed: via condor_rm \(by user vmdag\), after it was held: .*INVALID_DISK_PARAM/,
    );
  });

  it('a disk qemu cannot open (a directory): evicted after VMGAHP_ERR_INTERNAL, which stays the cause', () => {
    // Recorded by hand before the site kit checked disks (the kit now holds this job: 'directory' above).
    const p = procOf('../by-hand/vm-directory-disk-internal');
    expect(p.state).toBe('removed');
    const evicted = trackProcs(
      parseEventLog(
        readFileSync(join(DIR, '../by-hand/vm-directory-disk-internal', 'job.log'), 'utf8'),
      ).filter((e) => e.code !== 9),
    ).procs;
    const cause = [...evicted.values()][0]?.cause ?? '';
    expect(cause).toMatch(/^evicted: the VM did not start: .*\(VMGAHP_ERR_INTERNAL\)\. — /);
    expect(cause).toContain('takes the VM universe offline on that node (HasVM = false)');
  });

  it.each([
    ['raw-as-qcow2', /disk\.raw \(the job says qcow2\)/],
    ['directory', /disk\.qcow2 \(the job says qcow2\)/],
  ])(
    'a disk the site kit refuses (%s): held with VMGAHP_ERR_BAD_IMAGE, the node keeps HasVM',
    (which, names) => {
      const dir = join('fixtures/recorded/vm-holds', which);
      const a = parseAdsJson(readFileSync(join(dir, 'condor_q.json'), 'utf8'))[0];
      if (!a) throw new Error(`${which}: no ad`);
      const reason = adString(a, 'HoldReason') ?? '';
      expect(vmGahpError(reason)).toBe('VMGAHP_ERR_BAD_IMAGE');
      const fix = explainVmError(reason, { vmDisk: adString(a, 'VMPARAM_vm_Disk') ?? '' }) ?? '';
      expect(fix).toMatch(/^the execute node refused the disk image \/tmp\/vmdag-fixtures\/vm-holds\//);
      expect(fix).toMatch(names);
      expect(fix).toMatch(/VMGahpLog names which .* The node's VM universe stays up$/);
      const { procs } = trackProcs(
        parseEventLog(readFileSync(join(dir, 'job.log'), 'utf8')).filter((e) => e.code !== 9),
        vmDiskOf(readFileSync(join(dir, 'job.sub'), 'utf8')),
      );
      // From the event log alone, the run's vm_disk (its vms.sub; here the recorded job.sub) names the disk.
      expect([...procs.values()][0]?.cause).toMatch(names);
      expect([...procs.values()][0]?.cause).toMatch(
        /^held: Error from slot\d+@vmdag-lab: VMGAHP_ERR_BAD_IMAGE \(hold code 6 subcode 12\) — the execute node refused/,
      );
      // Every slot of the node still offers the VM universe after the hold (condor_status -af Name HasVM VMOfflineReason).
      const slots = readFileSync(join(dir, 'condor_status.txt'), 'utf8').trim().split('\n');
      expect(slots.length).toBeGreaterThan(0);
      for (const line of slots) expect(line).toMatch(/^slot\d+@vmdag-lab true undefined$/);
    },
  );

  it('an unknown name or no VM gahp error: no explanation', () => {
    expect(explainVmError('VMGAHP_ERR_SOMETHING_NEW')).toBeUndefined();
    expect(explainVmError('Error from slot1: Failed to execute')).toBeUndefined();
  });
});
