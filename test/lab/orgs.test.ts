/** The lab's organisations and its site catalog (pure texts of src/lab/organisation.ts and orgs.ts). */
import { describe, expect, it } from 'vitest';
import { resolveLabSettings } from '../../src/lab/options.js';
import {
  organisation,
  organisations,
  orgCollector,
  orgConfig,
  orgHosts,
  orgScheddName,
} from '../../src/lab/organisation.js';
import { sitesCatalog } from '../../src/lab/orgs.js';
import { parseYaml } from '../../src/parse/parse-yaml.js';
import { validateSites } from '../../src/validate/validate-sites.js';

const s = resolveLabSettings({}, {});

describe('lab organisations (pure)', () => {
  it('--orgs: 1 by default, 2 or 3 from the flag or VMDAG_LAB_ORGS, anything else refused', () => {
    expect(s.orgs).toBe(1);
    expect(organisations(s)).toEqual([]);
    expect(resolveLabSettings({ orgs: '2' }, {}).orgs).toBe(2);
    expect(resolveLabSettings({}, { VMDAG_LAB_ORGS: '3' }).orgs).toBe(3);
    expect(organisations(resolveLabSettings({ orgs: 3 }, {})).map((o) => o.name)).toEqual(['org-b', 'org-c']);
    expect(() => resolveLabSettings({ orgs: '4' }, {})).toThrow(/1 organisation .* or 3/);
    expect(s.sitesFile).toBe('/var/lib/vmdag/lab/current/sites.yaml');
  });

  it('each organisation has its own namespace, root, addresses, link, domain and token folder', () => {
    const b = organisation(s, 'org-b');
    const c = organisation(s, 'org-c');
    for (const k of ['netns', 'root', 'address', 'link', 'linkUserAddress', 'tokensDir', 'domain'] as const) {
      expect(b[k]).not.toBe(c[k]);
      expect(b[k]).not.toBe((s as unknown as Record<string, unknown>)[k]);
    }
    expect(b.root).toBe('/var/lib/vmdag-orgs/org-b/root');
    expect([b.vm, c.vm]).toEqual([false, true]);
    expect(orgScheddName(b)).toBe('org-b@org-b-gw');
    expect(orgCollector(c)).toBe('10.213.32.1:9618');
    expect(b.identity).toBe('vmdag@org-b.lab');
  });

  it("an organisation's configuration: its own names, domain and dedicated scheduler, on its own address", () => {
    const b = organisation(s, 'org-b');
    const c = orgConfig(s, b);
    expect(c).toMatch(/^NETWORK_HOSTNAME = org-b-gw$/m);
    expect(c).toMatch(/^CONDOR_HOST = 10\.213\.31\.1$/m);
    expect(c).toMatch(/^NUM_CPUS = 4$/m);
    expect(c).toMatch(/^UID_DOMAIN = org-b\.lab$/m);
    expect(c).toMatch(/^TRUST_DOMAIN = org-b\.lab$/m);
    expect(c).toMatch(/^SCHEDD_NAME = org-b$/m);
    // The last DedicatedScheduler line wins in HTCondor's configuration: the organisation's schedd.
    expect([...c.matchAll(/^DedicatedScheduler = (.*)$/gm)].at(-1)?.[1]).toBe(
      '"DedicatedScheduler@org-b@org-b-gw"',
    );
    expect(c).not.toMatch(/10\.213\.7\.1/);
    expect(orgHosts(b, 'realhost')).toMatch(/^10\.213\.31\.1 org-b-gw realhost$/m);
  });

  it("the lab's catalog is a valid site catalog: org-a shared with its images folder, the organisations spooled with tokens", () => {
    const text = sitesCatalog(
      [
        { name: 'org-a', collector: '10.213.7.1:9618', schedd: 'vmdag-lab', vm: true },
        {
          name: 'org-b',
          collector: '10.213.31.1:9618',
          schedd: 'org-b@org-b-gw',
          vm: false,
          transfer: 'spool',
          tokens: '/var/lib/vmdag/lab/current/tokens/org-b',
        },
      ],
      { 'org-a': '/var/lib/vmdag/images' },
    );
    const { catalog, diagnostics } = validateSites(parseYaml(text, 'sites.yaml'), { dir: '/x' });
    expect(diagnostics).toEqual([]);
    expect(catalog?.sites.map((x) => [x.name, x.pool, x.schedd])).toEqual([
      ['org-a', '10.213.7.1:9618', 'vmdag-lab'],
      ['org-b', '10.213.31.1:9618', 'org-b@org-b-gw'],
    ]);
    expect(text).toMatch(
      /name: org-a\n.*\n.*\n {4}transfer: shared\n {4}images: "\/var\/lib\/vmdag\/images"/,
    );
    expect(text).toMatch(
      /name: org-b\n.*\n.*\n {4}transfer: spool\n {4}tokens: "\/var\/lib\/vmdag\/lab\/current\/tokens\/org-b"/,
    );
  });
});
