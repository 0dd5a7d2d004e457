import { verifySignedToken } from '../../auth/signedToken.js';
import { randomSafeInt } from '../../core/ids.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { Cascades } from './cascades.js';
import { joinFirst, VideoRoomError, vrError } from './errors.js';
import type { Remotizations } from './remotizations.js';
import type { RecordingRequest, Recordings } from './recordings.js';
import type { Room } from './room.js';
import * as S from './schemas.js';
import type { FeedId, JsonObject, RoomId } from './schemas.js';
import {
  checksAllowed,
  participantEntry,
  publisherEntry,
  streamEntries,
  sameHandle,
  type HandleAddress,
  type JanusData,
  type Publisher,
  type PubStream,
} from './state.js';
import { roomOpusOptions, type OpusOptions } from './opusOptions.js';
import { formatOf, roomVideoProfiles, withoutFormat, type VideoProfiles } from './streamFormats.js';

/** What a publish leaves in the room: its streams as Janus lists them. */
export interface Published {
  room: RoomId;
  streams: JanusData[];
}

/** The room's talking-detection settings (§5.1 audiolevel_*), for a publisher's relay peer. */
export interface AudioLevelSettings {
  ext: boolean;
  event: boolean;
  packets?: number;
  average?: number;
}

/** What the plugin needs to place a publisher's offer on a relay. */
export interface PublishPlan {
  bitrate: number;
  /** Room `bitrate_cap`: `bitrate` also bounds what a publisher asks for (else only its default). */
  bitrateCap: boolean;
  /** Room `fir_freq`: seconds between keyframe requests to the publisher (0 = none). */
  firFreq: number;
  room: RoomId;
  audiocodec: string;
  videocodec: string;
  audioLevel: AudioLevelSettings;
  /** The room's opus_fec / opus_dtx, applied to the publisher's offer. */
  opus: OpusOptions;
  /** The room's h264_profile / vp9_profile, preferred in the publisher's offer. */
  videoProfiles: VideoProfiles;
}

/** The `joined` answer of a publisher (§5.3). */
export type Joined = JanusData & { id: FeedId; private_id: number };

/** A publisher's own fields that `publish` / `configure` may change. */
export interface PublisherDetails {
  display?: string;
  metadata?: JsonObject;
  descriptions?: { mid: string; description: string }[];
  /** `record` / `filename` (and the secret a room with `lock_record` wants), applied by Recordings. */
  recording?: RecordingRequest;
}

/**
 * Publishers (§5.3): joining (with the room's pin, token and allowed list), publishing (the relay
 * has accepted the offer: the room announces the streams), configure, unpublish, and what happens
 * to subscribers and cascades when a feed goes away.
 */
export class Publishers {
  constructor(
    private readonly room: Room,
    private readonly cascades: Cascades,
    private readonly remotizations: Remotizations,
    private readonly recordings: Recordings,
  ) {}

  /** A publisher joins (its request validated by the plugin). */
  async join(who: HandleAddress, j: S.PublisherJoin): Promise<Joined> {
    const r = this.room.current();
    if (this.room.publisher(who))
      throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a publisher on this handle');
    if (this.room.subscriber(who))
      throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a subscriber on this handle');
    await this.checkAccess(j.pin, j.token);
    if (j.id !== undefined && r.publishers.some((p) => p.id === j.id))
      throw vrError(VideoRoomError.ID_EXISTS, `User ID ${j.id} already exists`);
    let id: FeedId = j.id ?? randomSafeInt();
    if (typeof r.room === 'string' && j.id === undefined) id = crypto.randomUUID();
    const p: Publisher = {
      ...who,
      id,
      privateId: randomSafeInt() % 0xffffffff,
      display: j.display,
      metadata: j.metadata,
    };
    r.publishers.push(p);
    this.room.save();
    if (r.options.notify_joining)
      this.room.broadcast({ videoroom: 'event', room: r.room, joining: participantEntry(p) }, who);
    const out: Joined = {
      videoroom: 'joined',
      room: r.room,
      description: r.options.description ?? `Room ${r.room}`,
      id,
      private_id: p.privateId,
      publishers: r.publishers.filter((x) => x.streams && !sameHandle(x, who)).map((x) => publisherEntry(x, r.options)),
    };
    if (r.options.notify_joining)
      out.attendees = r.publishers.filter((x) => !x.streams && !sameHandle(x, who)).map(participantEntry);
    return out;
  }

  /** A join with an unknown `ptype`: Janus looks up the room and checks its pin before it refuses the ptype. */
  checkJoinAccess(j: S.JoinAccess): void {
    this.room.current();
    this.room.checkPin(j.pin);
  }

  private async checkAccess(pin: string | undefined, token: string | undefined): Promise<void> {
    const r = this.room.current();
    if (r.options.signed_tokens) {
      const secret = this.room.host.tokenAuthSecret;
      const t =
        secret && token
          ? await verifySignedToken(secret, token, 'janus.plugin.videoroom', this.room.host.now())
          : undefined;
      if (!t || !t.data.includes(`room=${r.room}`))
        throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (invalid signed token)');
    }
    this.room.checkPin(pin);
    if (checksAllowed(r) && (token === undefined || !(r.allowed ?? []).includes(token)))
      throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (not in the allowed list)');
  }

  /** Before a publisher's offer goes to a relay: the checks of §5.3, and how to set the peer up. */
  preparePublish(who: HandleAddress): PublishPlan {
    const r = this.room.current();
    const p = this.room.publisher(who);
    if (!p) {
      if (this.room.subscriber(who)) throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'Only publishers send offers');
      throw joinFirst();
    }
    if (p.streams) throw vrError(VideoRoomError.ALREADY_PUBLISHED, "Can't publish, already published");
    const active = r.publishers.filter((x) => x.streams).length;
    if (active >= r.options.publishers)
      throw vrError(
        VideoRoomError.PUBLISHERS_FULL,
        `Maximum number of publishers (${r.options.publishers}) already reached`,
      );
    const o = r.options;
    const audioLevel: AudioLevelSettings = {
      ext: o.audiolevel_ext ?? true,
      event: o.audiolevel_event ?? false,
      packets: o.audio_active_packets,
      average: o.audio_level_average,
    };
    return {
      bitrate: o.bitrate,
      bitrateCap: o.bitrate_cap ?? false,
      firFreq: o.fir_freq ?? 0,
      room: r.room,
      audiocodec: o.audiocodec,
      videocodec: o.videocodec,
      audioLevel,
      opus: roomOpusOptions(o),
      videoProfiles: roomVideoProfiles(o),
    };
  }

  /** The relay accepted the publisher's offer (first or renegotiated): announce its streams to the room. */
  published(who: HandleAddress, streams: PubStream[], relay: RelayRef, details: PublisherDetails): Published {
    const r = this.room.current();
    const p = this.room.publisherOf(who);
    if (details.display !== undefined) p.display = details.display;
    if (details.metadata !== undefined) p.metadata = details.metadata;
    // A renegotiation keeps the moderation and talking state of the streams it keeps (the relay does too),
    // and, as Janus, the formats the first offer gave them.
    const before = new Map((p.streams ?? []).map((s) => [s.mid, s]));
    p.streams = streams.map((s) => {
      const old = before.get(s.mid);
      return {
        ...withoutFormat(s),
        ...formatOf(old ?? s),
        description: details.descriptions?.find((d) => d.mid === s.mid)?.description ?? s.description,
        ...(old?.moderated ? { moderated: true } : {}),
        ...(old?.talking !== undefined ? { talking: old.talking } : {}),
      };
    });
    p.relay = relay;
    this.room.save();
    this.room.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p, r.options)] }, who);
    // Relays it is cascaded to learn of new or changed streams (a first publish has no cascades).
    this.cascades.publisherChanged(p, [...before.values()]);
    // Janus adds forwarders for new streams to every remotization (remote side: update_remote_publisher).
    const added = p.streams.filter((s) => !before.has(s.mid));
    if (added.length && p.remotizations?.length) void this.remotizations.extend(p, added);
    return { room: r.room, streams: streamEntries(p) };
  }

  /** Publisher `configure` without an offer: display/metadata changes are announced. */
  configure(
    who: HandleAddress,
    details: Omit<PublisherDetails, 'descriptions'>,
  ): { room: RoomId; publishing: boolean } {
    const r = this.room.current();
    const p = this.room.publisherOf(who);
    const changed = (details.display !== undefined && details.display !== p.display) || details.metadata !== undefined;
    if (details.display !== undefined) p.display = details.display;
    if (details.metadata !== undefined) p.metadata = details.metadata;
    this.room.save();
    if (changed && p.streams)
      this.room.broadcast({ videoroom: 'event', room: r.room, publishers: [publisherEntry(p, r.options)] }, who);
    return { room: r.room, publishing: p.streams !== undefined };
  }

  /** The publisher stops publishing (`unpublish`, `requested`, or its PeerConnection died). */
  unpublished(who: HandleAddress, requested: boolean): { room: RoomId } {
    const r = this.room.current();
    const p = this.room.publisherOf(who);
    if (!p.streams) {
      if (requested) throw vrError(VideoRoomError.NOT_PUBLISHED, "Can't unpublish, not published");
      return { room: r.room };
    }
    this.stopPublishing(p);
    return { room: r.room };
  }

  stopPublishing(p: Publisher): void {
    const r = this.room.current();
    this.recordings.stopped(p);
    p.streams = undefined;
    p.relay = undefined;
    p.remotizations = undefined;
    // The relay drops a publisher's forwarders (remotizations included) with its PeerConnection.
    r.forwarders = r.forwarders.filter((f) => f.publisherId !== p.id);
    this.room.save();
    this.room.broadcast({ videoroom: 'event', room: r.room, unpublished: p.id }, p);
    this.feedGone(p.id);
  }

  /** A publisher leaves the room (leave, kick, its handle went away). */
  remove(p: Publisher): void {
    const r = this.room.current();
    if (p.streams) this.stopPublishing(p);
    r.publishers = r.publishers.filter((x) => x !== p);
    this.room.save();
  }

  /** Subscribers receiving a feed that went away renegotiate without it (autoupdate). */
  feedGone(feedId: FeedId): void {
    for (const s of this.room.current().subscribers) {
      if (!s.streams.some((x) => x.feedId === feedId && x.active)) continue;
      for (const x of s.streams) if (x.feedId === feedId) x.active = false;
      if (s.autoupdate) void this.room.tell(s, { kind: 'feedsGone', feedIds: [feedId] });
    }
    this.room.save();
    this.cascades.prune();
  }
}
