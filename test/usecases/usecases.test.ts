/**
 * The use cases' own logic, without HTCondor: errors as data (kind → exit code), the run named by a directory
 * or a job id, the resubmit guard, and an HTCondor that cannot be run becoming a `condor` failure.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CondorCommandError, type CondorContext, CondorUnavailableError } from '../../src/condor/exec.js';
import { SUBMIT_MARKER } from '../../src/emit/submit-marker.js';
import { DEFAULT_IMAGES_DIR } from '../../src/image-staging/images-folder.js';
import { failureOf } from '../../src/usecases/failure.js';
import { findRun } from '../../src/usecases/find-run.js';
import { reportRun, resolveReportOptions } from '../../src/usecases/report.js';
import { resolveRmOptions, rmRun } from '../../src/usecases/rm.js';
import { resolveStatusOptions, runStatus } from '../../src/usecases/status.js';
import { resolveSubmitOptions, type SubmitOptions, submitRun } from '../../src/usecases/submit.js';
import { RECORDED } from '../report/recorded.js';

/** A context whose HTCondor cannot be started. */
const NO_CONDOR: CondorContext = { prefix: ['/nonexistent/condor-prefix'] };

/** A copy of a recorded run directory, with a run.json when `submitted`. */
function recordedDir(submitted: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmdag-usecase-'));
  for (const f of ['plan.json', 'diamond.dag'])
    copyFileSync(join(RECORDED, 'native-diamond', f), join(dir, f));
  if (submitted)
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ dagmanJobId: 27, site: 'local', submittedAt: '' }));
  return dir;
}

describe('failureOf', () => {
  const rows: [string, { given: unknown; want: { kind: string; message: string } }][] = [
    [
      'HTCondor not found',
      {
        given: new CondorUnavailableError('HTCondor not found on PATH'),
        want: { kind: 'condor', message: 'HTCondor not found on PATH' },
      },
    ],
    [
      'an HTCondor command failing',
      {
        given: new CondorCommandError({
          command: 'condor_q',
          argv: ['condor_q', '-json'],
          exitCode: 1,
          stdout: '',
          stderr: 'no schedd\n',
        }),
        want: { kind: 'condor', message: 'condor_q exited with 1: no schedd' },
      },
    ],
    ['any other error', { given: new Error('EACCES'), want: { kind: 'invalid', message: 'EACCES' } }],
  ];
  for (const [name, { given, want }] of rows) {
    it(name, () => {
      expect(failureOf(given)).toEqual({ ok: false, ...want });
    });
  }
});

describe('findRun', () => {
  it('a submitted run directory: its layout and record, the local schedd', async () => {
    const r = await findRun(NO_CONDOR, recordedDir(true), '/');
    expect(r).toMatchObject({ ok: true, record: { dagmanJobId: 27 }, layout: { name: 'diamond' } });
  });
  it('usage: a run directory never submitted', async () => {
    const dir = recordedDir(false);
    expect(await findRun(NO_CONDOR, dir, '/')).toEqual({
      ok: false,
      kind: 'usage',
      message: `${dir}: this run directory was never submitted (no run.json)`,
    });
  });
  it('usage: neither a directory nor a job id', async () => {
    expect(await findRun(NO_CONDOR, 'no-such-run', tmpdir())).toMatchObject({ ok: false, kind: 'usage' });
  });
  it('condor: a job id when HTCondor cannot be run', async () => {
    expect(await findRun(NO_CONDOR, '27', tmpdir())).toMatchObject({ ok: false, kind: 'condor' });
  });
});

describe('status, rm and report without HTCondor', () => {
  it('status: a condor failure, not an exception', async () => {
    const r = await runStatus(NO_CONDOR, { run: recordedDir(true), cwd: '/', watch: false, intervalMs: 500 });
    expect(r).toMatchObject({ ok: false, kind: 'condor' });
  });
  it('status: the run it cannot find is a usage failure before any poll', async () => {
    const events: unknown[] = [];
    const r = await runStatus(
      NO_CONDOR,
      { run: recordedDir(false), cwd: '/', watch: true, intervalMs: 500 },
      (e) => events.push(e),
    );
    expect(r).toMatchObject({ ok: false, kind: 'usage' });
    expect(events).toEqual([]);
  });
  it('rm: a condor failure', async () => {
    expect(await rmRun(NO_CONDOR, { run: recordedDir(true), cwd: '/', timeoutSeconds: 1 })).toMatchObject({
      ok: false,
      kind: 'condor',
    });
  });
  it('report: a directory never submitted is invalid', async () => {
    expect(await reportRun(NO_CONDOR, { dir: recordedDir(false), cwd: '/' })).toMatchObject({
      ok: false,
      kind: 'invalid',
      message: expect.stringMatching(/never submitted \(no run\.json\)/),
    });
  });
});

describe('submitRun: the resubmit guard', () => {
  it('a run directory with run.json is refused (usage) and its stale submit marker removed', async () => {
    const dir = recordedDir(true);
    writeFileSync(join(dir, SUBMIT_MARKER), '{}\n');
    const r = await submitRun(NO_CONDOR, resolveSubmitOptions({ target: dir }, { cwd: tmpdir(), env: {} }));
    expect(r).toEqual({
      ok: false,
      kind: 'usage',
      message: `${dir} was already submitted as DAGMan job 27; compile to a new directory to run again`,
    });
    expect(existsSync(join(dir, SUBMIT_MARKER))).toBe(false);
  });
  it('a relative directory is taken from the given cwd', async () => {
    const dir = recordedDir(true);
    const r = await submitRun(NO_CONDOR, resolveSubmitOptions({ target: '.' }, { cwd: dir, env: {} }));
    expect(r).toMatchObject({ ok: false, kind: 'usage', message: expect.stringContaining(dir) });
  });
});

describe('resolveOptions: flag > VMDAG_* > file > default', () => {
  it('status: run, watch and a 2 s interval by default; never below 0.5 s', () => {
    expect(resolveStatusOptions({}, { cwd: '/w' })).toEqual({
      run: '',
      cwd: '/w',
      watch: false,
      intervalMs: 2000,
      sites: expect.any(Function),
    });
    expect(resolveStatusOptions({ run: 'r', watch: true, interval: '0.1' }, { cwd: '/w' })).toEqual({
      run: 'r',
      cwd: '/w',
      watch: true,
      sites: expect.any(Function),
      intervalMs: 500,
    });
  });
  it('rm: 300 s by default', () => {
    expect(resolveRmOptions({ run: '7' }, { cwd: '/w' })).toEqual({
      run: '7',
      cwd: '/w',
      timeoutSeconds: 300,
      sites: expect.any(Function),
    });
    // The catalog is read only when a run is named SITE:ID: none here, none found.
    expect(resolveRmOptions({ run: '7', sites: '/nonexistent.yaml' }, { cwd: '/w' }).sites?.().found).toBe(
      true,
    );
    expect(resolveRmOptions({ run: '7' }, { cwd: '/w', env: {} }).sites?.().found).toBe(false);
    expect(resolveRmOptions({ timeout: '20' }, { cwd: '/w' }).timeoutSeconds).toBe(20);
  });
  it('report: no HTML page by default', () => {
    expect(resolveReportOptions({ dir: 'd' }, { cwd: '/w' })).toEqual({ dir: 'd', cwd: '/w' });
  });
  it('submit: the site catalog from --sites, else VMDAG_SITES, else ./sites.yaml, else none', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'vmdag-sites-'));
    const rows: [string, { flag?: string; env: Record<string, string>; file: boolean; want?: string }][] = [
      ['the flag first', { flag: 'a.yaml', env: { VMDAG_SITES: 'b.yaml' }, file: true, want: 'a.yaml' }],
      ['then VMDAG_SITES', { env: { VMDAG_SITES: 'b.yaml' }, file: true, want: 'b.yaml' }],
      ['then ./sites.yaml', { env: {}, file: true, want: 'sites.yaml' }],
      ['else none', { env: {}, file: false }],
    ];
    for (const [name, { flag, env, file, want }] of rows) {
      if (file) writeFileSync(join(cwd, 'sites.yaml'), 'version: 1\nsites: []\n');
      else rmSync(join(cwd, 'sites.yaml'), { force: true });
      const o = resolveSubmitOptions({ target: 'w.yaml', ...(flag ? { sites: flag } : {}) }, { cwd, env });
      expect(o.sites, name).toBe(want);
      expect(o.target).toBe('w.yaml');
    }
  });
  it("submit: compile's settings and the local images folder from VMDAG_*, else their defaults", () => {
    type Want = Pick<SubmitOptions, 'compile' | 'localImages'>;
    const rows: [string, { env: Record<string, string>; want: Want }][] = [
      [
        'defaults',
        {
          env: {},
          want: { compile: { tuning: 'latency' }, localImages: { dir: DEFAULT_IMAGES_DIR, from: 'default' } },
        },
      ],
      [
        'from the environment',
        {
          env: {
            VMDAG_HOLD_TIMEOUT: '15',
            VMDAG_GATE_TIMEOUT: '120',
            VMDAG_DEFAULTS: '1',
            VMDAG_IMAGES: 'img',
          },
          want: {
            compile: { tuning: 'defaults', holdRemoveSeconds: 15, gateTimeoutSeconds: 120 },
            localImages: { dir: '/w/img', from: 'env' },
          },
        },
      ],
      [
        "empty values are unset; VMDAG_DEFAULTS=0 keeps the tuning; VMDAG_IMAGES='' stages nothing",
        {
          env: { VMDAG_HOLD_TIMEOUT: '', VMDAG_GATE_TIMEOUT: '', VMDAG_DEFAULTS: '0', VMDAG_IMAGES: '' },
          want: { compile: { tuning: 'latency' }, localImages: 'none' },
        },
      ],
      [
        'an invalid timeout is kept for compile to report on the workflow file',
        {
          env: { VMDAG_HOLD_TIMEOUT: '5s', VMDAG_GATE_TIMEOUT: 'x' },
          want: {
            compile: {
              tuning: 'latency',
              invalid: {
                code: 'option.hold-timeout',
                message:
                  'VMDAG_HOLD_TIMEOUT must be a whole number of seconds between 1 and 9999999 (got "5s")',
              },
            },
            localImages: { dir: DEFAULT_IMAGES_DIR, from: 'default' },
          },
        },
      ],
    ];
    for (const [name, { env, want }] of rows) {
      const { compile, localImages } = resolveSubmitOptions({ target: 'w.yaml' }, { cwd: '/w', env });
      expect({ compile, localImages }, name).toEqual(want);
    }
  });
});
