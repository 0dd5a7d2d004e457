import { describe, expect, it } from 'vitest';
import { DEFAULT_TURN_TTL, parseTurnConfig } from '../../../edge/turn/turnConfig.js';
import { restCredential } from '../../../edge/turn/restCredential.js';

describe('TURN REST API credentials', () => {
  it('match coturn-style vectors computed with openssl', async () => {
    // printf '%s' '1700000000:alice' | openssl dgst -sha1 -hmac 'coturn-secret' -binary | base64
    expect(await restCredential('coturn-secret', 1700000000, 'alice')).toEqual({
      username: '1700000000:alice',
      credential: 'xDhekumuF8MOMl2uq3DuHW5R3Es=',
    });
    // printf '%s' '1433895918:edge-user' | openssl dgst -sha1 -hmac 'logen' -binary | base64
    expect((await restCredential('logen', 1433895918.7, 'edge-user')).credential).toBe('2gdtpiNq9P1hXzOp8CHalqHxhxM=');
  });
});

describe('TURN configuration', () => {
  it('is off by default, with a short ttl and a per-address limit', () => {
    const c = parseTurnConfig({});
    expect(c.source).toEqual({ kind: 'none' });
    expect(c.ttl).toBe(DEFAULT_TURN_TTL);
    expect(DEFAULT_TURN_TTL).toBeLessThan(86400);
    expect(c.rateLimit).toEqual({ perSecond: 10 / 60, burst: 5 });
  });

  it('reads the REST secret with its URLs', () => {
    const c = parseTurnConfig({
      TURN_URLS: 'turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349',
      TURN_REST_SECRET: 's3cret',
      TURN_TTL: '600',
    });
    expect(c.source).toEqual({
      kind: 'rest',
      urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'],
      secret: 's3cret',
    });
    expect(c.ttl).toBe(600);
  });

  it('reads Cloudflare TURN, with its API URL overridable', () => {
    const c = parseTurnConfig({
      CLOUDFLARE_TURN_KEY_ID: 'abc123',
      CLOUDFLARE_TURN_API_TOKEN: 'tok',
      CLOUDFLARE_TURN_API_URL: 'http://127.0.0.1:9/v1/',
    });
    expect(c.source).toEqual({ kind: 'cloudflare', keyId: 'abc123', apiToken: 'tok', apiUrl: 'http://127.0.0.1:9/v1' });
  });

  it.each([
    [{ TURN_URLS: 'stun:x.example.com', TURN_REST_SECRET: 's' }, /stun:x.example.com' must be a turn: or turns: URL/],
    [{ TURN_URLS: 'turn:x?transport=sctp', TURN_REST_SECRET: 's' }, /must be a turn/],
    [{ TURN_URLS: 'turns:x?transport=udp', TURN_REST_SECRET: 's' }, /must be a turn/],
    [{ TURN_REST_SECRET: 's' }, /TURN_REST_SECRET needs TURN_URLS/],
    [{ TURN_URLS: 'turn:x' }, /TURN_URLS needs TURN_REST_SECRET/],
    [
      { TURN_URLS: 'turn:x', TURN_REST_SECRET: 's', CLOUDFLARE_TURN_KEY_ID: 'k', CLOUDFLARE_TURN_API_TOKEN: 't' },
      /not both/,
    ],
    [{ CLOUDFLARE_TURN_KEY_ID: 'k' }, /needs both/],
    [{ TURN_URLS: 'turn:x', TURN_REST_SECRET: 's', TURN_TTL: '10' }, /60/],
    [{ TURN_URLS: 'turn:x', TURN_REST_SECRET: 's', TURN_TTL: 'soon' }, /number/i],
  ])('refuses %j', (vars, message) => {
    expect(() => parseTurnConfig(vars)).toThrow(message);
  });

  it('never puts a secret in its error messages', () => {
    let message = '';
    try {
      parseTurnConfig({ TURN_REST_SECRET: 'very-secret-value', CLOUDFLARE_TURN_API_TOKEN: 'other-secret' });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/invalid TURN configuration/);
    expect(message).not.toMatch(/very-secret-value|other-secret/);
  });
});
