/**
 * May this user submit to a site's schedd? `condor_ping -type schedd -verbose WRITE` (the `bps ping` of vmdag):
 * it authenticates as a submit would, with the tokens the site's catalog entry names (or HTCondor's own
 * lookup: ~/.condor/tokens.d, SEC_TOKEN_DIRECTORY), and says who the schedd takes the user for.
 */
import { type Target, targetContext } from '../condor/dag-run.js';
import { type CondorContext, runCondor } from '../condor/exec.js';

export interface SubmitAccess {
  /** The schedd authenticated the user and allows WRITE (submitting). */
  allowed: boolean;
  /** Who the schedd maps the user to (condor_ping's "Remote Mapping"), e.g. vmdag@org-b.lab. */
  identity?: string;
  /** Authentication method used (e.g. IDTOKENS). */
  method?: string;
  /** condor_ping's own words when not allowed. */
  error?: string;
  /** What the user can do about it, when not allowed. */
  fix?: string;
}

/** Pure: condor_ping's answer (its output and exit code). */
export function parsePing(r: { exitCode: number; stdout: string; stderr: string }): SubmitAccess {
  const field = (name: string) =>
    new RegExp(`^${name}:\\s*(.*?)\\s*$`, 'm').exec(r.stdout)?.[1]?.trim() || undefined;
  const identity = field('Remote Mapping');
  const method = field('Authenticated using');
  const authorized = field('Authorized') === 'TRUE';
  if (r.exitCode === 0 && authorized) {
    return { allowed: true, ...(identity ? { identity } : {}), ...(method ? { method } : {}) };
  }
  const words = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        l !== '' &&
        !/^(Destination|Remote Version|Local {2}?Version|Local Version|Session ID|Instruction|Command|Encryption|Integrity):/.test(
          l,
        ),
    );
  // The first AUTHENTICATE line says it all ("Failed to authenticate with any method"); the per-method ones follow.
  const auth =
    words.find((l) => l.startsWith('AUTHENTICATE:1003')) ?? words.find((l) => l.startsWith('AUTHENTICATE'));
  const error =
    auth ??
    words.find((l) => /ERROR|failed|denied/i.test(l)) ??
    words[0] ??
    `condor_ping exited ${r.exitCode}`;
  return { allowed: false, ...(identity ? { identity } : {}), error };
}

/** What a user does when a site refuses them (a message's tail). */
export function accessFix(site: string, tokens: string | undefined): string {
  const where = tokens
    ? `the folder the catalog names for ${site} (tokens: ${tokens})`
    : '~/.condor/tokens.d (or the folder SEC_TOKEN_DIRECTORY names), or name a folder with `tokens:` in the catalog';
  return `ask ${site}'s administrators for a token (condor_token_request, or one they issue with condor_token_create) and put it in ${where}`;
}

export async function submitAccess(
  ctx: CondorContext,
  target: Pick<Target, 'pool' | 'schedd' | 'tokens' | 'address'>,
  site?: string,
): Promise<SubmitAccess> {
  // By address when known: `-name` takes a Name without `@` for a host name ("couldn't locate vmdag-lab!").
  // Without pool and schedd: the local schedd (`vmdag check` on the local pool).
  const who = target.address
    ? ['-address', target.address]
    : [...(target.pool ? ['-pool', target.pool] : []), ...(target.schedd ? ['-name', target.schedd] : [])];
  const r = await runCondor(
    targetContext(ctx, target),
    'condor_ping',
    [...who, '-type', 'schedd', '-verbose', 'WRITE'],
    { allowFailure: true, timeout: 30_000, cwd: '/' },
  );
  const access = parsePing(r);
  return access.allowed || site === undefined ? access : { ...access, fix: accessFix(site, target.tokens) };
}
