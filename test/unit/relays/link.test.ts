import { describe, expect, it } from 'vitest';
import { computeProof } from '../../../shared/control/auth.js';
import type { PeerEvent } from '../../../shared/control/events.js';
import { COMMAND_TIMEOUT_MS, PEERS_WRITE_MS } from '../../../edge/relays/relayConnection.js';
import {
  LINK_ID,
  NONCE,
  SECRET,
  frame,
  makeLink,
  peerCreate,
  registerFrame,
  registeredLink,
  runCommand,
  settle,
} from './harness.js';

describe('relay link: register and welcome', () => {
  it('answers register with the HMAC proof of the nonce and tells the directory', async () => {
    const f = makeLink();
    await f.link.accept(LINK_ID);
    expect(f.storage.alarm).toBe(f.clock.now() + 3_001);
    await f.link.message(f.socket, registerFrame('relay-a'));
    expect(f.socket.sent).toEqual([{ type: 'welcome', proof: await computeProof(SECRET, NONCE) }]);
    expect(f.socket.sent[0]).not.toEqual({ type: 'welcome', proof: await computeProof('other', NONCE) });
    expect(f.directory.calls).toEqual([`up relay-a ${LINK_ID}`]);
    expect(f.directory.entries[0]).toMatchObject({ relayId: 'relay-a', region: 'eu', linkId: LINK_ID, peers: 0 });
    expect(f.storage.data.get('state')).toMatchObject({ linkId: LINK_ID, welcomed: true });
  });

  it('tells a relay in its welcome when no event handler wants ICE/DTLS/stats events', async () => {
    const proof = await computeProof(SECRET, NONCE);
    expect((await registeredLink({ handlerEvents: false })).socket.sent[0]).toEqual({
      type: 'welcome',
      proof,
      handlerEvents: false,
    });
    expect((await registeredLink({ handlerEvents: true })).socket.sent[0]).toEqual({ type: 'welcome', proof });
  });

  it('sends the relay-wide settings after the welcome, and again when an admin changes them', async () => {
    const f = makeLink();
    f.directory.settings = { noMediaTimerSec: 3 };
    await f.link.accept(LINK_ID);
    await f.link.message(f.socket, registerFrame('relay-a'));
    expect(f.socket.sent.map((m) => m.type)).toEqual(['welcome', 'settings']);
    expect(f.socket.sent[1]).toEqual({ type: 'settings', noMediaTimerSec: 3 });
    f.link.applySettings({ noMediaTimerSec: 3, slowlinkThreshold: 5 });
    expect(f.socket.sent[2]).toEqual({ type: 'settings', noMediaTimerSec: 3, slowlinkThreshold: 5 });
  });

  it('welcomes nobody without a secret, and then runs no command', async () => {
    const f = makeLink({ secret: undefined });
    await f.link.accept(LINK_ID);
    await f.link.message(f.socket, registerFrame());
    expect(f.socket.sent).toEqual([]);
    expect(f.directory.calls).toEqual([]);
    expect(await f.link.command(peerCreate(1, 2))).toEqual({
      ok: false,
      error: { code: 490, reason: 'Relay unavailable' },
    });
  });

  it('ignores frames before register, and bad frames', async () => {
    const f = makeLink();
    await f.link.accept(LINK_ID);
    await f.link.message(f.socket, frame({ type: 'heartbeat', load: 0, peers: 0, portsInUse: 0, eventLoopLagMs: 0 }));
    await f.link.message(f.socket, '{not json');
    await f.link.message(f.socket, frame({ type: 'draining' }));
    expect(f.directory.calls).toEqual([]);
    expect(await f.link.command(peerCreate(1, 2))).toMatchObject({ ok: false, error: { code: 490 } });
    expect(f.socket.sent).toEqual([]);
  });

  it('forwards heartbeats and draining to the directory', async () => {
    const f = await registeredLink();
    await f.link.message(f.socket, frame({ type: 'heartbeat', load: 0.5, peers: 7, portsInUse: 3, eventLoopLagMs: 1 }));
    await f.link.message(f.socket, frame({ type: 'draining' }));
    expect(f.directory.calls).toEqual([
      `up relay-a ${LINK_ID}`,
      `heartbeat relay-a ${LINK_ID}`,
      `draining relay-a ${LINK_ID}`,
    ]);
    expect(f.directory.entries[1]).toMatchObject({ relayId: 'relay-a', load: 0.5, peers: 7, linkId: LINK_ID });
  });
});

describe('relay link: commands', () => {
  it('sends each command with its own id and resolves it with the matching reply', async () => {
    const f = await registeredLink();
    const first = f.link.command({ op: 'peer.info', sessionId: 1, handleId: 2 });
    const second = f.link.command({ op: 'peer.info', sessionId: 3, handleId: 4 });
    const [c1, c2] = f.socket.commands();
    expect(c1!.id).not.toBe(c2!.id);
    expect(c1!.cmd).toMatchObject({ op: 'peer.info', sessionId: 1, handleId: 2 });
    await f.link.message(
      f.socket,
      frame({ type: 'reply', id: c2!.id, ok: false, error: { code: 458, reason: 'No such' } }),
    );
    await f.link.message(f.socket, frame({ type: 'reply', id: c1!.id, ok: true, result: { stats: 1 } }));
    expect(await first).toEqual({ ok: true, value: { stats: 1 } });
    expect(await second).toEqual({ ok: false, error: { code: 458, reason: 'No such' } });
    // the commands' one timer ends on its own once it finds nothing pending
    f.clock.advance(COMMAND_TIMEOUT_MS);
    expect(f.clock.pendingTimers).toBe(0);
  });

  it('answers 490 when the relay does not reply within the timeout, and ignores a late reply', async () => {
    const f = await registeredLink();
    let outcome: unknown;
    void f.link.command({ op: 'peer.info', sessionId: 1, handleId: 2 }).then((o) => (outcome = o));
    f.clock.advance(COMMAND_TIMEOUT_MS - 1);
    await settle();
    expect(outcome).toBeUndefined();
    f.clock.advance(1);
    await settle();
    expect(outcome).toEqual({ ok: false, error: { code: 490, reason: 'Relay did not answer' } });
    const id = f.socket.commands()[0]!.id;
    await f.link.message(f.socket, frame({ type: 'reply', id, ok: true, result: {} }));
    expect(outcome).toEqual({ ok: false, error: { code: 490, reason: 'Relay did not answer' } });
  });

  it('times every command out COMMAND_TIMEOUT_MS after it was sent, with one timer for all of them', async () => {
    const f = await registeredLink();
    const timers = f.clock.pendingTimers;
    const outcomes: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      void f.link.command({ op: 'peer.info', sessionId: 1, handleId: i + 1 }).then((o) => (outcomes[i] = o));
      f.clock.advance(1000);
    }
    expect(f.clock.pendingTimers).toBe(timers + 1);
    const second = f.socket.commands()[1]!;
    await f.link.message(f.socket, frame({ type: 'reply', id: second.id, ok: true, result: {} }));
    const late = { ok: false, error: { code: 490, reason: 'Relay did not answer' } };
    f.clock.advance(COMMAND_TIMEOUT_MS - 3000 - 1);
    await settle();
    expect(outcomes[0]).toBeUndefined();
    f.clock.advance(1);
    await settle();
    expect(outcomes[0]).toEqual(late);
    expect(outcomes[1]).toMatchObject({ ok: true });
    f.clock.advance(2000 - 1);
    await settle();
    expect(outcomes[2]).toBeUndefined();
    f.clock.advance(1);
    await settle();
    expect(outcomes[2]).toEqual(late);
    expect(f.clock.pendingTimers).toBe(timers);
  });

  it('answers 490 at once on a dropped link, and to commands pending when it drops', async () => {
    const f = await registeredLink();
    const pending = f.link.command({ op: 'peer.info', sessionId: 1, handleId: 2 });
    await f.link.drop('control socket closed');
    expect(await pending).toEqual({ ok: false, error: { code: 490, reason: 'Relay lost' } });
    const sentBefore = f.socket.sent.length;
    expect(await f.link.command({ op: 'peer.info', sessionId: 1, handleId: 2 })).toEqual({
      ok: false,
      error: { code: 490, reason: 'Relay unavailable' },
    });
    expect(f.socket.sent.length).toBe(sentBefore);
  });

  it('answers 490 when no socket is held', async () => {
    const f = await registeredLink();
    f.sockets.length = 0;
    expect(await f.link.command(peerCreate(1, 2))).toEqual({
      ok: false,
      error: { code: 490, reason: 'Relay unavailable' },
    });
  });
});

describe('relay link: peers', () => {
  it('remembers a created peer, not a failed one, and forgets it on peer.hangup', async () => {
    const f = await registeredLink();
    await runCommand(f, peerCreate(11, 12), { ok: true, result: { answer: { type: 'answer', sdp: 'v=0\r\n' } } });
    await runCommand(f, peerCreate(21, 22), { ok: false, error: { code: 490, reason: 'full' } });
    await settle();
    f.clock.advance(PEERS_WRITE_MS);
    expect(f.storage.data.get('peers')).toEqual(['11:12']);
    await runCommand(f, { op: 'peer.hangup', sessionId: 11, handleId: 12 }, { ok: true, result: {} });
    await settle();
    f.clock.advance(PEERS_WRITE_MS);
    expect(f.storage.data.get('peers')).toEqual([]);
    await f.link.drop('control socket closed');
    expect(f.objects.shardCalls).toEqual([]);
  });

  it("forgets a peer on the relay's hangup event, which goes to the session's shard", async () => {
    const f = await registeredLink();
    await runCommand(f, peerCreate(11, 12), { ok: true, result: {} });
    await runCommand(f, peerCreate(31, 32), { ok: true, result: {} });
    await f.link.message(
      f.socket,
      frame({ type: 'event', sessionId: 11, handleId: 12, event: { kind: 'hangup', reason: 'ICE failed' } }),
    );
    await settle();
    f.clock.advance(PEERS_WRITE_MS);
    expect(f.storage.data.get('peers')).toEqual(['31:32']);
    expect(f.objects.shardCalls).toEqual([
      { shardOf: 11, sessionId: 11, handleId: 12, linkId: LINK_ID, event: { kind: 'hangup', reason: 'ICE failed' } },
    ]);
    await f.link.drop('control socket closed');
    expect(f.objects.shardCalls.slice(1).map((c) => `${c.shardOf} ${c.sessionId}:${c.handleId}`)).toEqual(['31 31:32']);
  });

  it('keeps the echo of a peer.hangup it sent to itself (the reply tells the sender), not a later hangup', async () => {
    const f = await registeredLink();
    await runCommand(f, peerCreate(11, 12), { ok: true, result: {} });
    await runCommand(f, peerCreate(21, 22), { ok: true, result: {} });
    const hangup = (sessionId: number, handleId: number, reason: string) =>
      f.link.message(f.socket, frame({ type: 'event', sessionId, handleId, event: { kind: 'hangup', reason } }));
    const outcome = f.link.command({ op: 'peer.hangup', sessionId: 11, handleId: 12, reason: 'Janus API' });
    const sent = f.socket.commands().at(-1)!;
    await hangup(11, 12, 'Janus API');
    // another peer's hangup while that command waits still goes to its shard
    await hangup(21, 22, 'ICE failed');
    await f.link.message(f.socket, frame({ type: 'reply', id: sent.id, ok: true, result: {} }));
    expect(await outcome).toEqual({ ok: true, value: {} });
    // once answered, a hangup event for that handle is the relay's own again (a peer opened next)
    await hangup(11, 12, 'ICE failed');
    await settle();
    expect(
      f.objects.shardCalls.map((c) => `${c.sessionId}:${c.handleId} ${(c.event as { reason: string }).reason}`),
    ).toEqual(['21:22 ICE failed', '11:12 ICE failed']);
  });
});

describe('relay link: the peer list is written behind', () => {
  it("answers peer.create before the list is written, and writes a window's changes once", async () => {
    const f = await registeredLink();
    const puts: unknown[] = [];
    const put = f.storage.put.bind(f.storage);
    f.storage.put = async (key, value) => {
      if (key === 'peers') puts.push(value);
      await put(key, value);
    };
    expect(await runCommand(f, peerCreate(11, 12), { ok: true, result: {} })).toEqual({ ok: true, value: {} });
    await runCommand(f, peerCreate(21, 22), { ok: true, result: {} });
    await runCommand(f, { op: 'peer.hangup', sessionId: 11, handleId: 12 }, { ok: true, result: {} });
    await settle();
    expect(puts).toEqual([]);
    f.clock.advance(PEERS_WRITE_MS);
    expect(puts).toEqual([['21:22']]);
    f.clock.advance(COMMAND_TIMEOUT_MS);
    expect(f.clock.pendingTimers).toBe(0);
  });

  it('a drop cancels a pending write (storage is cleared, not rewritten)', async () => {
    const f = await registeredLink();
    await runCommand(f, peerCreate(11, 12), { ok: true, result: {} });
    await f.link.drop('control socket closed');
    f.clock.advance(PEERS_WRITE_MS);
    expect(f.storage.data.has('peers')).toBe(false);
  });
});

describe('relay link: events', () => {
  it('routes VideoRoom media events to the room and others to the session shard', async () => {
    const f = await registeredLink();
    const talking = { kind: 'sfu.talking', room: 1234, mid: '0', talking: true, level: 20 } as const;
    await f.link.message(f.socket, frame({ type: 'event', sessionId: 5, handleId: 6, event: talking }));
    await f.link.message(f.socket, frame({ type: 'event', sessionId: 7, handleId: 8, event: { kind: 'webrtcup' } }));
    expect(f.objects.roomCalls).toEqual([
      { room: 'number:1234', call: 'sfuEvent', who: { sessionId: 5, handleId: 6 }, arg: talking },
    ]);
    expect(f.objects.shardCalls).toEqual([
      { shardOf: 7, sessionId: 7, handleId: 8, linkId: LINK_ID, event: { kind: 'webrtcup' } },
    ]);
  });

  it('without event handlers, forwards only the events a client hears of (no RPC for ICE/DTLS/stats)', async () => {
    const events: PeerEvent[] = [
      { kind: 'ice', state: 'checking' },
      { kind: 'dtls', state: 'connected' },
      {
        kind: 'selected-pair',
        local: { address: '10.0.0.1', port: 1, type: 'host', transport: 'udp', family: 'ipv4' },
        remote: { address: '10.0.0.2', port: 2, type: 'host', transport: 'udp', family: 'ipv4' },
      },
      { kind: 'stats', streams: [] },
      { kind: 'webrtcup' },
      { kind: 'hangup', reason: 'ICE failed' },
    ];
    const kinds = async (handlerEvents: boolean) => {
      const f = await registeredLink({ handlerEvents });
      for (const event of events)
        await f.link.message(f.socket, frame({ type: 'event', sessionId: 7, handleId: 8, event }));
      return f.objects.shardCalls.map((c) => c.event.kind);
    };
    expect(await kinds(false)).toEqual(['webrtcup', 'hangup']);
    expect(await kinds(true)).toEqual(['ice', 'dtls', 'selected-pair', 'stats', 'webrtcup', 'hangup']);
  });

  it('drops events that arrive after the relay was dropped', async () => {
    const f = await registeredLink();
    await f.link.drop('control socket closed');
    await f.link.message(f.socket, frame({ type: 'event', sessionId: 7, handleId: 8, event: { kind: 'webrtcup' } }));
    expect(f.objects.shardCalls).toEqual([]);
  });
});
