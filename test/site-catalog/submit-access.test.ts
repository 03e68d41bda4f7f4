/** condor_ping's answers recorded from the lab's organisations (fixtures/recorded/orgs-ping). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accessFix, parsePing } from '../../src/site-catalog/submit-access.js';

const dir = new URL('../../fixtures/recorded/orgs-ping/', import.meta.url);
const recorded = (name: string) => ({
  stdout: readFileSync(new URL(`${name}.stdout`, dir), 'utf8'),
  stderr: readFileSync(new URL(`${name}.stderr`, dir), 'utf8'),
  exitCode: Number(readFileSync(new URL(`${name}.exit`, dir), 'utf8')),
});

describe('submit access (condor_ping WRITE)', () => {
  it("with the organisation's own token: allowed, as the identity its token names, by IDTOKENS", () => {
    expect(parsePing(recorded('ping.own-token'))).toEqual({
      allowed: true,
      identity: 'vmdag@org-c.lab',
      method: 'IDTOKENS',
    });
  });

  it('without a token, or with another organisation’s: refused, with the authentication failure', () => {
    for (const name of ['ping.no-token', 'ping.other-token']) {
      const a = parsePing(recorded(name));
      expect(a.allowed).toBe(false);
      expect(a.error).toMatch(/^AUTHENTICATE:1003:Failed to authenticate with any method/);
    }
  });

  it('a collector that does not answer: refused, with what condor_ping said', () => {
    const a = parsePing(recorded('ping.no-collector'));
    expect(a.allowed).toBe(false);
    expect(a.error).toMatch(/couldn't locate org-c@org-c-gw/);
  });

  it('the fix names the catalog’s token folder when there is one, else where HTCondor looks', () => {
    expect(accessFix('org-c', '/t/org-c')).toMatch(/tokens: \/t\/org-c/);
    expect(accessFix('org-c', undefined)).toMatch(/~\/\.condor\/tokens\.d/);
  });
});
