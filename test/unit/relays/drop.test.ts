import { describe, expect, it } from 'vitest';
import { HEARTBEAT_TIMEOUT_MS } from '../../../shared/control/messages.js';
import { LIVENESS_CHECK_MS, PEERS_WRITE_MS, RelayConnection } from '../../../edge/relays/relayConnection.js';
import { Logger } from '../../../edge/log.js';
import { LINK_ID, SECRET, frame, peerCreate, registeredLink, runCommand, type LinkFixture } from './harness.js';

/** A registered link with peers on three sessions (two handles on one) and two watching rooms. */
async function busyLink(): Promise<LinkFixture> {
  const f = await registeredLink();
  for (const [s, h] of [
    [11, 1],
    [11, 2],
    [22, 3],
    [33, 4],
  ] as const)
    await runCommand(f, peerCreate(s, h), { ok: true, result: {} });
  await f.link.watch('number:1');
  await f.link.watch('string:lobby');
  await f.link.watch('number:1');
  return f;
}

/** What a drop must have done, exactly once. */
function expectDroppedOnce(f: LinkFixture, link: RelayConnection = f.link): void {
  const hangups = f.objects.shardCalls.map((c) => ({ shard: c.shardOf, peer: `${c.sessionId}:${c.handleId}`, c }));
  expect(hangups.map((h) => `${h.shard} ${h.peer}`).sort()).toEqual(['11 11:1', '11 11:2', '22 22:3', '33 33:4']);
  for (const h of hangups) {
    expect(h.c.linkId).toBe(LINK_ID);
    expect(h.c.event).toEqual({ kind: 'hangup', reason: 'Relay lost' });
  }
  expect(f.objects.roomCalls.map((c) => `${c.call} ${c.room} ${String(c.arg)}`).sort()).toEqual([
    `relayLost number:1 ${LINK_ID}`,
    `relayLost string:lobby ${LINK_ID}`,
  ]);
  expect(f.directory.calls.filter((c) => c.startsWith('down'))).toEqual([`down relay-a ${LINK_ID}`]);
  expect([...f.storage.data.keys()]).toEqual([]);
  expect(f.storage.alarm).toBeUndefined();
  expect(link.dropped).toBe(true);
}

describe('relay link: losing the relay', () => {
  it('on socket close hangs up every peer on its own shard, tells rooms and the directory, clears storage', async () => {
    const f = await busyLink();
    expect(f.storage.data.get('rooms')).toEqual(['number:1', 'string:lobby']);
    await f.link.drop('control socket closed');
    expect(f.socket.closed).toEqual({ code: 1011, reason: 'control socket closed' });
    expectDroppedOnce(f);
  });

  it('a second drop, and later alarms, do nothing', async () => {
    const f = await busyLink();
    await f.link.drop('control socket closed');
    await f.link.drop('control socket error');
    f.clock.advance(HEARTBEAT_TIMEOUT_MS * 2);
    await f.link.alarm();
    expectDroppedOnce(f);
  });

  it('keeps a relay that heartbeats, and drops it after HEARTBEAT_TIMEOUT_MS of silence', async () => {
    const f = await busyLink();
    for (let i = 0; i < 6; i++) {
      f.clock.advance(1_000);
      await f.link.message(f.socket, frame({ type: 'heartbeat', load: 0, peers: 4, portsInUse: 0, eventLoopLagMs: 0 }));
      await f.link.alarm();
      // armed for when the silence since this heartbeat would pass the timeout
      expect(f.storage.alarm).toBe(f.clock.now() + HEARTBEAT_TIMEOUT_MS + 1);
    }
    f.clock.advance(HEARTBEAT_TIMEOUT_MS);
    await f.link.alarm();
    expect(f.link.dropped).toBe(false);
    expect(f.storage.alarm).toBe(f.clock.now() + LIVENESS_CHECK_MS);
    f.clock.advance(1);
    await f.link.alarm();
    expect(f.socket.closed).toEqual({ code: 1011, reason: 'heartbeat timeout' });
    expectDroppedOnce(f);
  });

  it('does not tell rooms that stopped watching', async () => {
    const f = await busyLink();
    await f.link.unwatch('string:lobby');
    expect(f.storage.data.get('rooms')).toEqual(['number:1']);
    await f.link.drop('control socket closed');
    expect(f.objects.roomCalls.map((c) => c.room)).toEqual(['number:1']);
  });

  it('tells a room that watches after the drop at once', async () => {
    const f = await registeredLink();
    await f.link.drop('control socket closed');
    await f.link.watch('number:9');
    await Promise.resolve();
    expect(f.objects.roomCalls).toEqual([{ room: 'number:9', call: 'relayLost', arg: LINK_ID }]);
    expect(f.storage.data.has('rooms')).toBe(false);
  });

  it('a link restored from storage still knows its peers and rooms, or that it was dropped', async () => {
    const f = await busyLink();
    f.clock.advance(PEERS_WRITE_MS);
    await new Promise((r) => setTimeout(r, 0));
    const host = {
      storage: f.storage,
      clock: f.clock,
      log: new Logger('silent', 'relay-link'),
      sockets: () => f.sockets,
      directory: () => f.directory,
      shardOfSession: (sessionId: number) => f.objects.shard(sessionId),
      room: (name: string) => f.objects.room(name),
    };
    const restored = new RelayConnection(host, SECRET);
    await restored.restore();
    await restored.drop('control socket closed');
    expectDroppedOnce(f, restored);
    const stale = new RelayConnection(host, SECRET);
    await f.storage.put('dropped', true);
    await stale.restore();
    expect(stale.dropped).toBe(true);
  });
});
