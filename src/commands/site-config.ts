/**
 * `vmdag site-config`: the execute-node HTCondor configuration for the VM universe and the
 * LIBVIRT_XML_SCRIPT that turns a VM job's ad into libvirt domain XML (docs/site-admin.md).
 * Without -o it prints both files; with -o DIR it writes them under DIR at their node paths.
 */
import { installSiteKit } from '../site-kit/install-site-kit.js';
import { resolveSiteOptions, SiteOptionError, type SiteOptions } from '../site-kit/options.js';
import { renderSiteConfig } from '../site-kit/render-site-config.js';
import type { CommandSpec } from './spec.js';
import { ExitCode, type Output } from './types.js';

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function int(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : Number.NaN;
}

async function run(_args: string[], opts: Record<string, unknown>, out: Output): Promise<number> {
  const siteOpts: SiteOptions = {
    emulation: str(opts.emulation),
    kernel: str(opts.kernel),
    initrd: str(opts.initrd),
    bridge: str(opts.bridge),
    scheddName: str(opts.scheddName),
    pool: str(opts.pool),
    vmMemory: int(opts.vmMemory),
    vmMaxNumber: int(opts.vmMaxNumber),
    maxLeaseSeconds: int(opts.maxLease),
    guestToken: str(opts.guestToken),
    tokenIdentity: str(opts.tokenIdentity),
    scriptPath: str(opts.scriptPath),
    consoleDir: str(opts.consoleDir),
    stateDir: str(opts.stateDir),
    scratchMiB: int(opts.guestScratch),
    qemu: str(opts.qemu),
    qemuImg: str(opts.qemuImg),
    vmUser: str(opts.vmUser),
    checkDisks: opts.diskCheck !== false,
    guestDebug: opts.guestDebug === true,
  };
  let files: ReturnType<typeof renderSiteConfig>;
  try {
    files = renderSiteConfig(resolveSiteOptions(siteOpts));
  } catch (e) {
    if (e instanceof SiteOptionError) {
      out.err(`vmdag site-config: ${e.message}\n`);
      return ExitCode.usage;
    }
    throw e;
  }
  const dir = str(opts.output);
  const written = dir ? await installSiteKit(files, dir) : [];
  if (opts.json) {
    out.out(
      `${JSON.stringify({ ok: true, outDir: dir ?? null, files: files.map((f, i) => ({ path: f.path, mode: f.mode.toString(8), writtenTo: written[i] ?? null, ...(dir ? {} : { content: f.content }) })) }, null, 2)}\n`,
    );
  } else if (dir) {
    for (const w of written) out.err(`wrote ${w}\n`);
  } else {
    for (const f of files) out.out(`### ${f.path} (mode ${f.mode.toString(8)})\n${f.content}\n`);
  }
  return ExitCode.ok;
}

export const siteConfigCommand: CommandSpec = {
  name: 'site-config',
  summary: 'execute-node config and libvirt domain script for a cluster (VM universe, dedicated scheduler)',
  configure(cmd) {
    cmd
      .option('--emulation <mode>', 'auto (probe each node) | kvm | tcg (software emulation)', 'auto')
      .option('--kernel <path>', 'vmdag guest kernel on the execute nodes (direct kernel boot)')
      .option('--initrd <path>', 'vmdag guest initramfs on the execute nodes')
      .option('--bridge <iface>', 'bridge the guest NICs join (VM_NETWORKING_BRIDGE_INTERFACE)', 'br0')
      .option(
        '--schedd-name <name>',
        'schedd Name whose dedicated scheduler claims the guests (condor_status -schedd -af Name)',
      )
      .option('--pool <host[:port]>', 'collector address the guests join (reachable from the bridge)')
      .option('--vm-memory <MiB>', 'VM_MEMORY: memory for all VMs of a node', '2048')
      .option('--vm-max-number <n>', 'VM_MAX_NUMBER (default: NUM_CPUS)')
      .option('--max-lease <seconds>', "cap and default of a guest's lease", '86400')
      .option(
        '--guest-token <mint|FILE|none>',
        'pool token for guests: minted per VM (default), a file, or none',
        'mint',
      )
      .option('--token-identity <user@domain>', 'identity of minted tokens (default condor@UID_DOMAIN)')
      .option('--script-path <path>', 'where the domain script is installed')
      .option('--console-dir <path>', "guests' serial console logs ('' for none)")
      .option(
        '--guest-scratch <MiB>',
        "sparse scratch disk per guest for HTCondor's execute dir (0: none)",
        '8192',
      )
      .option('--state-dir <path>', "the script's token seeds and probe answer (default /var/lib/vmdag-site)")
      .option('--qemu <path>', 'qemu-system-x86_64 on the nodes (default /usr/bin/qemu-system-x86_64)')
      .option('--qemu-img <path>', 'qemu-img on the nodes (default /usr/bin/qemu-img)')
      .option('--vm-user <name>', "the user QEMU runs as (default: qemu.conf's `user`, read on the node)")
      .option(
        '--guest-debug',
        "guests copy the end of HTCondor's MasterLog and StartLog to their console log at power-off",
      )
      .option('--no-disk-check', "do not check each job's disk with qemu-img before its VM is defined")
      .option('-o, --output <dir>', 'write the files under DIR at their node paths instead of printing them');
  },
  run,
};
