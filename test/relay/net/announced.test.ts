import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../relay/config.js';
import { advertisedHosts } from '../../../relay/net/iceAddresses.js';
import { EchoClient } from '../support/client.js';
import { relayFixture, SECRET } from '../support/relayFixture.js';
import { candidatesOf, createEcho, expectEcho, SESSION } from './echoCall.js';

/**
 * RELAY_ANNOUNCED_ADDRESS and RELAY_KEEP_PRIVATE_HOST behave as Janus's nat_1_1_mapping and
 * keep_private_host: the relay's sockets stay on the bound address, its host candidates carry the
 * announced addresses (same port), the bound one too only when kept.
 */
describe('announced addresses (1:1 NAT)', () => {
  describe('two announced addresses, the first of them the bound one', () => {
    const fx = relayFixture([48000, 48049], { env: { RELAY_ANNOUNCED_ADDRESS: '127.0.0.1, 198.51.100.20' } });

    it('offers a host candidate per announced address on the one socket, and media flows', async () => {
      const client = fx.track(new EchoClient());
      const audio = client.addMedia('audio');
      const answer = await createEcho(fx.link, client, 1);
      const hosts = candidatesOf(answer);
      expect(hosts.map((c) => c.address)).toEqual(['127.0.0.1', '198.51.100.20']);
      expect(new Set(hosts.map((c) => c.port)).size).toBe(1);
      expect(hosts[0]!.port).toBeGreaterThanOrEqual(48000);
      expect(fx.relay.ports.inUse).toBe(1); // one socket, two candidates
      await expectEcho(fx.link, client, 1, audio);
    });

    it('trickles the same candidates', async () => {
      const client = fx.track(new EchoClient());
      client.addMedia('audio');
      const offer = await client.createOffer(false);
      await fx.link.call({
        op: 'peer.create',
        sessionId: SESSION,
        handleId: 2,
        plugin: 'janus.plugin.echotest',
        offer: { sdp: offer },
        options: { trickle: true },
      });
      await fx.link.waitEvent(SESSION, 2, 'candidate', (e) => 'completed' in e.candidate);
      const trickled = fx.link
        .eventsFor(SESSION, 2)
        .flatMap((e) => (e.kind === 'candidate' && 'candidate' in e.candidate ? [e.candidate.candidate] : []));
      expect(trickled.map((c) => c.split(' ')[4])).toEqual(['127.0.0.1', '198.51.100.20']);
    });
  });

  describe('an announced public address with the private one kept', () => {
    const fx = relayFixture([48050, 48099], {
      env: { RELAY_ANNOUNCED_ADDRESS: '198.51.100.20', RELAY_KEEP_PRIVATE_HOST: 'true' },
    });

    it('offers the public address first, then the bound one, and media flows over the bound one', async () => {
      const client = fx.track(new EchoClient());
      const audio = client.addMedia('audio');
      const answer = await createEcho(fx.link, client, 1);
      expect(candidatesOf(answer).map((c) => c.address)).toEqual(['198.51.100.20', '127.0.0.1']);
      await expectEcho(fx.link, client, 1, audio);
      const info = await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 });
      expect(info.selectedPair?.local.address).toBe('127.0.0.1');
      // the edge is told the public address (Janus's local-ip)
      expect(fx.link.register?.address).toBe('198.51.100.20');
    });
  });

  describe('an announced public address alone', () => {
    const fx = relayFixture([48100, 48149], { env: { RELAY_ANNOUNCED_ADDRESS: '198.51.100.20' } });

    it('replaces the bound address in every host candidate', async () => {
      const client = fx.track(new EchoClient());
      client.addMedia('audio');
      const answer = await createEcho(fx.link, client, 1);
      expect(candidatesOf(answer).map((c) => c.address)).toEqual(['198.51.100.20']);
      expect(answer).not.toMatch(/127\.0\.0\.1 \d+ typ host/);
    });
  });
});

describe('a wildcard bind address (the container image) with the address clients reach announced', () => {
  const fx = relayFixture([48250, 48299], {
    env: { RELAY_BIND_ADDRESS: '0.0.0.0', RELAY_ANNOUNCED_ADDRESS: '127.0.0.1' },
  });

  it('offers only the announced address, and media flows', async () => {
    const client = fx.track(new EchoClient());
    const audio = client.addMedia('audio');
    const answer = await createEcho(fx.link, client, 1);
    expect(candidatesOf(answer).map((c) => c.address)).toEqual(['127.0.0.1']);
    expect(answer).not.toMatch(/0\.0\.0\.0 \d+ typ/);
    await expectEcho(fx.link, client, 1, audio);
  });
});

describe('advertisedHosts (Janus nat_1_1_mapping rules)', () => {
  it('maps a candidate to the announced addresses of its own family only', () => {
    const announced = ['198.51.100.1', '2001:db8::1', '198.51.100.2'];
    expect(advertisedHosts('10.0.0.5', { announced, keepPrivateHost: false })).toEqual([
      '198.51.100.1',
      '198.51.100.2',
    ]);
    expect(advertisedHosts('fd00::5', { announced, keepPrivateHost: false })).toEqual(['2001:db8::1']);
    expect(advertisedHosts('fd00::5', { announced, keepPrivateHost: true })).toEqual(['2001:db8::1', 'fd00::5']);
    // no announced address of that family: the bound one stays
    expect(advertisedHosts('fd00::5', { announced: ['198.51.100.1'], keepPrivateHost: false })).toEqual(['fd00::5']);
    expect(advertisedHosts('10.0.0.5', { announced: [], keepPrivateHost: false })).toEqual(['10.0.0.5']);
  });

  it('refuses a bad list and a wildcard bind without an IPv4 announced address', () => {
    const base = { RELAY_SECRET: SECRET, EDGE_URL: 'ws://127.0.0.1:1' };
    expect(() => loadConfig({ ...base, RELAY_ANNOUNCED_ADDRESS: '198.51.100.1,example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RELAY_ANNOUNCED_ADDRESS: ' , ' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RELAY_BIND_ADDRESS: '0.0.0.0' })).toThrow(/wildcard RELAY_BIND_ADDRESS/);
    expect(() => loadConfig({ ...base, RELAY_IPV6: 'false', RELAY_BIND_ADDRESS6: '::1' })).toThrow(ConfigError);
    expect(() =>
      loadConfig({
        ...base,
        RELAY_BIND_ADDRESS: '0.0.0.0',
        RELAY_ANNOUNCED_ADDRESS: '198.51.100.1',
        RELAY_KEEP_PRIVATE_HOST: 'true',
      }),
    ).toThrow(/RELAY_KEEP_PRIVATE_HOST/);
    const c = loadConfig({
      ...base,
      RELAY_BIND_ADDRESS: '0.0.0.0',
      RELAY_ANNOUNCED_ADDRESS: '2001:db8::1,198.51.100.1',
    });
    expect(c.announcedAddress).toBe('198.51.100.1');
    expect(c.ice.announced).toEqual(['2001:db8::1', '198.51.100.1']);
  });
});
