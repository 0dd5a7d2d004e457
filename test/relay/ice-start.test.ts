import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../relay/relay.js';
import { EchoClient, waitFor } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

/**
 * RELAY_ICE_START_TIMEOUT: a PeerConnection whose client never sends a single ICE connectivity check
 * after the offer was answered is hung up (the edge hears `hangup`), and its port returns; one whose
 * client connected, or that still waits for the client's answer to a relay offer, is left alone.
 */

const SECRET = 'test-secret-0123456789';
const SESSION = 4400;
let nextHandle = 1;

describe('PeerConnections that never start ICE', () => {
  let edge: TestEdge;
  let relay: Relay;
  let link: RelayLink;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await startRelay(edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: '43300',
      RELAY_ICE_PORT_MAX: '43399',
      RELAY_ICE_START_TIMEOUT: '1',
    });
    link = await edge.nextLink();
    await relay.control.whenReady();
  });
  afterAll(async () => {
    await relay?.stop();
    await edge?.close();
  });

  it('hangs up an answered peer whose client never checks, and keeps a connected one', async () => {
    const portsBefore = relay.ports.inUse;
    // a client that sends its offer and then never applies the answer (as a browser refusing it)
    const silent = new EchoClient();
    silent.addMedia('audio');
    const silentHandle = nextHandle++;
    await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: silentHandle,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await silent.createOffer() },
      options: {},
    });
    // a client that connects
    const live = new EchoClient();
    const audio = live.addMedia('audio');
    const liveHandle = nextHandle++;
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: liveHandle,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await live.createOffer() },
      options: {},
    });
    if (!('answer' in res)) throw new Error('expected an answer');
    await live.acceptAnswer(res.answer.sdp);
    await live.connected();
    live.startSending(audio, 20);
    // a relay offer the client has not answered yet: ICE cannot start before the answer
    const waitingHandle = nextHandle++;
    const offered = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: waitingHandle,
      plugin: 'janus.plugin.echotest',
      options: {},
    });
    expect('offer' in offered).toBe(true);

    const started = Date.now();
    const hangup = await link.waitEvent(SESSION, silentHandle, 'hangup', () => true, 5_000);
    expect(hangup.reason).toBe('ICE failed');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(relay.registry.get(`${SESSION}:${silentHandle}`)).toBeUndefined();

    await new Promise((r) => setTimeout(r, 1_200));
    expect(link.eventsFor(SESSION, liveHandle).some((e) => e.kind === 'hangup')).toBe(false);
    expect(link.eventsFor(SESSION, waitingHandle).some((e) => e.kind === 'hangup')).toBe(false);
    const echoed = live.echoedTags.audio.size;
    await waitFor(() => live.echoedTags.audio.size > echoed + 5, 5_000, 'echo goes on');

    for (const handleId of [liveHandle, waitingHandle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    await waitFor(() => relay.ports.inUse === portsBefore, 3_000, 'ports back');
    await silent.close();
    await live.close();
  });
});
