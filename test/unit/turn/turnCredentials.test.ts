import { describe, expect, it } from 'vitest';
import { signToken } from '../../../edge/auth/signedToken.js';
import { loadConfig, type EnvVars } from '../../../edge/config.js';
import { restCredential } from '../../../edge/turn/restCredential.js';
import { turnCredentialsSchema } from '../../../edge/turn/schemas.js';
import { turnCredentials, type TurnRequest } from '../../../edge/turn/turnCredentials.js';
import { MemoryLimiters } from './memoryLimiter.js';

const NOW = 1_750_000_000_000;
const REST: EnvVars = { TURN_URLS: 'turn:127.0.0.1:3478?transport=udp', TURN_REST_SECRET: 'rest-secret-xyz' };

function setup(env: EnvVars, tokens: Record<string, string[]> = {}) {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const limiters = new MemoryLimiters(config.turn.rateLimit);
  let tokenLookups = 0;
  let now = NOW;
  const ask = (req: Partial<TurnRequest> = {}) =>
    turnCredentials(
      { address: undefined, query: {}, ...req },
      {
        config,
        take: (address) => limiters.take(address, now),
        tokens: async () => (tokenLookups++, tokens),
        nowMs: now,
      },
    );
  return { ask, limiters, advance: (ms: number) => (now += ms), tokenLookups: () => tokenLookups, now: () => now };
}

describe('GET /turn-credentials (REST secret)', () => {
  it('mints a coturn REST credential that expires after the ttl', async () => {
    const { ask } = setup({ ...REST, TURN_TTL: '900' });
    const a = await ask();
    expect(a.status).toBe(200);
    expect(a.headers['cache-control']).toBe('no-store');
    const body = turnCredentialsSchema.parse(a.body);
    expect(body.ttl).toBe(900);
    expect(body.iceServers).toHaveLength(1);
    const s = body.iceServers[0]!;
    expect(s.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
    const [expiry, user] = s.username!.split(':');
    expect(Number(expiry)).toBe(NOW / 1000 + 900);
    expect(user).toMatch(/^edge-[0-9a-f]{16}$/);
    // The HMAC itself is checked against openssl in turnConfig.test.ts.
    expect(s.credential).toBe((await restCredential('rest-secret-xyz', Number(expiry), user!)).credential);
    expect(JSON.stringify(a.body)).not.toContain('rest-secret-xyz');
    // Two clients never share a username.
    expect(turnCredentialsSchema.parse((await ask()).body).iceServers[0]!.username).not.toBe(s.username);
  });

  it('answers 503 with a clear reason when no TURN is configured', async () => {
    const a = await setup({}).ask();
    expect(a.status).toBe(503);
    expect(a.body).toMatchObject({
      janus: 'error',
      error: { code: 490, reason: expect.stringMatching(/TURN is not configured/) },
    });
  });

  it('answers 204 instead with optional=1 (pages that use TURN when there is some)', async () => {
    const a = await setup({}).ask({ query: { optional: '1' } });
    expect(a.status).toBe(204);
    expect(a.body).toBeNull();
    expect((await setup(REST).ask({ query: { optional: '1' } })).status).toBe(200);
  });

  it('refuses parameters it does not support, such as a ttl of the client', async () => {
    const a = await setup(REST).ask({ query: { ttl: '999999' } });
    expect(a.status).toBe(400);
    expect(a.body).toMatchObject({
      error: { code: 457, reason: "Unsupported parameter 'ttl' (only apisecret, token and optional=1)" },
    });
    const b = await setup({}).ask({ query: { optional: 'yes' } });
    expect(b.status).toBe(400);
    expect(b.body).toMatchObject({ error: { code: 457, reason: 'optional must be 1' } });
  });
});

describe('GET /turn-credentials auth', () => {
  it('wants the API secret when one is set, and never echoes it', async () => {
    const { ask } = setup({ ...REST, API_SECRET: 'api-secret-123' });
    for (const query of [{}, { apisecret: 'wrong' }, { token: 'api-secret-123' }] as Array<Record<string, string>>) {
      const a = await ask({ query });
      expect(a.status).toBe(403);
      expect(a.body).toMatchObject({ janus: 'error', error: { code: 403 } });
      expect(JSON.stringify(a.body)).not.toContain('api-secret-123');
    }
    const ok = await ask({ query: { apisecret: 'api-secret-123' } });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(ok.body)).not.toContain('api-secret-123');
  });

  it('takes stored tokens (admin add_token), asking the core only when a token is given', async () => {
    const t = setup({ ...REST, TOKEN_AUTH: 'true' }, { 'tok-1': ['janus.plugin.echotest'] });
    expect((await t.ask()).status).toBe(403);
    expect(t.tokenLookups()).toBe(0);
    expect((await t.ask({ query: { token: 'nope' } })).status).toBe(403);
    expect((await t.ask({ query: { token: 'tok-1' } })).status).toBe(200);
    expect(t.tokenLookups()).toBe(2);
  });

  it('takes signed tokens (TOKEN_AUTH_SECRET) until they expire', async () => {
    const { ask } = setup({ ...REST, TOKEN_AUTH_SECRET: 'sign-secret' });
    const valid = await signToken('sign-secret', `${Math.floor(Date.now() / 1000) + 60},janus,janus.plugin.echotest`);
    const expired = await signToken('sign-secret', `${Math.floor(Date.now() / 1000) - 60},janus,janus.plugin.echotest`);
    const forged = await signToken('other-secret', `${Math.floor(Date.now() / 1000) + 60},janus,janus.plugin.echotest`);
    expect((await ask({ query: { token: valid } })).status).toBe(200);
    expect((await ask({ query: { token: expired } })).status).toBe(403);
    expect((await ask({ query: { token: forged } })).status).toBe(403);
  });
});

describe('GET /turn-credentials rate limit', () => {
  it('limits each client address, says when to retry, and refills', async () => {
    const t = setup({ ...REST, TURN_REQUESTS_PER_MINUTE: '6', TURN_REQUEST_BURST: '2' });
    expect((await t.ask({ address: '198.51.100.7' })).status).toBe(200);
    expect((await t.ask({ address: '198.51.100.7' })).status).toBe(200);
    const refused = await t.ask({ address: '198.51.100.7' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.body).toMatchObject({ error: { code: 490, reason: expect.stringMatching(/at most 6 a minute/) } });
    // Another address has its own bucket.
    expect((await t.ask({ address: '203.0.113.9' })).status).toBe(200);
    t.advance(9_000);
    const stillRefused = await t.ask({ address: '198.51.100.7' });
    expect(stillRefused.status).toBe(429);
    expect(stillRefused.headers['retry-after']).toBe('1');
    t.advance(1_000);
    expect((await t.ask({ address: '198.51.100.7' })).status).toBe(200);
  });

  it('counts refused guesses of the secret too', async () => {
    const t = setup({ ...REST, API_SECRET: 'api', TURN_REQUEST_BURST: '3' });
    for (let i = 0; i < 3; i++)
      expect((await t.ask({ address: '192.0.2.1', query: { apisecret: `guess${i}` } })).status).toBe(403);
    expect((await t.ask({ address: '192.0.2.1', query: { apisecret: 'api' } })).status).toBe(429);
  });

  it('forgets a bucket once it is full again, so storage keeps only recent clients', async () => {
    const t = setup({ ...REST, TURN_REQUESTS_PER_MINUTE: '60', TURN_REQUEST_BURST: '2' });
    await t.ask({ address: '192.0.2.5' });
    await t.ask({ address: '192.0.2.5' });
    expect(t.limiters.stored.size).toBe(1);
    await t.limiters.runAlarms(t.now() + 1_000);
    expect(t.limiters.stored.size).toBe(1); // one token back of two: the alarm looks again later
    expect(t.limiters.alarms.get('192.0.2.5')).toBe(t.now() + 2_000);
    await t.limiters.runAlarms(t.now() + 2_000);
    expect(t.limiters.stored.size).toBe(0);
    expect(t.limiters.alarms.size).toBe(0);
  });

  it('asks no limiter object when the limit is off', async () => {
    const t = setup({ ...REST, TURN_REQUESTS_PER_MINUTE: '0' });
    for (let i = 0; i < 20; i++) expect((await t.ask({ address: '192.0.2.9' })).status).toBe(200);
    expect(t.limiters.stored.size).toBe(0);
    expect(t.limiters.taken).toBe(0);
  });

  it('does not limit requests without a client address (local runs), as the Janus API', async () => {
    const t = setup({ ...REST, TURN_REQUEST_BURST: '1' });
    for (let i = 0; i < 5; i++) expect((await t.ask()).status).toBe(200);
  });
});
