import { parseJanus } from '../../../shared/janus/validate.js';
import { AB, abError, AudioBridgeError } from './errors.js';
import type { AudioRoom } from './room.js';
import type { RoomMedia } from './roomMedia.js';
import * as S from './schemas.js';
import type { AbRoomId } from './schemas.js';
import {
  participantEntry,
  roomSummary,
  type HandleAddress,
  type AbParticipant,
  type AbRoomOptions,
  type AbRoomState,
  type JanusData,
} from './state.js';
import { roomGroups } from './groups.js';
import { leftEvent, moderationEvent, roomEvent } from './handlerEvents.js';

/** Janus's defaults (janus_audiobridge.c). */
const DEFAULT_PREBUFFERING = 6;
const MAX_PREBUFFERING = 50;
const MIXING_RATES = [8000, 16000, 24000, 48000] as const;

/** The room's options from a `create` body, with Janus's defaults. */
function roomOptions(id: AbRoomId, c: S.CreateRequest, groups: string[] | undefined): AbRoomOptions {
  const rate = c.sampling_rate ?? c.sampling ?? 16000;
  if (rate === 12000)
    throw abError(AudioBridgeError.INVALID_ELEMENT, 'Invalid element (sampling_rate: 12 kHz mixing is not supported)');
  if (!(MIXING_RATES as readonly number[]).includes(rate))
    throw abError(AudioBridgeError.UNKNOWN_ERROR, `Unsupported sampling rate ${rate}`);
  const prebuffering = c.default_prebuffering ?? DEFAULT_PREBUFFERING;
  return {
    description: c.description ?? `Room ${id}`,
    ...(c.secret !== undefined ? { secret: c.secret } : {}),
    ...(c.pin !== undefined ? { pin: c.pin } : {}),
    is_private: c.is_private ?? false,
    sampling_rate: rate as AbRoomOptions['sampling_rate'],
    spatial_audio: c.spatial_audio ?? false,
    audiolevel_ext: c.audiolevel_ext ?? true,
    audiolevel_event: c.audiolevel_event ?? false,
    audio_active_packets: c.audio_active_packets || 100,
    audio_level_average: c.audio_level_average || 25,
    // As Janus: an out-of-range value falls back to the default (prebuffering) or the ceiling (loss).
    default_prebuffering: prebuffering > MAX_PREBUFFERING ? DEFAULT_PREBUFFERING : prebuffering,
    default_expectedloss: Math.min(c.default_expectedloss ?? 0, 20),
    default_bitrate: c.default_bitrate ?? 0,
    allow_rtp_participants: c.allow_rtp_participants ?? false,
    ...(groups ? { groups } : {}),
  };
}

/**
 * The room's own synchronous requests: create, edit, destroy, exists, allowed, kick, kick_all, mute,
 * unmute, mute_room, unmute_room, listparticipants. Each answers in the `success`.
 */
export class RoomRequests {
  constructor(
    private readonly room: AudioRoom,
    /** Moderation reaches the relay: the participant's effective mute (its own or the room's). */
    private readonly applyMute: (p: AbParticipant) => void,
    /** A participant the room removed: its media goes (kick, destroy). */
    private readonly removed: (p: AbParticipant, room: AbRoomId) => void,
    /** The room's recording (create's `record`, edit's `new_record_dir`). */
    private readonly media: RoomMedia,
  ) {}

  /**
   * `from`, here and below: the requesting handle, named to event handlers (none for admin requests);
   * `configured`: one of the deployment's rooms, which event handlers do not hear created.
   */
  async create(
    id: AbRoomId,
    body: Record<string, unknown>,
    from?: HandleAddress,
    { configured = false } = {},
  ): Promise<JanusData> {
    // Janus checks the plugin's admin key before anything else.
    const c = parseJanus(S.createSchema, body, AB);
    this.room.checkAdminKey(c.admin_key);
    // As Janus, the groups before whether the room exists.
    const groups = roomGroups(c.groups);
    if (this.room.state) throw abError(AudioBridgeError.ROOM_EXISTS, `Room ${id} already exists`);
    const options = roomOptions(id, c, groups);
    this.room.state = {
      room: id,
      options,
      permanent: c.permanent ?? false,
      ...(c.allowed ? { allowed: [...new Set(c.allowed)] } : {}),
      checkAllowed: c.allowed !== undefined,
      muted: false,
      participants: [],
    };
    this.media.configureMjrs(this.room.state, c.mjrs, c.mjrs_dir);
    if (c.record === true) {
      try {
        await this.media.startAtCreate(this.room.state, c.record_file, c.record_dir);
      } catch (err) {
        // A recording that cannot start leaves no room behind.
        this.room.state = undefined;
        throw err;
      }
    }
    this.room.save();
    await this.room.host.index.roomCreated(id);
    if (!configured) this.room.notifyHandlers(roomEvent('created', id), from);
    return { audiobridge: 'created', room: id, permanent: c.permanent ?? false };
  }

  /** The room's `list` entry; private rooms are not listed. */
  summary(): JanusData | undefined {
    const r = this.room.state;
    return r && !r.options.is_private ? roomSummary(r) : undefined;
  }

  exists(body: Record<string, unknown>): JanusData {
    const { room } = parseJanus(S.roomOnlySchema, body, AB);
    return { audiobridge: 'success', room, exists: this.room.state !== undefined };
  }

  edit(body: Record<string, unknown>, from?: HandleAddress): JanusData {
    const e = parseJanus(S.editSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(e.secret);
    if (e.new_mjrs_dir !== undefined) this.media.configureMjrs(r, undefined, e.new_mjrs_dir);
    if (e.new_record_dir !== undefined) this.media.setRecordDir(r, e.new_record_dir);
    const o = r.options;
    if (e.new_description !== undefined && e.new_description !== '') o.description = e.new_description;
    if (e.new_secret !== undefined) o.secret = e.new_secret;
    if (e.new_pin !== undefined) o.pin = e.new_pin === '' ? undefined : e.new_pin;
    if (e.new_is_private !== undefined) o.is_private = e.new_is_private;
    if (e.permanent !== undefined) r.permanent = e.permanent;
    this.room.save();
    this.room.notifyHandlers(roomEvent('edited', r.room), from);
    return { audiobridge: 'edited', room: r.room, permanent: r.permanent };
  }

  /** Everyone is told `destroyed` and loses its media. */
  async destroy(body: Record<string, unknown>, from?: HandleAddress): Promise<JanusData> {
    const { secret } = parseJanus(S.destroySchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(secret);
    this.room.state = undefined;
    this.room.save();
    await this.room.host.index.roomDestroyed(r.room);
    for (const p of r.participants) {
      this.removed(p, r.room);
      void this.room.tell(p, { kind: 'ab.removed', data: { audiobridge: 'destroyed', room: r.room } });
    }
    // As Janus: nobody is told `left` (the room is gone before their PeerConnections close).
    this.room.notifyHandlers(roomEvent('destroyed', r.room), from);
    return { audiobridge: 'destroyed', room: r.room, permanent: r.permanent };
  }

  allowed(body: Record<string, unknown>): JanusData {
    const a = parseJanus(S.allowedSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(a.secret);
    const list = a.allowed;
    switch (a.action) {
      case 'enable':
        r.checkAllowed = true;
        break;
      case 'disable':
        r.checkAllowed = false;
        break;
      case 'add':
        if (list) r.allowed = [...new Set([...list, ...(r.allowed ?? [])])];
        break;
      case 'remove':
        if (list) r.allowed = (r.allowed ?? []).filter((t) => !list.includes(t));
        break;
      default:
        throw abError(AudioBridgeError.INVALID_ELEMENT, `Unsupported action '${a.action}' (allowed)`);
    }
    this.room.save();
    const out: JanusData = { audiobridge: 'success', room: r.room };
    if (a.action !== 'disable') out.allowed = r.allowed ?? [];
    return out;
  }

  /** As Janus: everyone (the kicked one too) hears `kicked`; the others then hear it leave. */
  kick(body: Record<string, unknown>, from?: HandleAddress): JanusData {
    const k = parseJanus(S.participantSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(k.secret);
    const p = this.room.byId(k.id);
    const kicked = { audiobridge: 'event', room: r.room, kicked: p.id };
    r.participants = r.participants.filter((x) => x !== p);
    this.room.save();
    this.removed(p, r.room);
    void this.room.tell(p, { kind: 'ab.removed', data: kicked });
    this.room.broadcast(kicked);
    this.room.broadcast({ audiobridge: 'event', room: r.room, leaving: p.id });
    this.room.notifyHandlers(moderationEvent('kicked', r.room, p.id), from);
    // Janus closes its PeerConnection, whose hangup_media tells `left` (naming no handle), media or not
    this.room.notifyHandlers(leftEvent(r, p));
    return { audiobridge: 'success' };
  }

  /** Every participant hears `kicked_all` with its own id and leaves (Janus 1.1.2 left media-less ones in). */
  kickAll(body: Record<string, unknown>, from?: HandleAddress): JanusData {
    const { secret } = parseJanus(S.roomSecretSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(secret);
    const everyone = r.participants;
    r.participants = [];
    this.room.save();
    for (const p of everyone) {
      this.removed(p, r.room);
      void this.room.tell(p, { kind: 'ab.removed', data: { audiobridge: 'event', room: r.room, kicked_all: p.id } });
      this.room.notifyHandlers(moderationEvent('kicked_all', r.room, p.id), from);
      // as Janus 1.1.2's hangup_media: only for those with media
      if (p.relay) this.room.notifyHandlers(leftEvent(r, p));
    }
    return { audiobridge: 'success' };
  }

  /** mute/unmute: a participant's mute changes on its relay, and everyone (it too) hears the new state. */
  mute(body: Record<string, unknown>, muted: boolean, from?: HandleAddress): JanusData {
    const m = parseJanus(S.participantSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(m.secret);
    const p = this.room.byId(m.id);
    if (p.muted === muted) return { audiobridge: 'success' };
    p.muted = muted;
    this.room.save();
    this.applyMute(p);
    this.room.broadcast({ audiobridge: 'event', room: r.room, participants: [participantEntry(r, p)] });
    this.room.notifyHandlers(moderationEvent(muted ? 'mute' : 'unmute', r.room, p.id), from);
    return { audiobridge: 'success', room: r.room };
  }

  /** mute_room/unmute_room: nobody (or everybody unmuted) is heard; everyone hears `muted`. */
  muteRoom(body: Record<string, unknown>, muted: boolean, from?: HandleAddress): JanusData {
    const { secret } = parseJanus(S.roomSecretSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(secret);
    if (r.muted !== muted) {
      r.muted = muted;
      this.room.save();
      for (const p of r.participants) this.applyMute(p);
      this.room.broadcast({ audiobridge: 'event', room: r.room, muted });
      this.room.notifyHandlers(roomEvent(muted ? 'mute_room' : 'unmute_room', r.room), from);
    }
    return { audiobridge: 'success', room: r.room };
  }

  listParticipants(body: Record<string, unknown>): JanusData {
    const { room } = parseJanus(S.roomOnlySchema, body, AB);
    const r: AbRoomState = this.room.current();
    return { audiobridge: 'participants', room, participants: r.participants.map((p) => participantEntry(r, p)) };
  }
}
