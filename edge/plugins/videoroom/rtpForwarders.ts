import { parseJanus } from '../../../shared/janus/validate.js';
import { VideoRoomError, VR, vrError } from './errors.js';
import { srtpOf } from './remoteWire.js';
import type { Room } from './room.js';
import * as S from './schemas.js';
import type { FeedId } from './schemas.js';
import type { Forwarder, JanusData } from './state.js';

const forwarderEntry = (f: Forwarder, rtcp: boolean): JanusData => ({
  stream_id: f.streamId,
  type: f.type,
  host: f.host,
  port: f.port,
  ...(rtcp && f.rtcpPort ? { remote_rtcp_port: f.rtcpPort } : {}),
  ...(f.ssrc !== undefined ? { ssrc: f.ssrc } : {}),
  ...(f.pt !== undefined ? { pt: f.pt } : {}),
  srtp: f.srtp,
});

/**
 * RTP forwarders (§5.6): the room checks `rtp_forward`, the publisher's relay opens the forwarders,
 * the room numbers them (its stream ids) and lists them; `stop_rtp_forward` closes one. The relay
 * drops a publisher's forwarders with its PeerConnection, so the room forgets them then too.
 */
export class RtpForwarders {
  constructor(private readonly room: Room) {}

  async forward(body: Record<string, unknown>): Promise<JanusData> {
    const f = parseJanus(S.rtpForwardSchema, body, VR);
    const r = this.room.current();
    this.room.checkForwarding(f);
    const p = r.publishers.find((x) => x.id === f.publisher_id);
    if (!p || !p.streams || !p.relay)
      throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${f.publisher_id})`);
    for (const s of f.streams)
      if (!p.streams.some((x) => x.mid === s.mid && !x.disabled))
        throw vrError(VideoRoomError.NO_SUCH_FEED, `No such stream (${s.mid})`);
    const relay = p.relay;
    const peer = { sessionId: p.sessionId, handleId: p.handleId };
    const { srtp } = srtpOf(f);
    const streams = f.streams.map((s) => ({
      mid: s.mid,
      host: s.host ?? f.host,
      port: s.port,
      rtcp_port: s.rtcp_port,
      ssrc: s.ssrc,
      pt: s.pt,
      simulcast: s.simulcast,
    }));
    const { relays } = this.room.host;
    const made = (await relays.command(relay, { op: 'sfu.forward', ...peer, streams, ...(srtp ? { srtp } : {}) }))
      .forwarders;
    const now = this.room.state;
    if (!now?.publishers.some((x) => x.id === f.publisher_id && x.streams)) {
      // The publisher (or the room) went away meanwhile: stop what the relay just started.
      for (const m of made)
        void relays.command(relay, { op: 'sfu.stopForward', ...peer, id: m.id }).catch(() => undefined);
      this.room.current();
      throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${f.publisher_id})`);
    }
    const added: Forwarder[] = made.map((m, i) => ({
      mid: f.streams[i]?.mid ?? '',
      type: m.type,
      host: m.host,
      port: m.port,
      rtcpPort: f.streams[i]?.rtcp_port,
      ssrc: m.ssrc,
      pt: m.pt,
      srtp: m.srtp,
      relayForwarderId: m.id,
      publisherId: f.publisher_id,
      streamId: now.nextForwarderId++,
    }));
    now.forwarders.push(...added);
    this.room.save();
    return {
      videoroom: 'rtp_forward',
      room: now.room,
      publisher_id: f.publisher_id,
      forwarders: added.map((x) => forwarderEntry(x, false)),
    };
  }

  /** Forgets a forwarder and has its relay stop it (not waited for). */
  stop(body: Record<string, unknown>): JanusData {
    const s = parseJanus(S.stopRtpForwardSchema, body, VR);
    const r = this.room.current();
    this.room.checkForwarding(s);
    const i = r.forwarders.findIndex((f) => f.publisherId === s.publisher_id && f.streamId === s.stream_id);
    const f = r.forwarders[i];
    if (!f) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such stream (${s.stream_id})`);
    r.forwarders.splice(i, 1);
    this.room.save();
    const p = r.publishers.find((x) => x.id === f.publisherId);
    if (p?.relay)
      void this.room.host.relays
        .command(p.relay, {
          op: 'sfu.stopForward',
          sessionId: p.sessionId,
          handleId: p.handleId,
          id: f.relayForwarderId,
        })
        .catch(() => undefined);
    return { videoroom: 'stop_rtp_forward', room: r.room, publisher_id: s.publisher_id, stream_id: s.stream_id };
  }

  /** `listforwarders`: the room's forwarders, by publisher. */
  list(body: Record<string, unknown>): JanusData {
    const { room, secret } = parseJanus(S.roomSecretSchema, body, VR);
    const r = this.room.current();
    this.room.checkSecret(secret);
    const by = new Map<FeedId, Forwarder[]>();
    for (const f of r.forwarders) by.set(f.publisherId, [...(by.get(f.publisherId) ?? []), f]);
    // Each publisher named with its display, as Janus lists it (when it has one).
    const publishers = [...by].map(([publisher_id, list]) => {
      const display = r.publishers.find((p) => p.id === publisher_id)?.display;
      return {
        publisher_id,
        ...(display !== undefined ? { display } : {}),
        forwarders: list.map((f) => forwarderEntry(f, true)),
      };
    });
    return { videoroom: 'forwarders', room, publishers };
  }
}
