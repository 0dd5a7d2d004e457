import type { Plugin } from '../plugin.js';

const SLOW_MS = 2000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A deliberately slow plugin, loaded only with TEST_PLUGINS=true: attach, message, hangup and
 * destroy each take seconds, the way a plugin waiting on media work would. It proves that no API
 * request of another session waits on it (the reference server's §1.9 failure).
 */
export const slowTest: Plugin = {
  info: {
    package: 'janus.plugin.slowtest',
    name: 'Slow test plugin',
    author: 'janus-edge tests',
    description: 'Takes its time on every call; for tests only.',
    version: 1,
    versionString: '0.0.1',
  },
  async createHandle() {
    await sleep(SLOW_MS);
  },
  handleMessage(ctx, message) {
    const delay = typeof message.body.delay_ms === 'number' ? message.body.delay_ms : SLOW_MS;
    if (message.body.request === 'sync') return { kind: 'ok', data: { slowtest: 'ok' } };
    void sleep(Math.min(delay, 30_000)).then(() => {
      ctx.pushEvent({ slowtest: 'event', result: 'done' }, undefined, message.transaction);
      ctx.notifyEvent({ slowtest: 'done' });
    });
    return { kind: 'ack' };
  },
  async hangupMedia() {
    await sleep(SLOW_MS);
  },
  async destroyHandle() {
    await sleep(SLOW_MS);
  },
  async handleAdminMessage(request) {
    await sleep(SLOW_MS);
    return { slowtest: 'admin', echo: request };
  },
};
