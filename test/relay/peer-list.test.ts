import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../relay/relay.js';
import { peerDigest } from '../../shared/control/peerDigest.js';
import type { PeersMessage } from '../../shared/control/messages.js';
import { EchoClient } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

/** The relay's side of peer reconciliation: the digest in every heartbeat, the list on `listPeers`. */

const SECRET = 'test-secret-0123456789';
const SESSION = 4500;

describe('the relay reports its peers to the edge', () => {
  let edge: TestEdge;
  let relay: Relay;
  let link: RelayLink;
  const lists: PeersMessage[] = [];

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await startRelay(edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: '43400',
      RELAY_ICE_PORT_MAX: '43499',
    });
    link = await edge.nextLink();
    await relay.control.whenReady();
    link.ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string };
      if (m.type === 'peers') lists.push(m as PeersMessage);
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await edge?.close();
  });

  it('heartbeats carry the digest of its peers and listPeers is answered with each peer and its age', async () => {
    const client = new EchoClient();
    client.addMedia('audio');
    await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 7,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await client.createOffer() },
      options: {},
    });
    const beats = link.heartbeats.length;
    await link.until(() => link.heartbeats.length > beats, 3_000, 'a heartbeat');
    expect(link.heartbeats.at(-1)!.peerDigest).toBe(peerDigest([`${SESSION}:7`]));

    link.sendRaw({ type: 'listPeers' });
    await link.until(() => lists.length > 0, 3_000, 'the peer list');
    expect(lists[0]!.peers).toEqual([{ sessionId: SESSION, handleId: 7, ageMs: expect.any(Number) }]);
    expect(lists[0]!.peers[0]!.ageMs).toBeGreaterThanOrEqual(0);
    expect(link.invalid).toEqual([]);

    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 7, reason: 'Janus API' });
    const after = link.heartbeats.length;
    await link.until(() => link.heartbeats.length > after, 3_000, 'a heartbeat');
    expect(link.heartbeats.at(-1)!.peerDigest).toBe(peerDigest([]));
    await client.close();
  });
});
