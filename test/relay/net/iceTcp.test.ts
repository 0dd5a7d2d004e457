import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classes, Message, methods, parseMessage, RTCPeerConnection } from 'werift';
import { relayMedia } from '../../../relay/peer/factory.js';
import { EchoClient, waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { candidatesOf, createEcho, expectEcho, SESSION, withoutCandidates } from './echoCall.js';

/** A client that can reach the relay only over TCP: werift with ICE-TCP, its UDP candidates never sent. */
function tcpOnlyClient(): EchoClient {
  return new EchoClient(
    new RTCPeerConnection({
      iceServers: [],
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceUseTcp: true,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      bundlePolicy: 'max-bundle',
      codecs: relayMedia.codecs,
      headerExtensions: relayMedia.headerExtensions,
    }),
  );
}

/** What a network that blocks UDP lets through: no UDP candidate either way, and only the client's active TCP one. */
const tcpOnly = {
  offer: (sdp: string) => withoutCandidates(sdp, / udp | tcptype passive/i),
  answer: (sdp: string) => withoutCandidates(sdp, / udp /i),
};

describe('ICE-TCP (RFC 6544) on one shared port (RELAY_ICE_TCP_PORT)', () => {
  const fx = relayFixture([48200, 48249], { env: { RELAY_ICE_TCP_PORT: '0' } });

  it('a client that offers only TCP candidates reaches the relay over ICE-TCP and echoes media', async () => {
    const port = fx.relay.iceTcp!.port;
    expect(port).toBeGreaterThan(0);
    const clients = [fx.track(tcpOnlyClient()), fx.track(tcpOnlyClient())];
    for (const [i, client] of clients.entries()) {
      const audio = client.addMedia('audio');
      const answer = await createEcho(fx.link, client, 1 + i, tcpOnly);
      // every peer's passive candidate names the same listening port
      const offered = candidatesOf(answer);
      expect(offered).toHaveLength(2);
      expect(offered).toContainEqual(expect.objectContaining({ transport: 'udp', address: '127.0.0.1' }));
      expect(offered).toContainEqual({ transport: 'tcp', address: '127.0.0.1', port, tcptype: 'passive' });
      await expectEcho(fx.link, client, 1 + i, audio);
      const info = await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 + i });
      expect(info.selectedPair?.local).toMatchObject({ transport: 'tcp', port });
    }
    expect(fx.relay.iceTcp!.totals.adopted).toBeGreaterThanOrEqual(2);
    // peers take no TCP port of their own: the ICE range holds only their UDP sockets
    expect(fx.relay.ports.inUse).toBe(2);
    expect(fx.relay.iceTcp!.endpointCount).toBe(2);
    for (const h of [1, 2])
      await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
    await waitFor(() => fx.relay.iceTcp!.endpointCount === 0, 5000, 'TCP endpoints released');
    // closed now, so no late connection of theirs is counted by a later case
    for (const client of clients) await client.close();
  });

  it('routes a connection whose first binding request arrives in pieces, and answers it on that connection', async () => {
    const client = fx.track(tcpOnlyClient());
    client.addMedia('audio');
    const answer = await createEcho(fx.link, client, 3, tcpOnly);
    const ufrag = /^a=ice-ufrag:(\S+)/m.exec(answer)![1]!;
    const request = new Message(methods.BINDING, classes.REQUEST).setAttribute('USERNAME', `${ufrag}:probe`).bytes;
    const framed = Buffer.concat([Buffer.from([request.length >> 8, request.length & 0xff]), request]);
    const s = connect(fx.relay.iceTcp!.port, '127.0.0.1');
    s.on('error', () => undefined);
    let received = Buffer.alloc(0);
    s.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    await new Promise((r) => s.once('connect', r));
    s.write(framed.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 50));
    s.write(framed.subarray(1, 15));
    await new Promise((r) => setTimeout(r, 50));
    s.write(framed.subarray(15));
    await waitFor(
      () => received.length >= 2 && received.length >= 2 + received.readUInt16BE(0),
      3000,
      'a response frame',
    );
    const response = parseMessage(received.subarray(2, 2 + received.readUInt16BE(0)))!;
    expect(response.messageClass).toBe(classes.RESPONSE);
    s.destroy();
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 3, reason: 'Janus API' });
  });

  it('a client that offers UDP too, on a network that drops UDP, still connects over ICE-TCP', async () => {
    const client = fx.track(tcpOnlyClient());
    const audio = client.addMedia('audio');
    // its UDP candidate points where nothing answers (UDP dropped); the relay's UDP one never reaches it
    const blocked = {
      offer: (sdp: string) =>
        withoutCandidates(sdp, /tcptype passive/).replace(/^(a=candidate:\S+ \d+ udp \d+ )\S+ \d+/gim, '$1192.0.2.1 9'),
      answer: tcpOnly.answer,
    };
    await createEcho(fx.link, client, 4, blocked);
    await expectEcho(fx.link, client, 4, audio);
    const info = await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 4 });
    expect(info.selectedPair?.local).toMatchObject({ transport: 'tcp' });
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 4, reason: 'Janus API' });
    await client.close();
  });

  it('closes a connection that names no peer, or says nothing STUN', async () => {
    const port = fx.relay.iceTcp!.port;
    // the earlier cases' clients are closed, but a connection of theirs may still be on its way: wait for a quiet count
    let refused = fx.relay.iceTcp!.totals.refused;
    for (let quiet = 0; quiet < 10;) {
      await new Promise((r) => setTimeout(r, 100));
      const now = fx.relay.iceTcp!.totals.refused;
      quiet = now === refused ? quiet + 1 : 0;
      refused = now;
    }
    for (const payload of [Buffer.from([0, 4, 1, 2, 3, 4]), Buffer.from('GET / HTTP/1.1\r\n\r\n')]) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(payload);
      await new Promise((r) => s.once('close', r));
    }
    expect(fx.relay.iceTcp!.totals.refused).toBe(refused + 2);
  });

  it('tells the edge its peers offer ICE-TCP (server_info "ice-tcp")', () => {
    expect(fx.link.register?.iceTcp).toBe(true);
  });
});
