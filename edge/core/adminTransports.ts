import { z } from 'zod';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { parseJanus } from '../../shared/janus/validate.js';

/** Our two Janus transports, by the package names server_info lists. */
export const HTTP_TRANSPORT = 'janus.transport.http';
export const WS_TRANSPORT = 'janus.transport.websockets';

/** janus_http.c's and janus_websockets.c's error codes (the same in both). */
const TransportError = { INVALID_REQUEST: 411, MISSING_ELEMENT: 412, INVALID_ELEMENT: 413, UNKNOWN: 499 } as const;
const CODES = { missing: TransportError.MISSING_ELEMENT, invalid: TransportError.INVALID_ELEMENT };

const envelopeSchema = z.object({ transport: z.string(), request: z.looseObject({}).optional() });
const requestSchema = z.object({ request: z.string() });
const configureSchema = z.object({ events: z.boolean().optional(), json: z.string().optional() });
const wsConfigureSchema = configureSchema.extend({ logging: z.string().optional() });

/** The JSON format Janus's `json` option names for what we write: JSON.stringify, no spaces. */
const OUR_JSON_FORMAT = 'compact';
const JANUS_JSON_FORMATS = new Set(['indented', 'plain', 'compact']);

class Refused extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Admin `query_transport` (§3): the request goes to the named transport, whose answer (a result or
 * its own error) is the reply's `response`, as in Janus. Each transport's one setting request is
 * `configure`; what we cannot change (JSON layout, transport events, libwebsockets logging) is
 * refused in the response, never accepted and ignored.
 */
export function queryTransport(raw: Record<string, unknown>): Record<string, unknown> {
  const { transport, request } = parseJanus(envelopeSchema, raw);
  if (transport !== HTTP_TRANSPORT && transport !== WS_TRANSPORT)
    throw new JanusApiError(JanusError.PLUGIN_NOT_FOUND, 'Invalid transport');
  try {
    return { response: transportRequest(transport, request ?? {}) };
  } catch (err) {
    if (!(err instanceof JanusApiError) && !(err instanceof Refused)) throw err;
    return { response: { error_code: err.code, error: err.message } };
  }
}

function transportRequest(transport: string, body: Record<string, unknown>): Record<string, unknown> {
  const name = parseJanus(requestSchema, body, CODES).request.toLowerCase();
  switch (name) {
    case 'configure': {
      const c = parseJanus(transport === WS_TRANSPORT ? wsConfigureSchema : configureSchema, body, CODES);
      const notes: string[] = [];
      if (c.json !== undefined) {
        // Janus ignores a format it does not know, with a note; a known one we do not write is refused.
        if (!JANUS_JSON_FORMATS.has(c.json.toLowerCase())) notes.push('Ignored unsupported indentation format');
        else if (c.json.toLowerCase() !== OUR_JSON_FORMAT)
          throw new Refused(
            TransportError.UNKNOWN,
            `JSON format '${c.json}' not supported: replies are always compact`,
          );
      }
      // WebSocket connections emit transport events (subject to the event handler's mask); HTTP has none.
      const sendsEvents = transport === WS_TRANSPORT;
      if (c.events !== undefined && c.events !== sendsEvents)
        throw new Refused(
          TransportError.UNKNOWN,
          `events cannot be changed: this transport ${sendsEvents ? 'always notifies' : 'has no'} transport events`,
        );
      if ('logging' in c && c.logging !== undefined)
        throw new Refused(TransportError.UNKNOWN, 'logging not supported: there is no libwebsockets to configure');
      return { result: 200, ...(notes.length > 0 ? { notes } : {}) };
    }
    case 'connections':
      // Janus counts its own sockets; ours are held by the runtime across Workers and shards.
      throw new Refused(TransportError.UNKNOWN, 'connections are not counted: sockets are held by the Workers runtime');
  }
  throw new Refused(TransportError.INVALID_REQUEST, `Unknown request '${name}'`);
}
