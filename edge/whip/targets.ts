import type { HttpProblem } from './httpErrors.js';

/**
 * What a WHIP endpoint publishes into, or a WHEP endpoint plays: the plugin a resource's handle
 * attaches to and the one request that carries the client's offer (answered with the answer). The
 * VideoRoom's are here; the Streaming plugin's mountpoints plug in the same way (streamingTarget.ts).
 */
export interface MediaTarget {
  plugin: string;
  /** The plugin message sent with the client's offer; `token` is the client's bearer token, if any. */
  request(token: string | undefined): Record<string, unknown>;
  /**
   * The HTTP status of an error the plugin answered (its `error_code`), when its codes mean other
   * things than the core's and the VideoRoom's (httpErrors.ts) do.
   */
  pluginProblem?(code: number, reason: string, hadToken: boolean): HttpProblem;
}

const VIDEOROOM = 'janus.plugin.videoroom';
const MAX_DISPLAY = 256;

/** A room or feed id from the path: an integer, or a string with VIDEOROOM_STRING_IDS. */
export function pathRoomId(part: string, stringIds: boolean): number | string | undefined {
  if (stringIds) return /^[\w.-]{1,128}$/.test(part) ? part : undefined;
  if (!/^\d{1,16}$/.test(part)) return undefined;
  const n = Number(part);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** WHIP `/whip/endpoint/<room>?display=`: a publisher of that room, the bearer token as its pin. */
export function videoRoomPublisher(room: number | string, display: string | undefined): MediaTarget | undefined {
  if (display !== undefined && (display.length === 0 || display.length > MAX_DISPLAY)) return undefined;
  return {
    plugin: VIDEOROOM,
    request: (token) => ({
      request: 'joinandconfigure',
      ptype: 'publisher',
      room,
      ...(display !== undefined ? { display } : {}),
      ...(token !== undefined ? { pin: token } : {}),
    }),
  };
}

/** WHEP `/whep/endpoint/<room>/<feed>`: a subscriber to every stream of that publisher. */
export function videoRoomFeed(room: number | string, feed: number | string): MediaTarget {
  return {
    plugin: VIDEOROOM,
    request: (token) => ({
      request: 'join',
      ptype: 'subscriber',
      room,
      streams: [{ feed }],
      ...(token !== undefined ? { pin: token } : {}),
    }),
  };
}
