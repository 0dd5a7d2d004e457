/**
 * Headless Debian Chromium driven by playwright-core, with a fake camera and microphone and loopback
 * ICE allowed (playwright gives each launch a fresh profile). Tests skip (and say why) where /usr/bin/chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Meetecho's demo pages as Debian's `janus-demos` installs them (scripts from the `libjs-*` packages). */
export const JANUS_DEMOS = '/usr/share/janus/demos';
export const janusDemosAvailable =
  existsSync(`${JANUS_DEMOS}/echotest.html`) && existsSync(`${JANUS_DEMOS}/javascript/janus-gateway/janus.min.js`);

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

export interface DemoServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the demos directory as it is installed (following its symlinks into /usr/share/javascript,
 * as a web server would) on a loopback port of its own: a different origin from the API, as Janus's
 * demos are. Tests point the pages at a server by routing their `settings.js`.
 */
export async function serveJanusDemos(): Promise<DemoServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(JANUS_DEMOS, path === '/' ? 'index.html' : path));
      if (!file.startsWith(JANUS_DEMOS + '/')) {
        res.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
