/**
 * Meetecho's demo pages (Debian janus-demos, unmodified but for settings.js) opened in Chromium against
 * the stack: the settings.js route, what went wrong on the page, its error dialogs, and synchronous
 * plugin requests over the Janus HTTP API to check the server's side.
 */
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import {
  chromiumAvailable,
  janusDemosAvailable,
  launchBrowser,
  serveJanusDemos,
  type DemoServer,
} from '../../support/browser.js';
import { startStack, type Stack } from '../../support/stack.js';

/** Why the demo tests cannot run here, or undefined. */
export const demosSkipped = !chromiumAvailable
  ? 'Debian chromium (/usr/bin/chromium) is not installed'
  : !janusDemosAvailable
    ? 'Debian janus-demos (/usr/share/janus/demos and its libjs-* scripts) is not installed'
    : undefined;

/**
 * Debian's settings.js, pointed at the stack. Debian's own leaves `token` and `apisecret` undefined
 * (the pages read them) and no STUN server: loopback host candidates are all a local stack needs.
 */
export const settingsJs = (server: string) =>
  `var server = ${JSON.stringify(server)};\nvar iceServers = [];\nvar token = null;\nvar apisecret = null;\n`;

/** How the pages reach the API: REST + long poll (the demos' default), or WebSocket. */
export type Transport = 'http' | 'ws';
export const transports: Transport[] = ['http', 'ws'];

/** A demo page, with everything that went wrong on it: page errors, console errors, failed API answers. */
export interface DemoPage {
  page: Page;
  problems: string[];
  /** The page's console, for the failure message. */
  console: string[];
}

/**
 * Opens the demo page at `url`, its settings.js pointing at the stack over `transport`. A console error is a problem unless `tolerated` (the demos' or the packaging's own).
 */
export async function openDemoPage(
  browser: Browser,
  stack: Stack,
  url: string,
  transport: Transport,
  tolerated: (msg: ConsoleMessage) => boolean = () => false,
): Promise<DemoPage> {
  const page = await browser.newPage();
  const server = transport === 'ws' ? stack.wsUrl : stack.httpUrl;
  await page.route('**/settings.js', (route) =>
    route.fulfill({ contentType: 'text/javascript', body: settingsJs(server) }),
  );
  const demo: DemoPage = { page, problems: [], console: [] };
  page.on('pageerror', (err) => demo.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    demo.console.push(`${msg.type()}: ${msg.text().slice(0, 400)}`);
    if (msg.type() === 'error' && !tolerated(msg)) demo.problems.push(`console error: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.url().startsWith(stack.baseUrl) && res.status() >= 400)
      demo.problems.push(`${res.status()} from ${res.url()}`);
  });
  await page.goto(url);
  return demo;
}

/** What a demo test runs on: the stack, Chromium and the demos' server; and the pages it opened. */
export class DemoRig {
  stack!: Stack;
  browser!: Browser;
  demos!: DemoServer;
  readonly pages: DemoPage[] = [];

  /** Starts all three (the stack with `env`); whichever started is kept for `stop` when another fails. */
  async start(env: Record<string, string> = {}): Promise<void> {
    const [stack, browser, demos] = await Promise.allSettled([startStack(env), launchBrowser(), serveJanusDemos()]);
    if (stack.status === 'fulfilled') this.stack = stack.value;
    if (browser.status === 'fulfilled') this.browser = browser.value;
    if (demos.status === 'fulfilled') this.demos = demos.value;
    for (const r of [stack, browser, demos]) if (r.status === 'rejected') throw r.reason;
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.demos?.close();
    await this.stack?.stop();
  }

  /** Opens the demo page `path` over `transport` (see openDemoPage), kept in `pages`. */
  async open(path: string, transport: Transport, tolerated?: (msg: ConsoleMessage) => boolean): Promise<DemoPage> {
    const demo = await openDemoPage(this.browser, this.stack, this.demos.url + path, transport, tolerated);
    this.pages.push(demo);
    return demo;
  }
}

/** A visible bootbox dialog's text (the demos' way to report an error), or null. */
export const dialogText = (page: Page) =>
  page.evaluate(() => {
    const box = document.querySelector('.bootbox.modal');
    return box && (box as HTMLElement).offsetParent !== null ? (box.textContent ?? '').trim() : null;
  });

/** Synchronous requests to `plugin` over the Janus HTTP API, on a session of their own. */
export async function pluginRequests(
  stack: Stack,
  plugin: string,
  bodies: object[],
): Promise<Array<Record<string, unknown>>> {
  const post = async (path: string, body: object) =>
    (await (
      await fetch(stack.httpUrl + path, { method: 'POST', body: JSON.stringify({ transaction: 't', ...body }) })
    ).json()) as { data?: { id: number }; plugindata?: { data: Record<string, unknown> } };
  const session = (await post('', { janus: 'create' })).data!.id;
  const handle = (await post(`/${session}`, { janus: 'attach', plugin })).data!.id;
  const out = [];
  for (const body of bodies)
    out.push((await post(`/${session}/${handle}`, { janus: 'message', body })).plugindata!.data);
  await post(`/${session}`, { janus: 'destroy' });
  return out;
}
