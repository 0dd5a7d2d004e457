import { describe, expect, it } from 'vitest';
import { DIRECTORY_REFRESH_MS } from '../../../edge/relays/directory.js';
import { HEARTBEAT_INTERVAL_MS } from '../../../shared/control/messages.js';
import { frame, peerCreate, registeredLink, runCommand, type LinkFixture } from './harness.js';

async function heartbeat(f: LinkFixture, peers: number, capacity = 100): Promise<void> {
  f.clock.advance(HEARTBEAT_INTERVAL_MS);
  await f.link.message(
    f.socket,
    frame({ type: 'heartbeat', load: peers / capacity, peers, portsInUse: 0, eventLoopLagMs: 3 }),
  );
}

const forwarded = (f: LinkFixture) => f.directory.calls.filter((c) => c.startsWith('heartbeat')).length;

describe('relay link: heartbeats to the directory', () => {
  it('forwards a heartbeat only when the load or the peer count changed', async () => {
    const f = await registeredLink();
    for (let i = 0; i < 10; i++) await heartbeat(f, 0);
    expect(forwarded(f)).toBe(0);
    await heartbeat(f, 2);
    expect(forwarded(f)).toBe(1);
    expect(f.directory.entries.at(-1)).toMatchObject({ relayId: 'relay-a', peers: 2, load: 0.02 });
    await heartbeat(f, 2);
    await heartbeat(f, 2);
    expect(forwarded(f)).toBe(1);
    await heartbeat(f, 1);
    expect(forwarded(f)).toBe(2);
    expect(f.directory.entries.at(-1)).toMatchObject({ peers: 1 });
  });

  it('refreshes the directory every DIRECTORY_REFRESH_MS while nothing changes', async () => {
    const f = await registeredLink();
    const beats = (3 * DIRECTORY_REFRESH_MS) / HEARTBEAT_INTERVAL_MS;
    for (let i = 0; i < beats; i++) await heartbeat(f, 0);
    expect(forwarded(f)).toBe(3);
  });

  it('forwards the heartbeat after a peer.create even when nothing changed (the directory counted the placement)', async () => {
    const f = await registeredLink();
    await heartbeat(f, 0);
    await runCommand(f, peerCreate(11, 12), { ok: false, error: { code: 490, reason: 'full' } });
    await heartbeat(f, 0);
    expect(forwarded(f)).toBe(1);
    expect(f.directory.entries.at(-1)).toMatchObject({ peers: 0 });
    await heartbeat(f, 0);
    expect(forwarded(f)).toBe(1);
  });

  it('still reads every heartbeat itself: a digest that keeps differing makes it ask for the list', async () => {
    const f = await registeredLink();
    for (let i = 0; i < 2; i++) {
      f.clock.advance(HEARTBEAT_INTERVAL_MS);
      await f.link.message(
        f.socket,
        frame({ type: 'heartbeat', load: 0, peers: 0, portsInUse: 0, eventLoopLagMs: 0, peerDigest: 'differs' }),
      );
    }
    expect(forwarded(f)).toBe(0);
    expect(f.socket.sent.filter((m) => m.type === 'listPeers')).toHaveLength(1);
  });
});
