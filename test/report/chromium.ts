/**
 * Debian's headless Chromium (`apt-get install chromium`; scripts/test.mjs installs it for `npm test`),
 * driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: we write JSON messages ending in
 * NUL on the child's fd 3 and read its answers on fd 4). No npm package and no browser download: one
 * browser process serves every page, and the test reads the page as Chromium laid it out (boxes in CSS px)
 * and the PNG it painted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** Where Debian's package puts it; scripts/test.mjs checks the same path. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why Chromium cannot be used here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return (
    `${CHROMIUM} is missing: the HTML report is checked in Debian's headless Chromium. npm test installs it ` +
    '(scripts/test.mjs, as root with apt-get); by hand: apt-get install -y --no-install-recommends chromium'
  );
}

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export interface Page {
  /** A JavaScript expression evaluated in the page; its value as JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** The whole page (not just the viewport) as a PNG at one device pixel per CSS px. */
  screenshot(): Promise<Buffer>;
}

export class Chromium {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(m: Message) => void>();
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    let buf = '';
    (child.stdio[4] as Readable).on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let i = buf.indexOf('\0'); i >= 0; i = buf.indexOf('\0')) {
        const m = JSON.parse(buf.slice(0, i)) as Message;
        buf = buf.slice(i + 1);
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if (p && m.id !== undefined) {
          this.pending.delete(m.id);
          if (m.error) p.reject(new Error(`chromium: ${m.error.message}`));
          else p.resolve(m);
        }
        for (const l of this.listeners) l(m);
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values())
        p.reject(new Error(`chromium exited (${signal ?? code}): ${this.stderr.trim()}`));
      this.pending.clear();
    });
  }

  /** Starts headless Chromium with a throw-away profile. As root it needs --no-sandbox. */
  static async launch(): Promise<Chromium> {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    const profile = mkdtempSync(join(tmpdir(), 'vmdag-chromium-'));
    const child = spawn(
      CHROMIUM,
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--force-color-profile=srgb',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const browser = new Chromium(child, profile);
    await browser.send('Browser.getVersion');
    return browser;
  }

  private send(method: string, params: object = {}, sessionId?: string): Promise<Message> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  /** Opens `file` in a new tab `width` CSS px wide and resolves once its load event has fired. */
  async open(file: string, width: number): Promise<Page> {
    const target = await this.send('Target.createTarget', { url: 'about:blank' });
    const attached = await this.send('Target.attachToTarget', {
      targetId: target.result?.targetId,
      flatten: true,
    });
    const session = String(attached.result?.sessionId);
    const call = async (method: string, params: object = {}) =>
      (await this.send(method, params, session)).result ?? {};
    await call('Page.enable');
    await call('Emulation.setDeviceMetricsOverride', {
      width,
      height: 900,
      deviceScaleFactor: 1,
      mobile: false,
    });
    let onLoad: (m: Message) => void = () => {};
    const loaded = new Promise<void>((resolve) => {
      onLoad = (m) => {
        if (m.sessionId === session && m.method === 'Page.loadEventFired') resolve();
      };
      this.listeners.add(onLoad);
    });
    const nav = await call('Page.navigate', { url: pathToFileURL(file).href });
    if (nav.errorText) throw new Error(`chromium could not open ${file}: ${String(nav.errorText)}`);
    await loaded;
    this.listeners.delete(onLoad);
    return {
      evaluate: async <T>(expression: string) => {
        const r = await call('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        const ex = r.exceptionDetails as { text?: string } | undefined;
        if (ex) throw new Error(`in the page: ${ex.text ?? 'exception'}`);
        return (r.result as { value: T }).value;
      },
      screenshot: async () => {
        const m = await call('Page.getLayoutMetrics');
        const size = m.cssContentSize as { width: number; height: number };
        const shot = await call('Page.captureScreenshot', {
          format: 'png',
          captureBeyondViewport: true,
          clip: { x: 0, y: 0, width: Math.ceil(size.width), height: Math.ceil(size.height), scale: 1 },
        });
        return Buffer.from(String(shot.data), 'base64');
      },
    };
  }

  /** Closes the browser (killed if it does not exit within 10 s) and removes its profile. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.send('Browser.close').catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    rmSync(this.profile, { recursive: true, force: true });
  }
}
