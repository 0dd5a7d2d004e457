import type { Context } from 'hono';
import { loadConfig } from '../config.js';
import { clientAddressOf } from '../core/clientAddress.js';
import type { Env } from '../env.js';
import { Logger } from '../log.js';
import { Stubs } from '../stubs.js';
import { turnCredentials } from './turnCredentials.js';

/** `GET /turn-credentials` on the Worker: wires the request, the limiter objects and the core to {@link turnCredentials}. */
export async function turnCredentialsRoute(c: Context<{ Bindings: Env }>): Promise<Response> {
  const config = loadConfig(c.env);
  const answer = await turnCredentials(
    { address: clientAddressOf(c.req.raw.headers), query: c.req.query() },
    {
      config,
      take: (address) => c.env.TURN_LIMITER.get(c.env.TURN_LIMITER.idFromName(address)).take(),
      tokens: async () => (await new Stubs(c.env, config.shardCount).core().getSettings()).tokens,
      nowMs: Date.now(),
      log: new Logger(config.logLevel, 'turn'),
    },
  );
  if (answer.status === 204) return c.body(null, 204, answer.headers);
  return c.json(answer.body, answer.status as 200, answer.headers);
}
