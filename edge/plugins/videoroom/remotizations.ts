import type { SfuForwardStream } from '../../../shared/control/sfu.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { VideoRoomError, VR, vrError } from './errors.js';
import { remoteForwardStreams, srtpOf } from './remoteWire.js';
import type { Room } from './room.js';
import * as S from './schemas.js';
import type { JanusData, Publisher, PubStream, Remotization } from './state.js';

/**
 * `publish_remotely` (§5.7): a local publisher's streams forwarded by its relay to another Janus as
 * a remote publisher there (one forwarder per stream, Janus's remote-publisher wire format).
 */
export class Remotizations {
  constructor(private readonly room: Room) {}

  /** Has the publisher's relay forward `streams` to a remotization; answers the forwarder ids. */
  private async start(p: Publisher, relay: RelayRef, streams: SfuForwardStream[], srtp?: Remotization['srtp']) {
    const cmd = { op: 'sfu.forward', sessionId: p.sessionId, handleId: p.handleId, streams } as const;
    const out = await this.room.host.relays.command(relay, srtp ? { ...cmd, srtp } : cmd);
    return out.forwarders.map((m) => m.id);
  }

  /** Stops relay forwarders the room no longer wants; a relay that is gone is not waited for. */
  private stop(p: Publisher, relay: RelayRef, ids: number[]): Promise<unknown> {
    return Promise.all(
      ids.map((id) =>
        this.room.host.relays
          .command(relay, { op: 'sfu.stopForward', sessionId: p.sessionId, handleId: p.handleId, id })
          .catch(() => undefined),
      ),
    );
  }

  /**
   * SSRC 1000 + mindex*10 (+1/+2 for simulcast layers), the RTCP port on the first video stream
   * only, data as RTP-wrapped messages. The remote_id is reserved while the relay sets them up.
   */
  async publish(body: Record<string, unknown>): Promise<JanusData> {
    const f = parseJanus(S.publishRemotelySchema, body, VR);
    const r = this.room.current();
    this.room.checkForwarding(f);
    if (f.port === 0)
      throw vrError(VideoRoomError.INVALID_ELEMENT, 'Invalid element (port must be a non-zero positive integer)');
    const p = r.publishers.find((x) => x.id === f.publisher_id && x.streams);
    if (!p || !p.streams || !p.relay) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${f.publisher_id})`);
    if (p.remote) throw vrError(VideoRoomError.INVALID_ELEMENT, 'Only local publishers can be remotized');
    if (p.remotizations?.some((x) => x.remoteId === f.remote_id))
      throw vrError(VideoRoomError.ID_EXISTS, 'Remotization already exists');
    const { srtp } = srtpOf(f);
    const rem: Remotization = {
      remoteId: f.remote_id,
      host: f.host,
      port: f.port,
      ...(f.rtcp_port ? { rtcpPort: f.rtcp_port } : {}),
      forwarderIds: [],
      ...(srtp ? { srtp } : {}),
    };
    const streams = remoteForwardStreams(p.streams, rem, p.streams);
    if (streams.length === 0) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${f.publisher_id})`);
    p.remotizations = [...(p.remotizations ?? []), rem];
    const relay = p.relay;
    let ids: number[];
    try {
      ids = await this.start(p, relay, streams, srtp);
    } catch (err) {
      if (p.remotizations) p.remotizations = p.remotizations.filter((x) => x !== rem);
      throw err;
    }
    if (!p.remotizations?.includes(rem) || p.relay !== relay) {
      // The publisher left (or unpublish_remotely came) meanwhile: stop what the relay just started.
      void this.stop(p, relay, ids);
      throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${f.publisher_id})`);
    }
    rem.forwarderIds = ids;
    this.room.save();
    return { videoroom: 'success', room: r.room, id: p.id, remote_id: f.remote_id };
  }

  /** New streams of a remotized publisher get their forwarders too. */
  async extend(p: Publisher, added: PubStream[]): Promise<void> {
    const relay = p.relay;
    if (!relay) return;
    for (const rem of p.remotizations ?? []) {
      const streams = remoteForwardStreams(added, rem, p.streams ?? []);
      if (streams.length === 0) continue;
      try {
        const ids = await this.start(p, relay, streams, rem.srtp);
        if (p.remotizations?.includes(rem) && p.relay === relay) {
          rem.forwarderIds.push(...ids);
          this.room.save();
        } else void this.stop(p, relay, ids);
      } catch (err) {
        this.room.host.log.warn('could not extend a remotization', {
          id: p.id,
          remote_id: rem.remoteId,
          error: String(err),
        });
      }
    }
  }

  /** `unpublish_remotely`: stops the forwarders tagged with that remote_id. */
  async unpublish(body: Record<string, unknown>): Promise<JanusData> {
    const u = parseJanus(S.unpublishRemotelySchema, body, VR);
    const r = this.room.current();
    this.room.checkForwarding(u);
    const p = r.publishers.find((x) => x.id === u.publisher_id && x.streams);
    if (!p) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such publisher (${u.publisher_id})`);
    const rem = p.remotizations?.find((x) => x.remoteId === u.remote_id);
    if (!rem) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such remotization (${u.remote_id})`);
    p.remotizations = p.remotizations?.filter((x) => x !== rem);
    this.room.save();
    if (p.relay) await this.stop(p, p.relay, rem.forwarderIds);
    return { videoroom: 'success', room: r.room, id: p.id };
  }

  /** `listremotes`: a publisher's remotizations. */
  list(body: Record<string, unknown>): JanusData {
    const l = parseJanus(S.listRemotesSchema, body, VR);
    this.room.current();
    this.room.checkSecret(l.secret);
    const p = this.room.feed(l.publisher_id, 'publisher');
    const list = (p.remotizations ?? []).map((x) => ({
      remote_id: x.remoteId,
      host: x.host,
      port: x.port,
      ...(x.rtcpPort ? { rtcp_port: x.rtcpPort } : {}),
    }));
    return { videoroom: 'success', room: this.room.current().room, id: p.id, list };
  }
}
