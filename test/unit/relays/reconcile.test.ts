import { describe, expect, it } from 'vitest';
import type { ListedPeer } from '../../../shared/control/messages.js';
import { peerDigest } from '../../../shared/control/peerDigest.js';
import { LIST_PEERS_MIN_INTERVAL_MS, UNKNOWN_PEER_GRACE_MS } from '../../../edge/relays/peerReconciliation.js';
import { PEERS_WRITE_MS } from '../../../edge/relays/relayConnection.js';
import { LINK_ID, frame, peerCreate, registeredLink, runCommand, settle, type LinkFixture } from './harness.js';

/** A heartbeat from a relay holding `keys`. */
function heartbeat(keys: string[]): string {
  return frame({
    type: 'heartbeat',
    load: 0,
    peers: keys.length,
    portsInUse: keys.length,
    eventLoopLagMs: 0,
    peerDigest: peerDigest(keys),
  });
}

function listPeersSent(f: LinkFixture): number {
  return f.socket.sent.filter((m) => m.type === 'listPeers').length;
}

async function created(f: LinkFixture, sessionId: number, handleId: number): Promise<void> {
  await runCommand(f, peerCreate(sessionId, handleId), { ok: true, result: {} });
}

describe('peer digest', () => {
  it('is the same for the same set in any order and differs when one key differs', () => {
    expect(peerDigest(['1:2', '3:4', '5:6'])).toBe(peerDigest(['5:6', '1:2', '3:4']));
    expect(peerDigest(['1:2', '3:4'])).not.toBe(peerDigest(['1:2', '3:5']));
    expect(peerDigest(['1:2', '3:4'])).not.toBe(peerDigest(['1:2']));
    expect(peerDigest([])).toBe(peerDigest(new Set()));
  });
});

describe('relay link: reconciling peers with the relay', () => {
  it('asks for nothing while the digests agree, nor for one differing heartbeat (a creation in flight)', async () => {
    const f = await registeredLink();
    await created(f, 11, 12);
    await f.link.message(f.socket, heartbeat(['11:12']));
    await f.link.message(f.socket, heartbeat(['11:12', '31:32']));
    await f.link.message(f.socket, heartbeat(['11:12']));
    await f.link.message(f.socket, heartbeat(['11:12', '31:32']));
    expect(listPeersSent(f)).toBe(0);
  });

  it('asks for the list after two differing heartbeats, then at most every few seconds', async () => {
    const f = await registeredLink();
    await created(f, 11, 12);
    await f.link.message(f.socket, heartbeat([]));
    f.clock.advance(1_000);
    await f.link.message(f.socket, heartbeat([]));
    expect(listPeersSent(f)).toBe(1);
    f.clock.advance(1_000);
    await f.link.message(f.socket, heartbeat([]));
    expect(listPeersSent(f)).toBe(1);
    f.clock.advance(LIST_PEERS_MIN_INTERVAL_MS);
    await f.link.message(f.socket, heartbeat([]));
    expect(listPeersSent(f)).toBe(2);
  });

  it('hangs up, through its shard, a peer the relay lost, and closes on the relay an old peer it does not know', async () => {
    const f = await registeredLink();
    await created(f, 11, 12);
    await created(f, 21, 22);
    const commandsBefore = f.socket.commands().length;
    const listed: ListedPeer[] = [
      { sessionId: 21, handleId: 22, ageMs: 5_000 },
      { sessionId: 41, handleId: 42, ageMs: UNKNOWN_PEER_GRACE_MS + 1 },
      // young: its peer.create reply may still be on its way
      { sessionId: 51, handleId: 52, ageMs: 100 },
    ];
    await f.link.message(f.socket, frame({ type: 'peers', peers: listed }));
    await settle();
    expect(f.objects.shardCalls).toEqual([
      {
        shardOf: 11,
        sessionId: 11,
        handleId: 12,
        linkId: LINK_ID,
        event: { kind: 'hangup', reason: 'Gone from relay' },
      },
    ]);
    expect(
      f.socket
        .commands()
        .slice(commandsBefore)
        .map((c) => c.cmd),
    ).toEqual([{ op: 'peer.hangup', sessionId: 41, handleId: 42, reason: 'Unknown peer' }]);
    f.clock.advance(PEERS_WRITE_MS);
    expect(f.storage.data.get('peers')).toEqual(['21:22']);
    // once the relay closed the unknown one, the digests agree again
    await f.link.message(f.socket, heartbeat(['21:22']));
    await f.link.message(f.socket, heartbeat(['21:22']));
    expect(listPeersSent(f)).toBe(0);
    // the peer is gone for good: losing the relay does not hang it up a second time
    await f.link.drop('control socket closed');
    expect(f.objects.shardCalls.filter((c) => c.sessionId === 11)).toHaveLength(1);
  });

  it('counts a created peer before any later frame, and forgets a hung-up one before the relay replies', async () => {
    const f = await registeredLink();
    const creating = f.link.command(peerCreate(11, 12));
    const id = f.socket.commands().at(-1)!.id;
    await f.link.message(f.socket, frame({ type: 'reply', id, ok: true, result: {} }));
    // the list right behind the reply already has it: nothing differs
    await f.link.message(f.socket, frame({ type: 'peers', peers: [{ sessionId: 11, handleId: 12, ageMs: 1 }] }));
    await creating;
    const hanging = f.link.command({ op: 'peer.hangup', sessionId: 11, handleId: 12 });
    // the relay drops the peer before it replies: a list taken in between does not make it "lost"
    await f.link.message(f.socket, frame({ type: 'peers', peers: [] }));
    await f.link.message(f.socket, frame({ type: 'reply', id: f.socket.commands().at(-1)!.id, ok: true, result: {} }));
    await hanging;
    await settle();
    expect(f.objects.shardCalls).toEqual([]);
  });

  it('leaves relays that send no digest alone', async () => {
    const f = await registeredLink();
    await created(f, 11, 12);
    for (let i = 0; i < 3; i++) {
      await f.link.message(f.socket, frame({ type: 'heartbeat', load: 0, peers: 0, portsInUse: 0, eventLoopLagMs: 0 }));
      f.clock.advance(LIST_PEERS_MIN_INTERVAL_MS);
    }
    expect(listPeersSent(f)).toBe(0);
  });
});
