import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnCredentialsSchema } from '../../edge/turn/schemas.js';
import { startStack, type Stack } from '../support/stack.js';
import { coturnAvailable, coturnMissing, startCoturn, type Coturn } from './support/coturn.js';
import { candidateTypes, expectEcho, negotiateEcho, relayOnlyClient, selectedLocalType } from './support/turnEcho.js';

if (!coturnAvailable) console.warn(`TURN EchoTest skipped: ${coturnMissing}`);

/**
 * A client that may only relay through TURN (iceTransportPolicy "relay"), with credentials from our
 * `GET /turn-credentials`, reaches the relay through a real coturn and gets its media echoed; coturn
 * refuses credentials that expired or were signed with another secret.
 */
describe.skipIf(!coturnAvailable)('EchoTest through coturn with credentials from /turn-credentials', () => {
  let coturn: Coturn;
  let stack: Stack;
  beforeAll(async () => {
    coturn = await startCoturn();
    stack = await startStack({ TURN_URLS: coturn.url, TURN_REST_SECRET: coturn.secret, TURN_TTL: '300' });
  });
  afterAll(async () => {
    await stack?.stop();
    await coturn?.stop();
  });

  async function credentialsFromEdge() {
    const res = await fetch(`${stack.baseUrl}/turn-credentials`);
    expect(res.status).toBe(200);
    const server = turnCredentialsSchema.parse(await res.json()).iceServers[0]!;
    return { urls: server.urls[0]!, username: server.username!, credential: server.credential! };
  }

  it('echoes audio and video over a relay-only client', async () => {
    const before = coturn.allocations();
    const client = relayOnlyClient(await credentialsFromEdge());
    const call = await negotiateEcho(stack, client);
    try {
      expect(candidateTypes(call.offer)).toEqual(['relay']);
      await client.connected(20_000);
      expect(selectedLocalType(client)).toBe('relay');
      expect(coturn.allocations()).toBeGreaterThan(before);
      await expectEcho(client, call.keys);
    } finally {
      await call.close();
    }
  }, 60_000);

  for (const [name, make] of [
    ['expired', (c: Coturn) => c.credential(Date.now() / 1000 - 60)],
    ['forged (another secret)', (c: Coturn) => c.credential(Date.now() / 1000 + 300, 'not-the-secret')],
  ] as const) {
    it(`refuses ${name} credentials: no allocation, no relay candidate, no connection`, async () => {
      const { username, credential } = make(coturn);
      const before = coturn.allocations();
      const client = relayOnlyClient({ urls: coturn.url, username, credential });
      const call = await negotiateEcho(stack, client);
      try {
        expect(candidateTypes(call.offer)).toEqual([]);
        await expect(client.connected(5_000)).rejects.toThrow();
        expect(client.pc.connectionState).not.toBe('connected');
        expect(coturn.allocations()).toBe(before);
        expect(coturn.log()).toContain(
          `user <${username}>: incoming packet message processed, error 401: Unauthorized`,
        );
      } finally {
        await call.close();
      }
    }, 60_000);
  }
});
