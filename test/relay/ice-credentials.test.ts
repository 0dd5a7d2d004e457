import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../relay/relay.js';
import { EchoClient, waitFor } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 1300;
let edge: TestEdge;
let relay: Relay;
let link: RelayLink;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '41600',
    RELAY_ICE_PORT_MAX: '41649',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});

afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

/**
 * Gives every m-line after the first its own ICE ufrag/pwd, as aiortc and other non-browser stacks
 * write their offers. Under BUNDLE only the bundle-tag m-line's credentials are in use (RFC 8843 §7):
 * the client's ICE agent keeps answering with the first m-line's.
 */
function perMlineCredentials(sdp: string): string {
  let section = -1;
  return sdp
    .split('\r\n')
    .map((line) => {
      if (line.startsWith('m=')) section++;
      if (section < 1) return line;
      if (line.startsWith('a=ice-ufrag:')) return `a=ice-ufrag:other${section}`;
      if (line.startsWith('a=ice-pwd:')) return `a=ice-pwd:otherpassword${section}abcdefghijkl`;
      return line;
    })
    .join('\r\n');
}

describe('ICE credentials per m-line', () => {
  it('a bundled offer with per-m-line ICE credentials uses the bundle tag’s: DTLS completes and media is echoed', async () => {
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const video = client.addMedia('video');
    const offer = perMlineCredentials(await client.createOffer(true));
    expect(new Set(offer.match(/a=ice-ufrag:\S+/g)).size).toBe(2);
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: offer },
      options: {},
    });
    if (!('answer' in res)) throw new Error('expected an answer');
    try {
      await client.acceptAnswer(res.answer.sdp);
      await client.connected();
      await link.waitEvent(SESSION, 1, 'webrtcup');
      client.startSending(audio, 20);
      client.startSending(video, 30);
      await waitFor(() => client.echoedTags.audio.size >= 10 && client.echoedTags.video.size >= 10, 10_000, 'echo');
      const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 });
      expect(info.dtlsState).toBe('connected');
    } finally {
      await client.close();
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1, reason: 'done' }).catch(() => undefined);
    }
  });
});
