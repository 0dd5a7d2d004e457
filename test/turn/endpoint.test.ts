import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

async function get(stack: Stack, query = '', address?: string) {
  const res = await fetch(`${stack.baseUrl}/turn-credentials${query}`, {
    headers: address ? { 'CF-Connecting-IP': address } : {},
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The endpoint in workerd with the REST secret: auth, the per-address limiter objects, and no secret in any answer. */
describe('GET /turn-credentials in workerd (TURN REST secret)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
      TURN_REST_SECRET: 'stack-rest-secret',
      TURN_TTL: '600',
      API_SECRET: 'stack-api-secret',
      TURN_REQUESTS_PER_MINUTE: '6',
      TURN_REQUEST_BURST: '2',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers credentials behind the API secret, 403 without it', async () => {
    const refused = await get(stack);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({ janus: 'error', error: { code: 403 } });
    const ok = await get(stack, '?apisecret=stack-api-secret');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const body = JSON.parse(ok.text) as { iceServers: Array<{ urls: string[]; username: string }>; ttl: number };
    expect(body.ttl).toBe(600);
    expect(body.iceServers[0]!.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
    expect(Number(body.iceServers[0]!.username.split(':')[0])).toBeGreaterThan(Date.now() / 1000 + 590);
    for (const r of [refused, ok]) expect(r.text).not.toMatch(/stack-rest-secret|stack-api-secret/);
  });

  it('limits each client address with 429 and Retry-After, across requests (a Durable Object per address)', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const r = await get(stack, '?apisecret=stack-api-secret', '198.51.100.20');
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(10);
    expect((await get(stack, '?apisecret=stack-api-secret', '198.51.100.21')).status).toBe(200);
  });
});

/** A local HTTP server stands in for Cloudflare's TURN key API here: there is no internet on this machine. */
describe('GET /turn-credentials in workerd (Cloudflare TURN, API stand-in)', () => {
  let stack: Stack;
  let server: Server;
  const seen: Array<{ request: string; auth: string; body: string }> = [];
  let answer: { status: number; body: unknown } = { status: 201, body: {} };
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ request: `${req.method} ${req.url}`, auth: req.headers.authorization ?? '', body });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    stack = await startStack({
      CLOUDFLARE_TURN_KEY_ID: 'key-id-1',
      CLOUDFLARE_TURN_API_TOKEN: 'cf-api-token',
      CLOUDFLARE_TURN_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      TURN_TTL: '3600',
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('asks the key API with the bearer token and the ttl, and hands out what it minted', async () => {
    answer = {
      status: 201,
      body: {
        iceServers: [
          { urls: ['stun:stun.cloudflare.com:3478', 'stun:stun.cloudflare.com:53'] },
          {
            urls: [
              'turn:turn.cloudflare.com:3478?transport=udp',
              'turn:turn.cloudflare.com:53?transport=udp',
              'turns:turn.cloudflare.com:443?transport=tcp',
            ],
            username: 'cf-user',
            credential: 'cf-cred',
          },
        ],
      },
    };
    seen.length = 0;
    const r = await get(stack);
    expect(r.status).toBe(200);
    expect(seen).toEqual([
      {
        request: 'POST /v1/turn/keys/key-id-1/credentials/generate-ice-servers',
        auth: 'Bearer cf-api-token',
        body: '{"ttl":3600}',
      },
    ]);
    // Port 53 dropped: browsers refuse it.
    expect(JSON.parse(r.text)).toEqual({
      iceServers: [
        { urls: ['stun:stun.cloudflare.com:3478'] },
        {
          urls: ['turn:turn.cloudflare.com:3478?transport=udp', 'turns:turn.cloudflare.com:443?transport=tcp'],
          username: 'cf-user',
          credential: 'cf-cred',
        },
      ],
      ttl: 3600,
    });
  });

  it('takes the older single-object answer of /credentials/generate', async () => {
    answer = {
      status: 201,
      body: { iceServers: { urls: ['turn:turn.cloudflare.com:3478'], username: 'u', credential: 'c' } },
    };
    const r = await get(stack);
    expect(JSON.parse(r.text)).toEqual({
      iceServers: [{ urls: ['turn:turn.cloudflare.com:3478'], username: 'u', credential: 'c' }],
      ttl: 3600,
    });
  });

  it('answers 502 without any secret when Cloudflare refuses or answers nonsense', async () => {
    for (const bad of [
      { status: 401, body: { errors: [{ message: 'token cf-api-token is invalid' }] } },
      { status: 201, body: { iceServers: [{ urls: ['turn:x'] }] } },
      { status: 201, body: { nothing: true } },
    ]) {
      answer = bad;
      const r = await get(stack);
      expect(r.status).toBe(502);
      expect(JSON.parse(r.text)).toMatchObject({ janus: 'error', error: { code: 490 } });
      expect(r.text).toMatch(/Cloudflare TURN API/);
      expect(r.text).not.toMatch(/cf-api-token|key-id-1/);
    }
  });
});
