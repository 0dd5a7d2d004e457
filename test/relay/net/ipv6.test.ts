import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { relayMedia } from '../../../relay/peer/factory.js';
import { EchoClient } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { candidatesOf, createEcho, expectEcho, SESSION } from './echoCall.js';

/** Whether this machine can bind UDP on ::1 (containers without IPv6 cannot). */
async function hasLoopback6(): Promise<boolean> {
  const s = createSocket('udp6');
  return new Promise((resolve) => {
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(0, '::1', () => {
      s.close();
      resolve(true);
    });
  });
}

const ipv6 = await hasLoopback6();
if (!ipv6) process.stderr.write('ipv6.test.ts: skipped, this machine has no ::1\n');

/** A client whose only candidates are IPv6 (its ICE socket on ::1). */
function ipv6OnlyClient(): EchoClient {
  return new EchoClient(
    new RTCPeerConnection({
      iceServers: [],
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['::1'],
      iceInterfaceAddresses: { udp6: '::1' },
      bundlePolicy: 'max-bundle',
      codecs: relayMedia.codecs,
      headerExtensions: relayMedia.headerExtensions,
    }),
  );
}

describe.skipIf(!ipv6)('IPv6 host candidates (RELAY_IPV6)', () => {
  const fx = relayFixture([48150, 48199], { env: { RELAY_IPV6: 'true' } });

  it('offers an IPv6 host candidate beside the IPv4 one, and an IPv6-only client echoes media', async () => {
    const client = fx.track(ipv6OnlyClient());
    const audio = client.addMedia('audio');
    const offered = await client.createOffer();
    expect(candidatesOf(offered).map((c) => c.address)).toEqual(['::1']);
    const answer = await createEcho(fx.link, client, 1);
    expect(candidatesOf(answer).map((c) => c.address)).toEqual(['127.0.0.1', '::1']);
    await expectEcho(fx.link, client, 1, audio);
    const info = await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 });
    expect(info.selectedPair?.local).toMatchObject({ address: '::1' });
    expect(info.selectedPair?.remote).toMatchObject({ address: '::1' });
    // both sockets come from the ICE port range and go back to it
    expect(fx.relay.ports.inUse).toBe(2);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1, reason: 'Janus API' });
    await fx.link.waitEvent(SESSION, 1, 'hangup');
    await expect.poll(() => fx.relay.ports.inUse).toBe(0);
  });

  it('tells the edge its peers offer IPv6 (server_info "ipv6")', () => {
    expect(fx.link.register?.ipv6).toBe(true);
    expect(fx.link.register?.iceTcp).toBe(false);
  });
});
