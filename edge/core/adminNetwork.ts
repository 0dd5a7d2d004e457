import { z } from 'zod';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { parseJanus } from '../../shared/janus/validate.js';

/** The global admin requests about the network: `resolve_address`, `test_stun`. */
export const networkVerbs = new Set(['resolve_address', 'test_stun']);

const resolveSchema = z.object({ address: z.string() });
const stunSchema = z.object({ address: z.string(), port: z.number().int().min(1).max(65535) });

/** DNS over HTTPS (JSON API): Workers have no resolver of their own. */
const DOH_URL = 'https://cloudflare-dns.com/dns-query';
const DOH_TIMEOUT_MS = 5_000;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export async function networkRequest(
  verb: string,
  raw: Record<string, unknown>,
  now: () => number = () => performance.now(),
): Promise<Record<string, unknown>> {
  switch (verb) {
    case 'resolve_address': {
      const { address } = parseJanus(resolveSchema, raw);
      const start = now();
      const ip = await resolve(address);
      if (ip === undefined) throw new JanusApiError(JanusError.UNKNOWN, 'Could not resolve address');
      // Janus reports the time taken in microseconds.
      return { ip, elapsed: Math.round((now() - start) * 1000) };
    }
    case 'test_stun':
      parseJanus(stunSchema, raw);
      // A STUN binding needs UDP, which Workers do not have; relays gather their own candidates.
      throw new JanusApiError(
        JanusError.UNKNOWN,
        'STUN request failed (the edge has no UDP: test_stun is not supported)',
      );
  }
  throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${verb}'`);
}

/** An IPv4 address for `address`: itself when it is one, loopback for localhost, else an A record over DoH. */
async function resolve(address: string): Promise<string | undefined> {
  const literal = IPV4.exec(address);
  if (literal) return literal.slice(1).every((o) => Number(o) <= 255) ? address : undefined;
  if (address.toLowerCase() === 'localhost') return '127.0.0.1';
  if (!/^[a-z0-9.-]{1,253}$/i.test(address)) return undefined;
  try {
    const res = await fetch(`${DOH_URL}?name=${encodeURIComponent(address)}&type=A`, {
      headers: { accept: 'application/dns-json' },
      signal: AbortSignal.timeout(DOH_TIMEOUT_MS),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body = dohAnswer.safeParse(await res.json());
    return body.success ? body.data.Answer?.find((a) => a.type === 1)?.data : undefined;
  } catch {
    return undefined;
  }
}

const dohAnswer = z.object({
  Answer: z.array(z.object({ type: z.number(), data: z.string() })).optional(),
});
