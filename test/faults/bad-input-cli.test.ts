/**
 * Issue 14's reproductions through the built CLI (bin/vmdag.js on dist/): odd run directories, files that
 * are not regular files or are too large, names that need escaping, usage errors with --json. Each must end
 * in a clean exit status with a located diagnostic, within seconds, and write nothing.
 */
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
