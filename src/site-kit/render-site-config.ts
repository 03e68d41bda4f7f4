/**
 * The site kit as files: the execute node's HTCondor configuration for the VM universe and the
 * LIBVIRT_XML_SCRIPT it names. Pure: settings in, texts out (the caller installs or prints them).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { RAW_SIGNATURES } from '../validate/image-header.js';
import type { SiteSettings } from './options.js';

export const SITE_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/site/', import.meta.url));

export interface SiteFile {
  /** Where the file belongs on the execute node (absolute). */
  path: string;
  mode: number;
  content: string;
}

export const SITE_KIT_VERSION = 1;

function template(name: string): HandlebarsTemplateDelegate {
  const hb = Handlebars.create();
  return hb.compile(readFileSync(`${SITE_TEMPLATES_DIR}${name}`, 'utf8'), { strict: true, noEscape: true });
}

const EMULATION_NOTE: Record<SiteSettings['emulation'], string> = {
  kvm: "type='kvm' with the host's CPU (hardware virtualisation)",
  tcg: "type='qemu', software emulation, no host-passthrough CPU",
  auto: 'hardware virtualisation where a probe boot works on this node, else software emulation',
};

/** The settings the domain script reads (JSON inside the script; every value was checked by resolveSiteOptions). */
function scriptSettings(s: SiteSettings): Record<string, unknown> {
  return {
    emulation: s.emulation,
    kernel: s.kernel,
    initrd: s.initrd,
    bridge: s.bridge,
    scheduler: s.scheduler,
    pool: s.pool,
    maxLeaseSeconds: s.maxLeaseSeconds,
    scratchMiB: s.scratchMiB,
    guestToken: s.guestToken,
    tokenIdentity: s.tokenIdentity,
    consoleDir: s.consoleDir,
    seedDir: s.seedDir,
    probeCache: s.probeCache,
    qemu: s.qemu,
    qemuImg: s.qemuImg,
    condorTokenCreate: s.condorTokenCreate,
    condorConfigVal: s.condorConfigVal,
    checkDisks: s.checkDisks,
    // validate's marks of a raw disk that can boot, so that the node checks what vmdag checks before submit
    rawSignatures: RAW_SIGNATURES.map((m) => [m.offset, m.bytes.toString('hex')]),
    vmUser: s.vmUser,
    guestDebug: s.guestDebug,
  };
}

export function renderSiteConfig(s: SiteSettings): SiteFile[] {
  const settingsJson = JSON.stringify(scriptSettings(s), null, 1);
  if (settingsJson.includes('"""') || settingsJson.includes('\\')) {
    throw new Error('site settings cannot be embedded in the domain script');
  }
  const view = {
    ...s,
    version: SITE_KIT_VERSION,
    emulationNote: EMULATION_NOTE[s.emulation],
    settingsJson,
  };
  return [
    { path: s.configPath, mode: 0o644, content: template('vm-universe.conf.hbs')(view) },
    { path: s.scriptPath, mode: 0o755, content: template('vmdag-libvirt-xml.py.hbs')(view) },
    { path: s.recheckPath, mode: 0o755, content: template('vmdag-vm-recheck.sh.hbs')(view) },
  ];
}
