/**
 * Stage a local VM image into a site's images folder, once per run (the effect of `vmdag submit`; compile
 * only names the result). The copy is content-addressed (`vmdag-<sha256>.<format>`), hashed while it is
 * written and compared with the sha256 the plan computed (a file changed in between is refused), made
 * read-only, and published atomically: written to a temporary name in the same folder, then hard-linked to
 * its final name — a copy staged meanwhile by another run wins and is reused, and a published file is never
 * replaced under a running VM. A copy already there with the same name and size is reused untouched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileBytes } from './images-folder.js';

export interface StageRequest {
  /** The local image on this host. */
  source: string;
  /** Absolute final path (`<images>/vmdag-<sha256>.<format>`). */
  target: string;
  sha256: string;
  bytes: number;
  /** Make the images folder (and its parents) when missing. */
  createFolder?: boolean;
}

export interface StageResult {
  path: string;
  /** Nothing copied: the same content was already there. */
  reused: boolean;
  bytes: number;
  /** Milliseconds spent copying (0 when reused). */
  ms: number;
}

export class StageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageError';
  }
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export async function stageImage(r: StageRequest): Promise<StageResult> {
  const t0 = Date.now();
  const dir = dirname(r.target);
  if (fileBytes(r.target) === r.bytes) return { path: r.target, reused: true, bytes: r.bytes, ms: 0 };
  if (r.createFolder) await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.${basename(r.target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const hash = createHash('sha256');
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
    await pipeline(
      createReadStream(r.source, { highWaterMark: 1 << 20 }),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      },
      out,
    );
    const got = hash.digest('hex');
    if (got !== r.sha256.toLowerCase())
      throw new StageError(
        `${r.source} changed while it was being staged: sha256 ${got}, expected ${r.sha256} — nothing staged`,
      );
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Read-only for everyone: VMs open it read-only and nothing may write a content-addressed copy.
    await chmod(tmp, 0o444);
    const existing = fileBytes(r.target);
    if (existing === undefined) {
      try {
        await link(tmp, r.target);
        return { path: r.target, reused: false, bytes: r.bytes, ms: Date.now() - t0 };
      } catch (e) {
        if (code(e) === 'EEXIST' && fileBytes(r.target) === r.bytes)
          return { path: r.target, reused: true, bytes: r.bytes, ms: 0 };
        if (code(e) !== 'EPERM' && code(e) !== 'ENOTSUP' && code(e) !== 'EEXIST') throw e;
      }
    }
    // No hard links on this file system, or a copy of the wrong size (never written by vmdag): replace it.
    await rename(tmp, r.target);
    return { path: r.target, reused: false, bytes: r.bytes, ms: Date.now() - t0 };
  } catch (e) {
    if (e instanceof StageError) throw e;
    throw new StageError(`could not stage ${r.source} into ${dir}: ${(e as Error).message}`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
