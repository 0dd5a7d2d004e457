import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../relay/config.js';
import { turnClientFromEnv } from '../../relay/peer/turnClient.js';

const base = { RELAY_SECRET: 'relay-secret-123', EDGE_URL: 'ws://127.0.0.1:1' };

describe('the relay TURN client settings', () => {
  it('are off without RELAY_TURN_URL', () => {
    expect(loadConfig(base).turn).toBeUndefined();
  });

  it('take a fixed username and credential', () => {
    const turn = loadConfig({
      ...base,
      RELAY_TURN_URL: 'turn:turn.example.com:3478?transport=tcp',
      RELAY_TURN_USERNAME: 'relay',
      RELAY_TURN_CREDENTIAL: 'pw',
    }).turn!;
    expect(turn.force).toBe(false);
    expect(turn.iceServer()).toEqual({
      urls: 'turn:turn.example.com:3478?transport=tcp',
      username: 'relay',
      credential: 'pw',
    });
  });

  it('sign a fresh REST credential for each PeerConnection', () => {
    let now = 1_700_000_000_000;
    const r = turnClientFromEnv(
      { RELAY_TURN_URL: 'turns:turn.example.com', RELAY_TURN_REST_SECRET: 's', RELAY_FORCE_TURN: 'true' },
      'relay-a',
      () => now,
    );
    if (!('turn' in r) || !r.turn) throw new Error('expected a TURN client');
    expect(r.turn.force).toBe(true);
    const first = r.turn.iceServer();
    expect(first.username).toBe(`${1_700_000_000 + 86400}:relay-a`);
    expect(first.credential).toBe(createHmac('sha1', 's').update(first.username).digest('base64'));
    now += 3_600_000;
    expect(r.turn.iceServer().username).toBe(`${1_700_000_000 + 3600 + 86400}:relay-a`);
  });

  it.each([
    [{ RELAY_FORCE_TURN: 'true' }, /RELAY_FORCE_TURN needs RELAY_TURN_URL/],
    [{ RELAY_TURN_URL: 'turn:x' }, /needs RELAY_TURN_USERNAME and RELAY_TURN_CREDENTIAL, or RELAY_TURN_REST_SECRET/],
    [{ RELAY_TURN_URL: 'turn:x', RELAY_TURN_USERNAME: 'u' }, /go together/],
    [
      { RELAY_TURN_URL: 'turn:x', RELAY_TURN_USERNAME: 'u', RELAY_TURN_CREDENTIAL: 'c', RELAY_TURN_REST_SECRET: 's' },
      /not both/,
    ],
    [{ RELAY_TURN_URL: 'stun:x', RELAY_TURN_REST_SECRET: 's' }, /must be turn:/],
    [{ RELAY_TURN_URL: 'turns:x?transport=udp', RELAY_TURN_REST_SECRET: 's' }, /must be turn:/],
    [{ RELAY_TURN_REST_SECRET: 's' }, /need RELAY_TURN_URL/],
    [{ RELAY_TURN_URL: 'turn:x', RELAY_TURN_REST_SECRET: 's', RELAY_FORCE_TURN: 'yes' }, /RELAY_FORCE_TURN/],
  ])('refuse %j at start', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});
