/**
 * Issue 14's reproductions through the built CLI (bin/vmdag.js on dist/): odd run directories, files that
 * are not regular files or are too large, names that need escaping, usage errors with --json. Each must end
 * in a clean exit status with a located diagnostic, within seconds, and write nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashLines, type ProcessResult, runCli } from './cli-process.js';

const root = mkdtempSync(path.join(tmpdir(), 'vmdag-cli-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const OK = 'version: 1\nname: ok\ncompute:\n  cpus: 1\n  executable: app\n';

/** A fresh folder holding ok.yaml and its executable. */
function folder(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'app'), '#!/bin/sh\n');
  writeFileSync(path.join(dir, 'ok.yaml'), OK);
  return dir;
}

function clean(r: ProcessResult, status: number): void {
  expect(r.signal, `killed after ${r.ms.toFixed(0)} ms`).toBeNull();
  expect(r.status, r.stderr).toBe(status);
  expect(crashLines(r.stderr + r.stdout)).toEqual([]);
}

/** The one JSON document on stdout, with its diagnostics. */
function json(r: ProcessResult): { ok: boolean; diagnostics: { code: string; message: string }[] } {
  return JSON.parse(r.stdout);
}

describe('run directories that cannot be', () => {
  it('item 5: a parent that is a file is a diagnostic, not a crash, and --json prints it', () => {
    const dir = folder('notdir');
    writeFileSync(path.join(dir, 'afile'), 'x');
    const r = runCli(['compile', 'ok.yaml', '-o', 'afile/run', '--json'], { cwd: dir });
    clean(r, 1);
    expect(json(r).diagnostics.map((d) => d.code)).toEqual(['emit.failed']);
    expect(json(r).diagnostics[0]?.message).toMatch(/afile exists and is not a folder/);
    expect(readdirSync(dir).sort()).toEqual(['afile', 'app', 'ok.yaml']);
  });

  it('item 6: a folder that cannot be made under /proc ends at once', () => {
    const dir = folder('proc');
    const r = runCli(['compile', 'ok.yaml', '-o', '/proc/vmdag-x/run'], { cwd: dir, timeoutMs: 5000 });
    clean(r, 1);
    expect(r.stderr).toMatch(/cannot create the folder \/proc\/vmdag-x.*\[emit\.failed\]/);
  });

  it("item 7: -o '' is a usage error, -o . and -o .. are refused: the current folder stays", () => {
    const dir = folder('cwd');
    const inner = path.join(dir, 'empty');
    mkdirSync(inner);
    const ino = statSync(inner).ino;
    const empty = runCli(['compile', '../ok.yaml', '-o', ''], { cwd: inner });
    clean(empty, 2);
    expect(empty.stderr).toMatch(/-o\/--output is empty/);
    for (const o of ['.', '..', inner]) {
      const r = runCli(['compile', '../ok.yaml', '-o', o], { cwd: inner });
      clean(r, 1);
      expect(r.stderr).toMatch(/is the current folder or holds it.*\[emit\.refused\]/);
    }
    expect(statSync(inner).ino).toBe(ino);
    expect(readdirSync(inner)).toEqual([]);
  });
});

describe('input files vmdag does not read', () => {
  it('item 8: a device, a FIFO with no writer and a folder are refused at once, not read', () => {
    const dir = folder('special');
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    for (const [file, kind] of [
      ['/dev/zero', 'a device'],
      ['fifo', 'a named pipe'],
      ['.', 'a folder'],
    ]) {
      for (const cmd of ['validate', 'compile']) {
        const r = runCli([cmd, file as string, ...(cmd === 'compile' ? ['-o', 'run'] : [])], {
          cwd: dir,
          timeoutMs: 5000,
        });
        clean(r, 1);
        expect(r.stderr).toBe(
          `${file}:1:1: error: cannot read ${file}: it is ${kind}, not a regular file [file.not-regular]\n`,
        );
      }
    }
    const sites = runCli(['validate', '--sites', '/dev/zero', 'ok.yaml'], { cwd: dir, timeoutMs: 5000 });
    clean(sites, 1);
    expect(sites.stderr).toMatch(/^\/dev\/zero:1:1: error: .*\[file\.not-regular\]$/m);
  });

  it('item 8: a file over 32 MiB is refused without being parsed', () => {
    const dir = folder('large');
    writeFileSync(path.join(dir, 'big.yaml'), `${OK}#${'x'.repeat(32 * 1024 * 1024)}\n`);
    const r = runCli(['validate', 'big.yaml'], { cwd: dir, timeoutMs: 5000 });
    clean(r, 1);
    expect(r.stderr).toMatch(
      /^big\.yaml:1:1: error: cannot read big\.yaml: it is larger than 33554432 bytes .*\[file\.too-large\]\n$/,
    );
  });
});

describe('what the CLI prints', () => {
  it('item 10: "FILE: valid" escapes a line break in the name, as diagnostics do', () => {
    const dir = folder('names');
    writeFileSync(path.join(dir, 'new\nline.yaml'), OK);
    const r = runCli(['validate', 'new\nline.yaml'], { cwd: dir });
    clean(r, 0);
    expect(r.stderr).toBe('new\\nline.yaml: valid\n');
  });

  it('item 10: usage errors with --json are one JSON document on stdout, exit 2', () => {
    const dir = folder('usage');
    for (const args of [
      ['validate', '--json'],
      ['compile', '--json'],
      ['compile', 'ok.yaml', '--json', '--bogus'],
      ['compile', 'ok.yaml', '--json', '-o', ''],
      ['compile', 'ok.yaml', '--json', '--hold-timeout', 'x'],
    ]) {
      const r = runCli(args, { cwd: dir });
      clean(r, 2);
      const j = json(r);
      expect(j.ok, args.join(' ')).toBe(false);
      expect(j.diagnostics).toEqual([
        {
          severity: 'error',
          code: 'usage',
          message: expect.any(String),
          file: '',
          line: 1,
          column: 1,
          pointer: '',
        },
      ]);
      expect(j.diagnostics[0]?.message).not.toBe('');
    }
  });
});
