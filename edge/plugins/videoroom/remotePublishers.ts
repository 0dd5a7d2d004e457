import { parseJanus } from '../../../shared/janus/validate.js';
import { randomSafeInt } from '../../core/ids.js';
import type { RemoteCreator, RemoteTally } from '../../core/remoteCreator.js';
import type { Cascades } from './cascades.js';
import { checkCreatorLimits, tallyOf } from './creatorLimits.js';
import { VideoRoomError, VR, vrError } from './errors.js';
import type { Publishers } from './publishers.js';
import type { RelayLinks } from './relayLinks.js';
import { remoteStreamsOf, srtpOf } from './remoteWire.js';
import type { Room } from './room.js';
import * as S from './schemas.js';
import type { FeedId } from './schemas.js';
import { formatOf, remoteStreamFormat, roomVideoProfiles, withoutFormat, type VideoProfiles } from './streamFormats.js';
import { publisherEntry, type JanusData, type Publisher, type PubStream } from './state.js';

/** Codecs a remote publisher may declare (what the relay's SFU can forward). */
const REMOTE_CODECS = { audio: ['opus', 'pcmu', 'pcma', 'g722'], video: ['vp8', 'vp9', 'h264', 'av1'] };

/** Validates a remote stream list entry by entry, with Janus's codes and texts, before anything is opened. */
function parseRemoteStreams(raw: unknown[], allowEmpty = false): PubStream[] {
  if (raw.length === 0 && !allowEmpty)
    throw vrError(VideoRoomError.INVALID_ELEMENT, "Invalid element value (streams can't be empty)");
  return raw.map((entry) => {
    const { type, ...s } = parseJanus(S.remoteStreamSchema, entry, VR);
    if (type !== 'audio' && type !== 'video' && type !== 'data')
      throw vrError(VideoRoomError.INVALID_ELEMENT, 'Invalid element value (type)');
    if (type !== 'data' && !s.disabled) {
      if (!s.codec) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (codec)');
      if (!REMOTE_CODECS[type].includes(s.codec.toLowerCase()))
        throw vrError(VideoRoomError.MISSING_ELEMENT, 'Invalid element value (unsupported codec)');
    }
    return { ...s, type };
  });
}

/** Requested streams with the formats they will have (the room's profile where none is given). */
function withRemoteFormats(streams: PubStream[], profiles: VideoProfiles): PubStream[] {
  return streams.map((s) => ({ ...withoutFormat(s), ...remoteStreamFormat(s, profiles) }));
}

/**
 * The relay's streams, with the descriptions and formats (Opus flags, video profile) of the request,
 * or of before for a stream the request did not name.
 */
function describe(
  streams: PubStream[],
  req: PubStream[],
  profiles: VideoProfiles,
  before: PubStream[] = [],
): PubStream[] {
  return streams.map(({ fmtp: _fmtp, ...s }: PubStream & { fmtp?: string }) => {
    const asked = req.find((x) => x.mid === s.mid);
    const old = before.find((x) => x.mid === s.mid);
    const description = asked?.description ?? old?.description;
    const format = s.disabled ? {} : asked ? remoteStreamFormat(asked, profiles) : formatOf(old);
    return { ...s, ...format, ...(description ? { description } : {}) };
  });
}

/**
 * Remote publishers (§5.7): a publisher of another Janus (or another deployment) fed by plain RTP
 * on ports of a relay. It is a participant like any other, with a synthetic handle address.
 */
export class RemotePublishers {
  constructor(
    private readonly room: Room,
    private readonly publishers: Publishers,
    private readonly cascades: Cascades,
    private readonly links: RelayLinks,
  ) {}

  private find(id: FeedId): Publisher {
    const p = this.room.current().publishers.find((x) => x.id === id && x.remote && x.streams);
    if (!p) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such remote publisher (${id})`);
    return p;
  }

  /**
   * `add_remote_publisher` by `creator` (none: admin `message_plugin`): the id is reserved first, then
   * the creator's counts over every room are checked, then a relay opens the RTP and RTCP sockets;
   * the publisher is announced at once (before media). A refusal or failure releases the reservation.
   */
  async add(body: Record<string, unknown>, creator?: RemoteCreator): Promise<JanusData> {
    const a = parseJanus(S.addRemotePublisherSchema, body, VR);
    const r = this.room.current();
    this.room.checkForwarding(a);
    const max = this.room.host.limits.maxRemotePublishers;
    // Reservations being set up count too, so concurrent additions cannot pass the limit together.
    if (max > 0 && r.publishers.filter((p) => p.remote || p.createdBy).length >= max)
      throw vrError(VideoRoomError.PUBLISHERS_FULL, `Maximum number of remote publishers (${max}) already reached`);
    const streams = withRemoteFormats(parseRemoteStreams(a.streams), roomVideoProfiles(r.options));
    if (a.id !== undefined && r.publishers.some((p) => p.id === a.id))
      throw vrError(VideoRoomError.ID_EXISTS, `User ID ${a.id} already exists`);
    const id: FeedId = a.id ?? (typeof r.room === 'string' ? crypto.randomUUID() : randomSafeInt());
    const p: Publisher = {
      sessionId: randomSafeInt(),
      handleId: randomSafeInt(),
      id,
      privateId: 0,
      handleless: true,
      display: a.display,
      metadata: a.metadata,
      ...(creator ? { createdBy: creator } : {}),
    };
    const peer = { sessionId: p.sessionId, handleId: p.handleId };
    const { relays, index } = this.room.host;
    r.publishers.push(p);
    let remote: NonNullable<Publisher['remote']>;
    try {
      if (creator) {
        // Counted with this reservation in place: a concurrent addition elsewhere sees it (RemoteHolders).
        const counts = await index.countRemotePublishers(r.room, creator, tallyOf(r.publishers, creator));
        checkCreatorLimits(counts, creator, this.room.host.limits);
        if (this.room.state !== r || !r.publishers.includes(p))
          throw vrError(VideoRoomError.NO_SUCH_ROOM, `No such room (${r.room})`);
      }
      const relay = await index.pickRelay();
      if (!relay) throw vrError(VideoRoomError.UNKNOWN_ERROR, 'No media relay available');
      const out = await relays.command(relay, {
        op: 'sfu.remoteAdd',
        ...peer,
        room: r.room,
        port: a.port,
        rtcp_port: a.rtcp_port,
        streams: remoteStreamsOf(streams),
        ...srtpOf(a),
      });
      if (this.room.state !== r || !r.publishers.includes(p)) {
        // The room went away meanwhile: release what the relay just opened.
        void relays.command(relay, { op: 'sfu.remoteRemove', ...peer }).catch(() => undefined);
        throw vrError(VideoRoomError.NO_SUCH_ROOM, `No such room (${r.room})`);
      }
      remote = { ip: out.ip, port: out.port, rtcpPort: out.rtcp_port };
      p.remote = remote;
      p.relay = relay;
      p.streams = describe(out.streams, streams, roomVideoProfiles(r.options));
    } catch (err) {
      r.publishers = r.publishers.filter((x) => x !== p);
      throw err;
    }
    this.room.save();
    this.links.update();
    this.room.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p, r.options)] });
    // Janus gives `ip` only for a bound iface or mcast group; here the relay is ours to choose, so its address always comes back.
    return { videoroom: 'success', room: r.room, id, ip: remote.ip, port: remote.port, rtcp_port: remote.rtcpPort };
  }

  /** This room's remote publishers added by a creator's session and address (per-session and per-address limits). */
  tally(creator: RemoteCreator): RemoteTally {
    return tallyOf(this.room.state?.publishers ?? [], creator);
  }

  /** `update_remote_publisher`: new or changed streams; subscribers hear of them in a `publishers` event. */
  async update(body: Record<string, unknown>): Promise<JanusData> {
    const u = parseJanus(S.updateRemotePublisherSchema, body, VR);
    const r = this.room.current();
    this.room.checkForwarding(u);
    const p = this.find(u.id);
    const streams = withRemoteFormats(parseRemoteStreams(u.streams, true), roomVideoProfiles(r.options));
    const srtp = srtpOf(u);
    let now = p.streams;
    if (p.relay && (streams.length > 0 || srtp.srtp)) {
      now = (
        await this.room.host.relays.command(p.relay, {
          op: 'sfu.remoteUpdate',
          sessionId: p.sessionId,
          handleId: p.handleId,
          streams: remoteStreamsOf(streams),
          ...srtp,
        })
      ).streams;
    }
    const before = p.streams;
    if (!before || !now) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such remote publisher (${u.id})`);
    p.streams = describe(now, streams, roomVideoProfiles(r.options), before);
    this.cascades.publisherChanged(p, before);
    if (u.display !== undefined) p.display = u.display;
    if (u.metadata !== undefined) p.metadata = u.metadata;
    this.room.save();
    this.room.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p, r.options)] });
    return { videoroom: 'success' };
  }

  /** `remove_remote_publisher`: participants get `leaving` (not `unpublished`, Janus #3442), subscribers an updated offer. */
  async remove(body: Record<string, unknown>): Promise<JanusData> {
    const d = parseJanus(S.removeRemotePublisherSchema, body, VR);
    this.room.current();
    this.room.checkForwarding(d);
    await this.drop(this.find(d.id));
    return { videoroom: 'success' };
  }

  /** The remote publisher leaves the room (removed, kicked, or its relay was lost) and its sockets close. */
  async drop(p: Publisher): Promise<void> {
    const r = this.room.current();
    const relay = p.relay;
    p.streams = undefined;
    p.relay = undefined;
    r.publishers = r.publishers.filter((x) => x !== p);
    // its rtp_forward forwarders close with it on the relay
    r.forwarders = r.forwarders.filter((f) => f.publisherId !== p.id);
    this.room.save();
    const data: JanusData = { videoroom: 'event', room: r.room, leaving: p.id };
    if (p.display !== undefined) data.display = p.display;
    this.room.broadcast(data);
    this.publishers.feedGone(p.id);
    this.links.update();
    if (relay) {
      await this.room.host.relays
        .command(relay, { op: 'sfu.remoteRemove', sessionId: p.sessionId, handleId: p.handleId })
        .catch((err: unknown) =>
          this.room.host.log.warn('relay did not remove a remote publisher', {
            room: r.room,
            id: p.id,
            error: String(err),
          }),
        );
    }
  }
}
