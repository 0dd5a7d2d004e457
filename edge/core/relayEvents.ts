import type { PeerEvent } from '../../shared/control/events.js';
import { EventType, MediaSubtype, WebrtcSubtype } from '../../shared/janus/events.js';
import type { JanusMessage } from './replies.js';

/** The Janus message (§1.5) a relay event becomes for the client, if any. */
export function janusMessageFor(sessionId: number, handleId: number, e: PeerEvent): JanusMessage | undefined {
  const base = { session_id: sessionId, sender: handleId };
  switch (e.kind) {
    case 'webrtcup':
      return { janus: 'webrtcup', ...base };
    case 'media': {
      const m: JanusMessage = { janus: 'media', ...base, mid: e.mid, type: e.media, receiving: e.receiving };
      if (e.substream !== undefined) m.substream = e.substream;
      if (!e.receiving && e.seconds !== undefined) m.seconds = e.seconds;
      return m;
    }
    case 'slowlink':
      return { janus: 'slowlink', ...base, mid: e.mid, media: e.media, uplink: e.uplink, lost: e.lost };
    case 'hangup':
      return { janus: 'hangup', ...base, reason: e.reason };
    case 'candidate':
      return {
        janus: 'trickle',
        ...base,
        candidate:
          'completed' in e.candidate
            ? { completed: true }
            : {
                sdpMid: e.candidate.sdpMid ?? undefined,
                sdpMLineIndex: e.candidate.sdpMLineIndex ?? 0,
                candidate: e.candidate.candidate,
              },
      };
    default:
      return undefined;
  }
}

export interface HandlerEventSpec {
  type: number;
  subtype?: number;
  body: Record<string, unknown>;
}

/** The event-handler events (types 16 and 32) a relay event becomes. */
export function handlerEventsFor(e: PeerEvent): HandlerEventSpec[] {
  const stream = { stream_id: 1, component_id: 1 };
  switch (e.kind) {
    case 'webrtcup':
      return [{ type: EventType.WEBRTC, subtype: WebrtcSubtype.PEER_CONNECTION, body: { connection: 'webrtcup' } }];
    case 'hangup':
      return [
        {
          type: EventType.WEBRTC,
          subtype: WebrtcSubtype.PEER_CONNECTION,
          body: { connection: 'hangup', reason: e.reason },
        },
      ];
    case 'ice':
      return [{ type: EventType.WEBRTC, subtype: WebrtcSubtype.ICE, body: { ice: e.state, ...stream } }];
    case 'dtls':
      return [
        { type: EventType.WEBRTC, subtype: WebrtcSubtype.DTLS, body: { dtls: e.state, retransmissions: 0, ...stream } },
      ];
    case 'selected-pair':
      return [
        {
          type: EventType.WEBRTC,
          subtype: WebrtcSubtype.SELECTED_PAIR,
          body: {
            'selected-pair': `${e.local.address}:${e.local.port} <-> ${e.remote.address}:${e.remote.port}`,
            candidates: { local: e.local, remote: e.remote },
            ...stream,
          },
        },
      ];
    case 'candidate':
      return 'completed' in e.candidate
        ? []
        : [
            {
              type: EventType.WEBRTC,
              subtype: WebrtcSubtype.LOCAL_CANDIDATE,
              body: { 'local-candidate': e.candidate.candidate, ...stream },
            },
          ];
    case 'media':
      return [
        {
          type: EventType.MEDIA,
          subtype: MediaSubtype.STATE,
          body: {
            media: e.media,
            mid: e.mid,
            receiving: e.receiving,
            ...(e.substream !== undefined ? { substream: e.substream } : {}),
            ...(e.seconds !== undefined ? { seconds: e.seconds } : {}),
          },
        },
      ];
    case 'slowlink':
      return [
        {
          type: EventType.MEDIA,
          subtype: MediaSubtype.SLOW_LINK,
          body: { mid: e.mid, media: e.media, slow_link: e.uplink ? 'uplink' : 'downlink', lost_lastsec: e.lost },
        },
      ];
    case 'stats':
      return e.streams.map((s) => ({ type: EventType.MEDIA, subtype: MediaSubtype.STATS, body: s }));
    default:
      return [];
  }
}
