import type { z } from 'zod';
import {
  envelopeSchema,
  isVerb,
  janusRequestSchema,
  type Envelope,
  type JanusRequest,
  type Verb,
} from '../../shared/janus/requests.js';

/**
 * The envelope and the verb's fields of each verb as one object schema, so that a valid request
 * (nearly every one) is checked by one zod parse instead of two plus a copy. Built from the same
 * schemas as the two-step parse, so it accepts exactly the requests both steps accept.
 */
const combined = new Map<Verb, z.ZodType>(
  janusRequestSchema.options.map((option) => {
    const { janus: _verb, ...fields } = option.shape;
    return [option.shape.janus.value, envelopeSchema.extend(fields)] as const;
  }),
);

/**
 * One parse of a valid request into its envelope (the verb as sent) and its request (the verb in
 * lower case); undefined when it is not valid, so the caller runs the checks in Janus's order and
 * reports the first problem as before.
 */
export function parseValidRequest(raw: Record<string, unknown>): { env: Envelope; req: JanusRequest } | undefined {
  if (typeof raw.janus !== 'string') return undefined;
  const verb = raw.janus.toLowerCase();
  if (!isVerb(verb)) return undefined;
  const parsed = combined.get(verb)?.safeParse(raw);
  if (!parsed?.success) return undefined;
  const env = parsed.data as Envelope;
  return { env, req: { ...env, janus: verb } as JanusRequest };
}
