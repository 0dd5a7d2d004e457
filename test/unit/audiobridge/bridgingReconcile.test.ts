import { describe, expect, it } from 'vitest';
import { LIST_PEERS_MIN_INTERVAL_MS, UNKNOWN_PEER_GRACE_MS } from '../../../edge/relays/peerReconciliation.js';
import { COMMAND_TIMEOUT_MS } from '../../../edge/relays/relayConnection.js';
import type { CommandInput } from '../../../shared/control/commands.js';
import { peerDigest } from '../../../shared/control/peerDigest.js';
import { frame, registeredLink, runCommand, settle, type LinkFixture } from '../relays/harness.js';

/**
 * AudioBridge legs (plain-RTP participants, bridges' legs at home) in the relay link's reconciliation:
 * the link tracks an `ab.rtpJoin` like a `peer.create`, the relay reports its legs in its digest and
 * list, so a leg the edge's room no longer has (its hang-up lost, or its join answered too late) is
 * closed on the relay once older than UNKNOWN_PEER_GRACE_MS, and a live one is left alone.
 */

const SESSION = 11;

function rtpJoin(handleId: number): CommandInput {
  return {
    op: 'ab.rtpJoin',
    sessionId: SESSION,
    handleId,
    mixer: 'ab:n:1',
    mixerSettings: { room: 1, samplingRate: 48000 },
    participant: handleId,
    rtp: { payloadType: 100 },
  } as CommandInput;
}

function heartbeat(keys: string[]): string {
  return frame({
    type: 'heartbeat',
    load: 0,
    peers: keys.length,
    portsInUse: 0,
    eventLoopLagMs: 0,
    peerDigest: peerDigest(keys),
  });
}

/** Two heartbeats a second apart, as the relay sends them. */
async function beats(f: LinkFixture, keys: string[]): Promise<void> {
  for (let i = 0; i < 2; i++) {
    f.clock.advance(1_000);
    await f.link.message(f.socket, heartbeat(keys));
  }
}

const listPeersSent = (f: LinkFixture) => f.socket.sent.filter((m) => m.type === 'listPeers').length;
const hangupsSent = (f: LinkFixture) =>
  f.socket
    .commands()
    .map((c) => c.cmd)
    .filter((c) => c.op === 'peer.hangup');

describe('relay link: AudioBridge legs in the reconciliation', () => {
  it('a leg the room opened is tracked: the relay reporting it is no difference, even once old', async () => {
    const f = await registeredLink();
    await runCommand(f, rtpJoin(101), { ok: true, result: { ip: '10.0.0.1', port: 30000 } });
    await beats(f, [`${SESSION}:101`]);
    expect(listPeersSent(f)).toBe(0);
    await f.link.message(
      f.socket,
      frame({ type: 'peers', peers: [{ sessionId: SESSION, handleId: 101, ageMs: UNKNOWN_PEER_GRACE_MS * 4 }] }),
    );
    await settle();
    expect(hangupsSent(f)).toEqual([]);
  });

  it('a leg whose room hung it up (the relay missed it) is closed once past the grace period', async () => {
    const f = await registeredLink();
    await runCommand(f, rtpJoin(101), { ok: true, result: { ip: '10.0.0.1', port: 30000 } });
    // the room is destroyed: its hang-up never reaches the relay (the link forgets the leg at once)
    void f.link.command({ op: 'peer.hangup', sessionId: SESSION, handleId: 101, reason: 'Room destroyed' });
    const before = hangupsSent(f).length;
    f.clock.advance(LIST_PEERS_MIN_INTERVAL_MS);
    await beats(f, [`${SESSION}:101`]);
    expect(listPeersSent(f)).toBe(1);
    await f.link.message(
      f.socket,
      frame({ type: 'peers', peers: [{ sessionId: SESSION, handleId: 101, ageMs: UNKNOWN_PEER_GRACE_MS + 1 }] }),
    );
    await settle();
    expect(hangupsSent(f).slice(before)).toEqual([
      { op: 'peer.hangup', sessionId: SESSION, handleId: 101, reason: 'Unknown peer' },
    ]);
  });

  it('a leg opened after the room gave up on its join is closed too; a young one is left alone', async () => {
    const f = await registeredLink();
    const joining = f.link.command(rtpJoin(102));
    const id = f.socket.commands().at(-1)!.id;
    f.clock.advance(COMMAND_TIMEOUT_MS);
    expect((await joining).ok).toBe(false);
    // the relay answers too late: the room never had this leg
    await f.link.message(f.socket, frame({ type: 'reply', id, ok: true, result: { ip: '10.0.0.1', port: 30001 } }));
    f.clock.advance(LIST_PEERS_MIN_INTERVAL_MS);
    await beats(f, [`${SESSION}:102`]);
    expect(listPeersSent(f)).toBe(1);
    await f.link.message(
      f.socket,
      frame({ type: 'peers', peers: [{ sessionId: SESSION, handleId: 102, ageMs: 100 }] }),
    );
    await settle();
    expect(hangupsSent(f)).toEqual([]);
    f.clock.advance(UNKNOWN_PEER_GRACE_MS);
    await beats(f, [`${SESSION}:102`]);
    await f.link.message(
      f.socket,
      frame({ type: 'peers', peers: [{ sessionId: SESSION, handleId: 102, ageMs: UNKNOWN_PEER_GRACE_MS + 100 }] }),
    );
    await settle();
    expect(hangupsSent(f)).toEqual([{ op: 'peer.hangup', sessionId: SESSION, handleId: 102, reason: 'Unknown peer' }]);
  });
});
