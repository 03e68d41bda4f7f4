/**
 * Pure: the VM gahp's error names (condor_vm-gahp's VMGAHP_ERR_*, as they appear in hold reasons and in the
 * starter's messages in the event log) in plain words, with the fix. Seen on the lab (HTCondor 25.14.1,
 * fixtures/recorded/vm-holds): a relative `vm_disk` and a disk that does not exist on the execute node are
 * both held with `VMGAHP_ERR_JOBCLASSAD_KVM_INVALID_DISK_PARAM` (code 6, subcode 10; only VMGahpLog says
 * which: "should have full path name" / "can't be read"), so the job ad's `VMPARAM_vm_Disk` tells them
 * apart; a disk that qemu cannot open (a directory there) gives `VMGAHP_ERR_INTERNAL`, the job is evicted and
 * rescheduled, and the execute node marks its VM universe offline (`HasVM = false`).
 */

export interface VmErrorContext {
  /** The job ad's `VMPARAM_vm_Disk` (`file:device:access[:format]`, comma-separated), when known. */
  vmDisk?: string;
}

const ERROR = /\bVMGAHP_ERR_[A-Z0-9_]+\b/;

/** The first VMGAHP_ERR_* name in a text (a hold reason, an event's message), if any. */
export function vmGahpError(text: string): string | undefined {
  return ERROR.exec(text)?.[0];
}

/** `file:device:access[:format]` entries of a vm_disk. */
function diskEntries(vmDisk: string | undefined): Array<{ file: string; format?: string }> {
  if (!vmDisk) return [];
  return vmDisk
    .split(',')
    .map((d) => d.trim().split(':'))
    .filter((parts) => (parts[0] ?? '') !== '')
    .map((parts) =>
      parts[3] ? { file: parts[0] as string, format: parts[3] } : { file: parts[0] as string },
    );
}

function diskFiles(vmDisk: string | undefined): string[] {
  return diskEntries(vmDisk).map((d) => d.file);
}

/**
 * The plain explanation with the fix for a text naming a VM gahp error, or undefined when it names none
 * (or one this table does not know: the error's name is then left to speak for itself).
 */
export function explainVmError(text: string, ctx: VmErrorContext = {}): string | undefined {
  const err = vmGahpError(text);
  if (err === undefined) return undefined;
  const files = diskFiles(ctx.vmDisk);
  switch (err) {
    case 'VMGAHP_ERR_JOBCLASSAD_KVM_INVALID_DISK_PARAM':
    case 'VMGAHP_ERR_JOBCLASSAD_XEN_INVALID_DISK_PARAM': {
      const relative = files.filter((f) => !f.startsWith('/'));
      if (relative.length > 0)
        return `vm_disk must be an absolute path when the image is not transferred (${relative.join(', ')} is relative): give the image's full path on the execute nodes (vm.image.location: cluster) or let vmdag send it (location: local)`;
      if (files.length > 0)
        return `the execute node cannot read the disk image ${files.join(', ')}: it does not exist there or is not readable by HTCondor; check the path on the execute nodes (vm.image.path with location: cluster), or send the image with the job (location: local)`;
      return 'the disk image (vm_disk) was refused by the execute node: it must be an absolute path to an image file that exists and is readable there, unless the image is transferred with the job';
    }
    case 'VMGAHP_ERR_JOBCLASSAD_KVM_NO_DISK_PARAM':
    case 'VMGAHP_ERR_JOBCLASSAD_XEN_NO_DISK_PARAM':
      return 'the VM job names no disk image (vm_disk): recompile the workflow with vmdag; a hand-edited vms.sub needs vm_disk = IMAGE:vda:r:FORMAT';
    case 'VMGAHP_ERR_INTERNAL':
      return `the execute node could not start the VM (libvirt or qemu refused it; VMGahpLog and libvirt's log on that node say why${files.length ? `, e.g. that ${files.join(', ')} is not a regular, readable image file` : ''}); HTCondor then takes the VM universe offline on that node (HasVM = false) until its administrator sets it back (condor_update_machine_ad with HasVM = True, or a startd restart)`;
    case 'VMGAHP_ERR_CRITICAL':
      return "the execute node's VM support failed (condor_vm-gahp, libvirt or /dev/kvm); ask its administrator to check VMGahpLog and libvirtd, then set HasVM back (docs/site-admin.md)";
    case 'VMGAHP_ERR_JOBCLASSAD_NO_VM_MEMORY_PARAM':
      return 'the VM job gives no memory (vm_memory): set vm.memory in the workflow';
    case 'VMGAHP_ERR_JOBCLASSAD_TOO_MUCH_MEMORY_REQUEST':
    case 'VMGAHP_ERR_VM_NOT_ENOUGH_MEMORY':
      return 'the VM asks for more memory than the execute node allows for VMs (its VM_MEMORY): lower vm.memory, or ask the site to raise VM_MEMORY';
    case 'VMGAHP_ERR_JOBCLASSAD_MISMATCHED_NETWORKING':
    case 'VMGAHP_ERR_JOBCLASSAD_MISMATCHED_NETWORKING_TYPE':
      return 'the execute node offers no bridged networking for VMs (VM_NETWORKING, VM_NETWORKING_TYPE = bridge): install the vmdag site kit there (vmdag site-config)';
    case 'VMGAHP_ERR_JOBCLASSAD_MISMATCHED_HARDWARE_VT':
      return 'the VM needs hardware virtualization the execute node does not have: use a node with VT-x/AMD-V, or the site kit with software emulation (vmdag site-config --emulation tcg)';
    case 'VMGAHP_ERR_NO_SUPPORTED_VM_TYPE':
      return "the execute node does not run this hypervisor (its VM_TYPE): set vm.hypervisor to the site's type (vmdag sites shows it)";
    case 'VMGAHP_ERR_BAD_IMAGE': {
      // The vmdag site kit's domain script refuses a disk that cannot boot this way (docs/site-admin.md);
      // without the kit, libvirt's own "image is not in qcow2 format" does.
      const disks = diskEntries(ctx.vmDisk);
      const which =
        disks.length > 0
          ? `the disk image ${disks.map((d) => (d.format ? `${d.file} (the job says ${d.format})` : d.file)).join(', ')}`
          : 'the disk image';
      return `the execute node refused ${which}: it cannot boot there — the wrong format (raw vs qcow2), random or zeroed bytes, a folder, a qcow2 cut short, a missing backing file, or out of reach of the user QEMU runs as; the node's VMGahpLog names which ("refusing the job's disk: …"). Check it where it lives with \`qemu-img info\` and \`qemu-img check\`, then set vm.image.format or fix the file. The node's VM universe stays up`;
    }
    case 'VMGAHP_ERR_VM_NOT_FOUND':
      return 'the VM was already gone when HTCondor tried to stop it (the guest powered off by itself): nothing to fix';
    default:
      return undefined;
  }
}
