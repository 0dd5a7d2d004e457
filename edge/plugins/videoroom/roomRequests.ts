import { parseJanus } from '../../../shared/janus/validate.js';
import type { Cascades } from './cascades.js';
import { VideoRoomError, VR, vrError } from './errors.js';
import type { Publishers } from './publishers.js';
import type { Recordings } from './recordings.js';
import type { RemotePublishers } from './remotePublishers.js';
import type { Room } from './room.js';
import * as S from './schemas.js';
import type { RoomId } from './schemas.js';
import {
  checksAllowed,
  normalizeOptions,
  participantEntry,
  roomSummary,
  type HandleAddress,
  type JanusData,
} from './state.js';
import { refuseUnsupportedRoomOptions } from './unsupported.js';

/**
 * The room's own synchronous requests (§5.2): create, edit, destroy, exists, allowed, kick,
 * moderate, listparticipants (enable_recording is Recordings'). Each answers in the `success`.
 */
export class RoomRequests {
  constructor(
    private readonly room: Room,
    private readonly publishers: Publishers,
    private readonly remotes: RemotePublishers,
    private readonly cascades: Cascades,
    private readonly recordings: Recordings,
    /** Told when the room is destroyed, before anything can recreate it (static rooms keep a tombstone). */
    private readonly onDestroyed: (room: RoomId) => void = () => undefined,
  ) {}

  async create(id: RoomId, body: Record<string, unknown>): Promise<JanusData> {
    // Janus checks the plugin's admin key before anything else.
    this.room.checkAdminKey(parseJanus(S.adminKeySchema, body, VR).admin_key);
    if (this.room.state) throw vrError(VideoRoomError.ROOM_EXISTS, `Room ${id} already exists`);
    return this.build(id, body);
  }

  /** The room from a `create` body, validated as `create` validates it (static rooms come this way too). */
  async build(id: RoomId, body: Record<string, unknown>): Promise<JanusData> {
    const { permanent, allowed, ...options } = parseJanus(S.createSchema, body, VR);
    refuseUnsupportedRoomOptions(options);
    this.recordings.checkDir('rec_dir', options.rec_dir);
    // The room's id and the admin key are not options of the room.
    delete options.room;
    delete options.admin_key;
    this.room.state = {
      room: id,
      options: normalizeOptions(options),
      permanent: permanent ?? false,
      createdAt: this.room.host.now(),
      allowed,
      publishers: [],
      subscribers: [],
      forwarders: [],
      nextForwarderId: 1,
    };
    this.room.save();
    await this.room.host.index.roomCreated(id);
    return { videoroom: 'created', room: id, permanent: permanent ?? false };
  }

  /** The room's entry in `list`, if it exists. */
  summary(): JanusData | undefined {
    return this.room.state ? roomSummary(this.room.state) : undefined;
  }

  exists(body: Record<string, unknown>): JanusData {
    const { room } = parseJanus(S.roomOnlySchema, body, VR);
    return { videoroom: 'success', room, exists: this.room.state !== undefined };
  }

  edit(body: Record<string, unknown>): JanusData {
    const e = parseJanus(S.editSchema, body, VR);
    const r = this.room.current();
    this.room.checkSecret(e.secret);
    this.recordings.checkDir('new_rec_dir', e.new_rec_dir);
    const o = r.options;
    if (e.new_description !== undefined) o.description = e.new_description;
    if (e.new_secret !== undefined) o.secret = e.new_secret;
    if (e.new_pin !== undefined) o.pin = e.new_pin;
    if (e.new_is_private !== undefined) o.is_private = e.new_is_private;
    if (e.new_require_pvtid !== undefined) o.require_pvtid = e.new_require_pvtid;
    if (e.new_bitrate !== undefined) o.bitrate = e.new_bitrate > 0 && e.new_bitrate < 64000 ? 64000 : e.new_bitrate;
    if (e.new_fir_freq !== undefined) o.fir_freq = e.new_fir_freq;
    if (e.new_publishers !== undefined) o.publishers = e.new_publishers;
    if (e.new_lock_record !== undefined) o.lock_record = e.new_lock_record;
    if (e.new_rec_dir !== undefined) o.rec_dir = e.new_rec_dir;
    if (e.permanent !== undefined) r.permanent = e.permanent;
    this.room.save();
    return { videoroom: 'edited', room: r.room, permanent: r.permanent };
  }

  /** Everyone is told and every relay resource of the room (remote publishers, cascades) is freed. */
  async destroy(body: Record<string, unknown>): Promise<JanusData> {
    const { secret } = parseJanus(S.roomSecretSchema, body, VR);
    const r = this.room.current();
    this.room.checkSecret(secret);
    const everyone: HandleAddress[] = [...r.publishers.filter((p) => !p.remote), ...r.subscribers];
    const remotes = r.publishers.filter((p) => p.remote && p.relay);
    const cascades = r.cascades ?? [];
    this.room.state = undefined;
    this.onDestroyed(r.room);
    const { relays, index } = this.room.host;
    // Janus #3508: a room destroyed without remove_remote_publisher must still free the ports.
    await Promise.all([
      ...remotes.map((p) =>
        p.relay
          ? relays
              .command(p.relay, { op: 'sfu.remoteRemove', sessionId: p.sessionId, handleId: p.handleId })
              .catch(() => undefined)
          : undefined,
      ),
      this.cascades.closeAll(cascades),
    ]);
    for (const linkId of r.watched ?? []) this.room.host.unwatchLink(linkId, r.room);
    this.room.save();
    await index.roomDestroyed(r.room);
    for (const who of everyone)
      void this.room.tell(who, { kind: 'removed', data: { videoroom: 'destroyed', room: r.room } });
    return { videoroom: 'destroyed', room: r.room, permanent: r.permanent };
  }

  allowed(body: Record<string, unknown>): JanusData {
    const a = parseJanus(S.allowedSchema, body, VR);
    const r = this.room.current();
    this.room.checkSecret(a.secret);
    // As Janus: enable/disable only switch the check, the tokens stay; add/remove without a list change nothing.
    const tokens = r.allowed ?? [];
    const list = a.allowed;
    switch (a.action) {
      case 'enable':
        r.checkAllowed = true;
        break;
      case 'disable':
        r.checkAllowed = false;
        break;
      case 'add':
        if (list) r.checkAllowed = checksAllowed(r);
        if (list) r.allowed = [...new Set([...tokens, ...list])];
        break;
      case 'remove':
        if (list) r.checkAllowed = checksAllowed(r);
        if (list) r.allowed = tokens.filter((t) => !list.includes(t));
        break;
    }
    this.room.save();
    const out: JanusData = { videoroom: 'success', room: r.room };
    if (a.action !== 'disable') out.allowed = r.allowed ?? [];
    return out;
  }

  kick(body: Record<string, unknown>): JanusData {
    const k = parseJanus(S.kickSchema, body, VR);
    const r = this.room.current();
    this.room.checkSecret(k.secret);
    const p = this.room.feed(k.id);
    if (p.remote) {
      void this.remotes.drop(p);
      return { videoroom: 'success' };
    }
    this.publishers.remove(p);
    void this.room.tell(p, {
      kind: 'removed',
      data: { videoroom: 'event', room: r.room, leaving: 'ok', reason: 'kicked' },
    });
    this.room.broadcast({ videoroom: 'event', room: r.room, kicked: p.id }, p);
    return { videoroom: 'success' };
  }

  /**
   * `moderate` (§5.2): records the mute, has the publisher's relay stop (or resume) forwarding the
   * stream, and tells everyone, the target included. The relay is asked before answering, so media
   * is held back once the moderator has the `success`.
   */
  async moderate(body: Record<string, unknown>): Promise<JanusData> {
    const m = parseJanus(S.moderateSchema, body, VR);
    const r = this.room.current();
    this.room.checkSecret(m.secret);
    const p = this.room.feed(m.id);
    const s = p.streams?.find((x) => x.mid === m.mid);
    if (!s) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such mid ${m.mid} for user ${m.id}`);
    s.moderated = m.mute;
    this.room.save();
    if (p.relay) {
      // The publisher's PeerConnection may be gone meanwhile: the room's state stands, nothing flows anyway.
      await this.room.host.relays
        .command(p.relay, {
          op: 'sfu.moderate',
          sessionId: p.sessionId,
          handleId: p.handleId,
          mid: m.mid,
          mute: m.mute,
        })
        .catch((err: unknown) =>
          this.room.host.log.warn('relay did not apply moderation', {
            room: r.room,
            id: p.id,
            mid: m.mid,
            error: String(err),
          }),
        );
    }
    this.room.broadcast({
      videoroom: 'event',
      room: r.room,
      id: p.id,
      mid: m.mid,
      moderation: m.mute ? 'muted' : 'unmuted',
    });
    return { videoroom: 'success' };
  }

  listParticipants(body: Record<string, unknown>): JanusData {
    const { room } = parseJanus(S.roomOnlySchema, body, VR);
    return { videoroom: 'participants', room, participants: this.room.current().publishers.map(participantEntry) };
  }
}
