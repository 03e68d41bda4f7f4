/** The second organisation's configuration and the lab's site catalog (pure texts of src/lab/orgs.ts). */
import { describe, expect, it } from 'vitest';
import { resolveLabSettings } from '../../src/lab/options.js';
import { orgB, orgBConfig, orgBScheddName, sitesCatalog } from '../../src/lab/orgs.js';
import { parseYaml } from '../../src/parse/parse-yaml.js';
import { validateSites } from '../../src/validate/validate-sites.js';

const s = resolveLabSettings({}, {});

describe('lab organisations (pure)', () => {
  it('--orgs: 1 by default, 2 from the flag or VMDAG_LAB_ORGS, anything else refused', () => {
    expect(s.orgs).toBe(1);
    expect(resolveLabSettings({ orgs: '2' }, {}).orgs).toBe(2);
    expect(resolveLabSettings({}, { VMDAG_LAB_ORGS: '2' }).orgs).toBe(2);
    expect(() => resolveLabSettings({ orgs: '3' }, {})).toThrow(/1 organisation .* or 2/);
    expect(s.sitesFile).toBe('/var/lib/vmdag/lab/current/sites.yaml');
  });

  it("org-b's configuration is its own: port 9619, own folders and key, its schedd's dedicated scheduler, no VMs", () => {
    const c = orgBConfig(s);
    const b = orgB(s);
    expect(orgBScheddName(s)).toBe('org-b@vmdag-lab');
    expect(c).toMatch(/^COLLECTOR_HOST = \$\(CONDOR_HOST\):9619$/m);
    expect(c).toMatch(/^SHARED_PORT_PORT = 9619$/m);
    expect(c).toMatch(/^LOCAL_CONFIG_DIR =$/m);
    expect(c).toMatch(/^SEC_PASSWORD_DIRECTORY = \$\(ETC\)\/passwords\.d$/m);
    expect(c).toMatch(/^ETC = \/etc\/condor-org-b$/m);
    expect(c).toMatch(/^SCHEDD_NAME = org-b$/m);
    expect(c).toMatch(/^DedicatedScheduler = "DedicatedScheduler@org-b@vmdag-lab"$/m);
    expect(c).toMatch(/^NUM_CPUS = 4$/m);
    expect(c).not.toMatch(/^VM_/m);
    // No setting names org-a's config.d (site kit, tuning) or folders.
    const settings = c
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    for (const p of [/\/etc\/condor\//, /\/var\/log\/condor$/m, /\/var\/spool\/condor/, /\/run\/condor$/m])
      expect(settings).not.toMatch(p);
    expect([b.log, b.run, b.lock, b.localDir].every((d) => d.includes('org-b'))).toBe(true);
  });

  it("the lab's catalog is a valid site catalog with both pools (org-a with its images folder)", () => {
    const text = sitesCatalog(
      [
        { name: 'org-a', collector: '10.213.7.1:9618', schedd: 'vmdag-lab', vm: true },
        { name: 'org-b', collector: '10.213.7.1:9619', schedd: 'org-b@vmdag-lab', vm: false },
      ],
      { 'org-a': '/var/lib/vmdag/images' },
    );
    const { catalog, diagnostics } = validateSites(parseYaml(text, 'sites.yaml'), { dir: '/x' });
    expect(diagnostics).toEqual([]);
    expect(catalog?.sites).toEqual([
      { name: 'org-a', pool: '10.213.7.1:9618', schedd: 'vmdag-lab', images: '/var/lib/vmdag/images' },
      { name: 'org-b', pool: '10.213.7.1:9619', schedd: 'org-b@vmdag-lab' },
    ]);
  });
});
