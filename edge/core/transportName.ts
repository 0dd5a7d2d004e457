import type { Source } from './session.js';

/** How the type-1 `created` event names the session's transport. */
export function transportOf(origin: Source): { transport: string; id: string } {
  return origin.kind === 'http'
    ? { transport: 'janus.transport.http', id: origin.resource ?? 'http' }
    : { transport: 'janus.transport.websockets', id: origin.connId };
}
