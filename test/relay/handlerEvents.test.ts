import { afterEach, describe, expect, it } from 'vitest';
import type { Relay } from '../../relay/relay.js';
import { onlyForHandlers } from '../../shared/control/events.js';
import { EchoClient } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 1000;
const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** One EchoTest call to webrtcup and both media events on a relay welcomed by `edge`; its events. */
async function callThrough(handlerEvents: boolean | undefined, ports: number): Promise<RelayLink> {
  const edge = await new TestEdge({ secret: SECRET, handlerEvents }).start();
  stops.push(() => edge.close());
  const relay: Relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: String(ports),
    RELAY_ICE_PORT_MAX: String(ports + 9),
  });
  stops.push(() => relay.stop());
  const link = await edge.nextLink();
  await relay.control.whenReady();
  const client = new EchoClient();
  stops.push(() => client.close());
  const audio = client.addMedia('audio');
  const video = client.addMedia('video');
  const res = await link.call({
    op: 'peer.create',
    sessionId: SESSION,
    handleId: 1,
    plugin: 'janus.plugin.echotest',
    offer: { sdp: await client.createOffer(true) },
    options: { trickle: false },
  });
  if (!('answer' in res)) throw new Error('expected an answer');
  await client.acceptAnswer(res.answer.sdp);
  await client.connected();
  await link.waitEvent(SESSION, 1, 'webrtcup');
  client.startSending(audio, 20);
  client.startSending(video, 20);
  await link.waitEvent(SESSION, 1, 'media', (e) => e.media === 'audio' && e.receiving);
  await link.waitEvent(SESSION, 1, 'media', (e) => e.media === 'video' && e.receiving);
  return link;
}

describe('events only event handlers consume, per the welcome', () => {
  it('are sent by default, and kept on the relay when the edge has no event handlers', async () => {
    const kinds = (link: RelayLink) => link.eventsFor(SESSION, 1).map((e) => e.kind);
    const withHandlers = kinds(await callThrough(undefined, 41300));
    expect(withHandlers).toEqual(expect.arrayContaining(['ice', 'dtls', 'selected-pair', 'webrtcup', 'media']));
    const without = kinds(await callThrough(false, 41310));
    expect(without.filter((k) => onlyForHandlers({ kind: k }))).toEqual([]);
    // what clients hear is unchanged
    expect(without.filter((k) => !onlyForHandlers({ kind: k }))).toEqual(
      withHandlers.filter((k) => !onlyForHandlers({ kind: k })),
    );
  }, 30_000);
});
