import { describe, expect, it } from 'vitest';
import { parseValidRequest } from '../../../edge/core/requestParse.js';
import { envelopeSchema, janusRequestSchema } from '../../../shared/janus/requests.js';

/** The two-step parse the one-step one stands in for: the envelope, then the verb's request. */
function twoStep(raw: Record<string, unknown>) {
  const env = envelopeSchema.parse(raw);
  return { env, req: janusRequestSchema.parse({ ...raw, janus: env.janus.toLowerCase() }) };
}

describe('one parse of a valid Janus request', () => {
  const valid: Record<string, unknown>[] = [
    { janus: 'create', transaction: 't' },
    { janus: 'create', transaction: 't', id: 42, apisecret: 's' },
    { janus: 'Attach', transaction: 't', session_id: 1, plugin: 'janus.plugin.echotest', opaque_id: 'o', extra: 1 },
    {
      janus: 'message',
      transaction: 't',
      session_id: 1,
      handle_id: 2,
      body: { audio: true },
      jsep: 'not checked here',
    },
    { janus: 'trickle', transaction: 't', session_id: 1, handle_id: 2, candidate: { completed: true } },
    { janus: 'keepalive', transaction: 't', session_id: 1, token: 'x' },
    { janus: 'hangup', transaction: 't', session_id: 1, handle_id: 2 },
  ];

  it('gives what the envelope and the request parses give', () => {
    for (const raw of valid) {
      const one = parseValidRequest(raw);
      const two = twoStep(raw);
      expect(one?.req).toEqual({ ...two.env, ...two.req });
      expect(one?.env).toMatchObject(two.env);
      expect(one?.env.janus).toBe(raw.janus);
    }
  });

  it('gives nothing for a request either step refuses, or an unknown verb', () => {
    const invalid: Record<string, unknown>[] = [
      { janus: 'create' },
      { janus: 7, transaction: 't' },
      { janus: 'attach', transaction: 't', session_id: 1 },
      { janus: 'message', transaction: 't', session_id: 1, handle_id: 2, body: 'x' },
      { janus: 'create', transaction: 't', id: -1 },
      { janus: 'keepalive', transaction: 't', session_id: 'x' },
      { janus: 'fly', transaction: 't' },
    ];
    for (const raw of invalid) expect(parseValidRequest(raw)).toBeUndefined();
  });
});
