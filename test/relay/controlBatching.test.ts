import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { relayFixture } from './support/relayFixture.js';

describe('the relay control channel', () => {
  const fx = relayFixture([48650, 48659]);

  it('sends the frames of one event-loop turn in one write, and every one arrives in order', async () => {
    // The control channel's TCP socket: count the writes that reach it (Writable's _write/_writev).
    const socket = (fx.relay.control as unknown as { ws: { _socket: Socket } }).ws._socket;
    const internals = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    let writes = 0;
    for (const name of ['_write', '_writev'] as const) {
      const original = internals[name].bind(socket);
      internals[name] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }

    for (let i = 0; i < 5; i++) fx.relay.control.sendEvent(2000, 1, { kind: 'hangup', reason: `r${i}` });
    expect(writes).toBe(0); // held until the turn ends
    await fx.link.waitEvent(2000, 1, 'hangup', (e) => e.reason === 'r4');
    expect(writes).toBe(1);
    const reasons = fx.link.eventsFor(2000, 1).map((e) => (e.kind === 'hangup' ? e.reason : e.kind));
    expect(reasons).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);

    // A later turn writes on its own.
    fx.relay.control.sendEvent(2000, 1, { kind: 'hangup', reason: 'later' });
    await fx.link.waitEvent(2000, 1, 'hangup', (e) => e.reason === 'later');
    expect(writes).toBe(2);
  });
});
