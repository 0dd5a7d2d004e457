import { describe, expect, it } from 'vitest';
import { mediaAddress, mediaRelay, serverInfo } from '../../../edge/core/serverInfo.js';
import { ShardHarness } from './harness.js';

describe('server_info local-ip: where a client media goes', () => {
  it("is the announced address of a relay of the client's region, else of any relay, else loopback", () => {
    const relays = [
      { region: 'eu', address: '203.0.113.10' },
      { region: 'us', address: '198.51.100.7' },
    ];
    expect(mediaAddress(relays, 'us')).toBe('198.51.100.7');
    expect(mediaAddress(relays, 'ap')).toBe('203.0.113.10');
    expect(mediaAddress(relays)).toBe('203.0.113.10');
    expect(mediaAddress([], 'eu')).toBe('127.0.0.1');
  });

  it('the info request answers it', async () => {
    const t = await new ShardHarness().start();
    const info = await t.request({ janus: 'info' });
    expect(info).toMatchObject({ janus: 'server_info', 'local-ip': '127.0.0.1', ipv6: false, 'ice-tcp': false });
  });

  it('says ipv6 and ice-tcp when that relay offers them', () => {
    const relays = [
      { region: 'eu', address: '203.0.113.10', ipv6: true, iceTcp: true },
      { region: 'us', address: '198.51.100.7' },
    ];
    const info = (region: string) =>
      serverInfo({} as never, {} as never, new Map(), undefined, mediaRelay(relays, region)) as Record<string, unknown>;
    expect(info('eu')).toMatchObject({ 'local-ip': '203.0.113.10', ipv6: true, 'ice-tcp': true });
    expect(info('us')).toMatchObject({ 'local-ip': '198.51.100.7', ipv6: false, 'ice-tcp': false });
  });
});
