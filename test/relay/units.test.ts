import { describe, expect, it } from 'vitest';
import { bearer, checkBearer, computeProof, createNonce, verifyProof } from '../../shared/control/auth.js';
import { parseEdgeMessage } from '../../shared/control/messages.js';
import { ConfigError, loadConfig } from '../../relay/config.js';
import { PortPool } from '../../relay/net/ports.js';
import { bundleIceCredentials, inspectSdp } from '../../relay/sdp.js';

describe('control auth (WebCrypto HMAC)', () => {
  it('proves and verifies nonces, rejects forgeries', async () => {
    const nonce = createNonce();
    expect(createNonce()).not.toBe(nonce);
    const proof = await computeProof('s3cret-s3cret', nonce);
    expect(await verifyProof('s3cret-s3cret', nonce, proof)).toBe(true);
    expect(await verifyProof('other-secret', nonce, proof)).toBe(false);
    expect(await verifyProof('s3cret-s3cret', createNonce(), proof)).toBe(false);
    expect(await verifyProof('s3cret-s3cret', nonce, 'not base64 !!')).toBe(false);
    expect(await verifyProof('s3cret-s3cret', nonce, '')).toBe(false);
    expect(checkBearer(bearer('abc12345'), 'abc12345')).toBe(true);
    expect(checkBearer(bearer('abc12346'), 'abc12345')).toBe(false);
    expect(checkBearer('abc12345', 'abc12345')).toBe(false);
    expect(checkBearer(undefined, 'abc12345')).toBe(false);
  });

  it('classifies bad frames', () => {
    expect(parseEdgeMessage('{')).toMatchObject({ ok: false, code: 454 });
    expect(parseEdgeMessage('"x"')).toMatchObject({ ok: false, code: 455 });
    expect(parseEdgeMessage({ type: 'cmd', id: 'a', cmd: { op: 'nope' } })).toMatchObject({
      ok: false,
      id: 'a',
      code: 453,
    });
    const ok = parseEdgeMessage({ type: 'cmd', id: 'a', cmd: { op: 'peer.hangup', sessionId: 1, handleId: 2 } });
    expect(ok).toMatchObject({ ok: true, message: { cmd: { reason: 'Janus API' } } });
  });
});

describe('relay config', () => {
  const base = { RELAY_SECRET: 'secret-secret', EDGE_URL: 'https://edge.example/api' };
  it('applies defaults and derives the connect URL', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      region: 'local',
      announcedAddress: '127.0.0.1',
      bindAddress: '127.0.0.1',
      icePortRange: [20000, 29999],
      remotePortRange: [10000, 19999],
      httpPort: 0,
      iceStartTimeoutSec: 30,
      connectUrl: 'wss://edge.example/api/relay/connect',
    });
  });
  it('rejects bad values', () => {
    expect(() => loadConfig({ ...base, RELAY_ICE_PORT_MIN: '5000', RELAY_ICE_PORT_MAX: '4000' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RELAY_ICE_PORT_MIN: '80', RELAY_ICE_PORT_MAX: '4000' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RELAY_ICE_PORT_MIN: '10000', RELAY_ICE_PORT_MAX: '60000' })).toThrow(/at most/);
    expect(() => loadConfig({ ...base, RELAY_ANNOUNCED_ADDRESS: 'example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RELAY_ICE_START_TIMEOUT: '0' })).toThrow(/RELAY_ICE_START_TIMEOUT/);
    expect(() => loadConfig({ ...base, RELAY_REMOTE_PORT_MIN: '12000', RELAY_REMOTE_PORT_MAX: '11000' })).toThrow(
      /RELAY_REMOTE_PORT_MIN must be below/,
    );
    expect(() => loadConfig({ ...base, RELAY_REMOTE_PORT_MIN: '25500', RELAY_REMOTE_PORT_MAX: '26500' })).toThrow(
      /must not overlap/,
    );
    expect(() => loadConfig({ EDGE_URL: base.EDGE_URL })).toThrow(/RELAY_SECRET/);
    expect(() => loadConfig({ ...base, EDGE_URL: 'ftp://x' })).toThrow(ConfigError);
  });
});

describe('port pool', () => {
  it('hands out each port once, FIFO reuse, parks foreign ports', () => {
    const pool = new PortPool(50000, 50002);
    expect([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]).toEqual([50000, 50001, 50002, undefined]);
    expect(pool.inUse).toBe(3);
    pool.release(50001);
    pool.release(50001);
    expect(pool.inUse).toBe(2);
    pool.markForeign(50000);
    expect(pool.acquire()).toBe(50001);
    expect(pool.acquire()).toBe(50000); // recycled once nothing else is left
  });
});

describe('SDP inspection', () => {
  it('reads mids and simulcast rids', () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 0.0.0.0',
      's=-',
      't=0 0',
      'a=fingerprint:sha-256 AA',
      'a=ice-ufrag:abcd',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=mid:a',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:v',
      'a=simulcast:send h;m;~l',
    ].join('\r\n');
    const s = inspectSdp(sdp);
    expect(s.sections.map((x) => [x.kind, x.mid])).toEqual([
      ['audio', 'a'],
      ['video', 'v'],
    ]);
    expect(s.sections[1]!.simulcastRids).toEqual(['h', 'm', 'l']);
  });
});

describe('ICE credentials under BUNDLE', () => {
  const sdp = (group: string) =>
    [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      ...(group ? [group] : []),
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=ice-ufrag:aaaa',
      'a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa',
      'a=mid:0',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=ice-ufrag:bbbb',
      'a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb',
      'a=mid:1',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=ice-ufrag:cccc',
      'a=ice-pwd:cccccccccccccccccccccccc',
      'a=mid:2',
      '',
    ].join('\r\n');

  it("writes the bundle tag's credentials on every bundled m-line and leaves the others", () => {
    const out = bundleIceCredentials(sdp('a=group:BUNDLE 1 0'));
    expect(out.match(/a=ice-ufrag:\S+/g)).toEqual(['a=ice-ufrag:bbbb', 'a=ice-ufrag:bbbb', 'a=ice-ufrag:cccc']);
    expect(out.match(/a=ice-pwd:\S+/g)).toEqual([
      'a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb',
      'a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb',
      'a=ice-pwd:cccccccccccccccccccccccc',
    ]);
  });

  it('changes nothing without BUNDLE', () => {
    expect(bundleIceCredentials(sdp(''))).toBe(sdp(''));
  });
});
