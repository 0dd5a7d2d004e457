import { z } from 'zod';
import { janusId } from './validate.js';

/** The envelope every Janus API request shares (§1.1). Verbs are matched case-insensitively. */
export const envelopeSchema = z.object({
  janus: z.string(),
  transaction: z.string(),
  session_id: janusId.optional(),
  handle_id: janusId.optional(),
  apisecret: z.string().optional(),
  token: z.string().optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const createSchema = z.object({ id: janusId.positive().optional() });

export const attachSchema = z.object({
  plugin: z.string(),
  opaque_id: z.string().optional(),
  loop_index: z.number().int().nonnegative().optional(),
});

export const jsepSchema = z
  .object({
    type: z.string(),
    sdp: z.string(),
    trickle: z.boolean().optional(),
    rid_order: z.enum(['hml', 'lmh']).optional(),
    force_relay: z.boolean().optional(),
    e2ee: z.boolean().optional(),
    restart: z.boolean().optional(),
    svc: z.array(z.unknown()).optional(),
  })
  .passthrough();
export type Jsep = z.infer<typeof jsepSchema>;

export const messageSchema = z.object({
  body: z.record(z.string(), z.unknown()),
  jsep: jsepSchema.optional(),
});

export const candidateSchema = z.union([
  z.object({ completed: z.literal(true) }),
  z.object({
    candidate: z.string(),
    sdpMid: z.string().optional().nullable(),
    sdpMLineIndex: z.number().int().nonnegative().optional().nullable(),
  }),
]);
export type Candidate = z.infer<typeof candidateSchema>;

export const trickleSchema = z.object({
  candidate: z.union([candidateSchema, z.null()]).optional(),
  candidates: z.array(z.unknown()).optional(),
});

/** Verbs and the path level at which Janus accepts them. */
export const sessionlessVerbs = ['create', 'info', 'ping'] as const;
export const sessionVerbs = ['attach', 'destroy', 'keepalive', 'claim'] as const;
export const handleVerbs = ['message', 'trickle', 'detach', 'hangup'] as const;
export const allVerbs = [...sessionlessVerbs, ...sessionVerbs, ...handleVerbs] as const;
export type Verb = (typeof allVerbs)[number];

export function isVerb(v: string): v is Verb {
  return (allVerbs as readonly string[]).includes(v);
}

export function isHandleVerb(v: Verb): v is (typeof handleVerbs)[number] {
  return (handleVerbs as readonly string[]).includes(v);
}

const verb = <V extends Verb>(v: V) => z.object({ janus: z.literal(v) });

/**
 * A Janus API request's verb-specific part, parsed once into one type per verb (the envelope, which
 * Janus checks first, is {@link envelopeSchema}). A `message`'s jsep is checked on its own (455 when it
 * is not an object, then {@link jsepSchema}), so here it stays unknown.
 */
export const janusRequestSchema = z.discriminatedUnion('janus', [
  verb('create').extend(createSchema.shape),
  verb('info'),
  verb('ping'),
  verb('attach').extend(attachSchema.shape),
  verb('destroy'),
  verb('keepalive'),
  verb('claim'),
  verb('message').extend({ body: messageSchema.shape.body, jsep: z.unknown().optional() }),
  verb('trickle').extend(trickleSchema.shape),
  verb('detach'),
  verb('hangup'),
]);
export type JanusRequest = z.infer<typeof janusRequestSchema>;
export type RequestOf<V extends Verb> = Extract<JanusRequest, { janus: V }>;
