import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TestEdge } from './support/edge.js';
import { startRelay } from './support/relay.js';

const SECRET = 'test-secret-0123456789';
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('the relay control channel', () => {
  it('sends the frames of one event-loop turn in one write, and every one arrives in order', async () => {
    const edge = await new TestEdge({ secret: SECRET }).start();
    stops.push(() => edge.close());
    const relay = await startRelay(edge.url, { RELAY_SECRET: SECRET });
    stops.push(() => relay.stop());
    const link = await edge.nextLink();
    await relay.control.whenReady();

    // The control channel's TCP socket: count the writes that reach it (Writable's _write/_writev).
    const socket = (relay.control as unknown as { ws: { _socket: Socket } }).ws._socket;
    const internals = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    let writes = 0;
    for (const name of ['_write', '_writev'] as const) {
      const original = internals[name].bind(socket);
      internals[name] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }

    for (let i = 0; i < 5; i++) relay.control.sendEvent(2000, 1, { kind: 'hangup', reason: `r${i}` });
    expect(writes).toBe(0); // held until the turn ends
    await link.waitEvent(2000, 1, 'hangup', (e) => e.reason === 'r4');
    expect(writes).toBe(1);
    const reasons = link.eventsFor(2000, 1).map((e) => (e.kind === 'hangup' ? e.reason : e.kind));
    expect(reasons).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);

    // A later turn writes on its own.
    relay.control.sendEvent(2000, 1, { kind: 'hangup', reason: 'later' });
    await link.waitEvent(2000, 1, 'hangup', (e) => e.reason === 'later');
    expect(writes).toBe(2);
  });
});
