import type { AbCodec, AbPeerEvent, MixerSettings } from '../../../shared/control/audiobridge.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { randomSafeInt } from '../../core/ids.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { AB, abError, AudioBridgeError } from './errors.js';
import { optionalGroup, requiredGroup } from './groups.js';
import { announcementEvent, recordingDoneEvent } from './handlerEvents.js';
import type { AudioRoom } from './room.js';
import * as M from './roomMediaSchemas.js';
import {
  mixerName,
  roomMediaBusy,
  type AbForwarder,
  type AbRoomMedia,
  type AbRoomState,
  type JanusData,
} from './state.js';

/** The room's media state, made with the room's own key on relays the first time it is needed. */
export function ensureRoomMedia(r: AbRoomState): AbRoomMedia {
  r.media ??= {
    key: { sessionId: randomSafeInt(), handleId: randomSafeInt() },
    record: false,
    forwarders: [],
    files: [],
  };
  return r.media;
}

const CODECS: readonly string[] = ['opus', 'pcmu', 'pcma'] satisfies AbCodec[];

/** Janus's `rtp_forward` defaults. */
const DEFAULT_PTYPE = 100;

/**
 * What a room does with its mix whoever is in it, on the relay mixing the room (the participants'
 * one, or a relay picked for the room when nobody is in): the `.wav` recording (`record` at create,
 * `enable_recording`), forwarders of the mix (`rtp_forward`, `stop_rtp_forward`, `listforwarders`),
 * files played into it (`play_file`, `is_playing`, `stop_file`). The relay keeps the room's mixer
 * while any of them runs; `destroy` closes it ({@link roomGone}).
 */
export class RoomMedia {
  constructor(
    private readonly room: AudioRoom,
    private readonly mixerSettings: (r: AbRoomState) => MixerSettings,
  ) {}

  private media(r: AbRoomState): AbRoomMedia {
    return ensureRoomMedia(r);
  }

  /** `create`'s `mjrs`/`mjrs_dir` and `edit`'s `new_mjrs_dir` (participantRecording.ts records). */
  configureMjrs(r: AbRoomState, mjrs: boolean | undefined, dir: string | undefined): void {
    const m = this.media(r);
    if (mjrs !== undefined) m.mjrs = mjrs;
    if (dir !== undefined) m.mjrs_dir = dir;
  }

  /** The room's relay (its participants' one, else one picked now: the room stays there while its media runs). */
  private async relayFor(r: AbRoomState): Promise<RelayRef> {
    if (!r.relay) {
      const picked = await this.room.host.pickRelay();
      if (!picked) throw abError(AudioBridgeError.UNKNOWN_ERROR, 'No media relay available');
      if (this.room.state !== r) throw abError(AudioBridgeError.NO_SUCH_ROOM, `No such room (${r.room})`);
      r.relay ??= picked;
    }
    // A lost relay takes the room's media with it: the room hears of it (relayLost).
    this.room.host.watchLink(r.relay.linkId, r.room);
    return r.relay;
  }

  /**
   * After a relay op the room may be gone (destroyed while the op was on its way): what the op just
   * started there is closed, as the room's destroy would have; 485 as Janus for a room that is gone.
   */
  private stillThere(r: AbRoomState, relay: RelayRef): void {
    if (this.room.state === r) return;
    this.room.host.relays.command(relay, { op: 'ab.room', ...this.target(r), close: true }).catch(() => undefined);
    throw abError(AudioBridgeError.NO_SUCH_ROOM, `No such room (${r.room})`);
  }

  /** What every room-level op names: the room's key, its mixer and the mixer's settings. */
  private target(r: AbRoomState) {
    return { ...this.media(r).key, mixer: mixerName(r.room), mixerSettings: this.mixerSettings(r) };
  }

  /** `create` with `record`: the recording starts with the room (as Janus's mixer opens the file at once). */
  async startAtCreate(r: AbRoomState, file: string | undefined, dir: string | undefined): Promise<void> {
    const m = this.media(r);
    m.record = true;
    if (file !== undefined) m.record_file = file;
    if (dir !== undefined) m.record_dir = dir;
    await this.startRecording(r);
  }

  private async startRecording(r: AbRoomState): Promise<void> {
    const m = this.media(r);
    const relay = await this.relayFor(r);
    const { path } = await this.room.host.relays.command(relay, {
      op: 'ab.record',
      ...this.target(r),
      record: true,
      ...(m.record_dir !== undefined ? { dir: m.record_dir } : {}),
      ...(m.record_file !== undefined ? { file: m.record_file } : {}),
    });
    this.stillThere(r, relay);
    if (path !== null) m.recording = path;
  }

  /** `edit`'s `new_record_dir`: where the next recording goes. */
  setRecordDir(r: AbRoomState, dir: string): void {
    this.media(r).record_dir = dir;
  }

  /** `enable_recording`: starts or stops the `.wav` of the mix (a change of file or folder applies to a new one). */
  async enableRecording(body: Record<string, unknown>): Promise<JanusData> {
    const e = parseJanus(M.enableRecordingSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(e.secret);
    const m = this.media(r);
    if (e.record !== m.record) {
      if (e.record) {
        const before = { record_file: m.record_file, record_dir: m.record_dir };
        if (e.record_file !== undefined) m.record_file = e.record_file;
        if (e.record_dir !== undefined) m.record_dir = e.record_dir;
        try {
          await this.startRecording(r);
        } catch (err) {
          Object.assign(m, before);
          throw err;
        }
        m.record = true;
      } else {
        m.record = false;
        m.recording = undefined;
        if (r.relay)
          await this.room.host.relays.command(r.relay, { op: 'ab.record', ...this.target(r), record: false });
      }
      this.room.save();
    }
    return { audiobridge: 'success', record: m.record };
  }

  /** `rtp_forward`: the mix (or one group's) to host:port as plain RTP (SRTP is refused). */
  async rtpForward(body: Record<string, unknown>): Promise<JanusData> {
    const f = parseJanus(M.rtpForwardSchema, body, AB);
    const codec = (f.codec ?? 'opus').toLowerCase();
    if (!CODECS.includes(codec))
      throw abError(AudioBridgeError.INVALID_ELEMENT, `Unsupported codec (${f.codec ?? ''})`);
    if (f.port === 0) throw abError(AudioBridgeError.INVALID_ELEMENT, `Invalid port number (${f.port})`);
    if (f.host_family !== undefined && f.host_family.toLowerCase() !== 'ipv4')
      throw abError(
        AudioBridgeError.INVALID_ELEMENT,
        `Unsupported protocol family (${f.host_family}: this gateway forwards over IPv4)`,
      );
    if (f.srtp_suite !== undefined || f.srtp_crypto !== undefined)
      throw abError(
        AudioBridgeError.INVALID_ELEMENT,
        'Invalid element (srtp_suite: SRTP forwarders are not supported)',
      );
    const r = this.room.current();
    this.room.checkSecret(f.secret);
    const group = optionalGroup(r, f.group, false);
    const m = this.media(r);
    let streamId = randomSafeInt() % 0xffffffff || 1;
    while (m.forwarders.some((x) => x.stream_id === streamId)) streamId = (streamId % 0xfffffffe) + 1;
    const ptype = f.ptype ?? DEFAULT_PTYPE;
    const relay = await this.relayFor(r);
    const out = await this.room.host.relays.command(relay, {
      op: 'ab.forward',
      ...this.target(r),
      streamId,
      host: f.host,
      port: f.port,
      codec: codec as AbCodec,
      payloadType: ptype & 0x7f,
      ssrc: f.ssrc ?? 0,
      alwaysOn: f.always_on ?? false,
      ...(group !== undefined ? { group } : {}),
    });
    this.stillThere(r, relay);
    const fw: AbForwarder = {
      stream_id: streamId,
      ip: out.host,
      port: f.port,
      ssrc: f.ssrc || streamId,
      codec: codec as AbCodec,
      ptype: ptype & 0x7f,
      always_on: f.always_on ?? false,
      ...(group !== undefined ? { group } : {}),
    };
    this.media(r).forwarders.push(fw);
    this.room.save();
    return {
      audiobridge: 'success',
      room: r.room,
      ...(group !== undefined ? { group } : {}),
      stream_id: streamId,
      host: out.host,
      port: f.port,
    };
  }

  /** `stop_rtp_forward`: as Janus, a success whether or not the stream existed. */
  async stopRtpForward(body: Record<string, unknown>): Promise<JanusData> {
    const s = parseJanus(M.stopRtpForwardSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(s.secret);
    const m = this.media(r);
    const known = m.forwarders.some((x) => x.stream_id === s.stream_id);
    m.forwarders = m.forwarders.filter((x) => x.stream_id !== s.stream_id);
    this.room.save();
    if (known && r.relay)
      await this.room.host.relays.command(r.relay, {
        op: 'ab.stopForward',
        ...this.media(r).key,
        mixer: mixerName(r.room),
        streamId: s.stream_id,
      });
    return { audiobridge: 'success', room: r.room, stream_id: s.stream_id };
  }

  listForwarders(body: Record<string, unknown>): JanusData {
    const { secret } = parseJanus(M.stopRtpForwardSchema.pick({ room: true, secret: true }), body, AB);
    const r = this.room.current();
    this.room.checkSecret(secret);
    return {
      audiobridge: 'forwarders',
      room: r.room,
      rtp_forwarders: (r.media?.forwarders ?? []).map((f) => ({ ...f })),
    };
  }

  /**
   * `play_file`: an Ogg Opus file on the room's relay, mixed for everyone (`announcement-started` when
   * it plays), in one of the room's groups if it has them.
   */
  async playFile(body: Record<string, unknown>): Promise<JanusData> {
    const p = parseJanus(M.playFileSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(p.secret);
    const group = requiredGroup(r, p.group);
    const m = this.media(r);
    const fileId = p.file_id ?? crypto.randomUUID();
    if (m.files.some((f) => f.file_id === fileId))
      throw abError(AudioBridgeError.ID_EXISTS, `File ID exists (${fileId})`);
    const relay = await this.relayFor(r);
    await this.room.host.relays.command(relay, {
      op: 'ab.play',
      ...this.target(r),
      fileId,
      path: p.filename,
      loop: p.loop ?? false,
      ...(group !== undefined ? { group } : {}),
    });
    this.stillThere(r, relay);
    this.media(r).files.push({ file_id: fileId, filename: p.filename, loop: p.loop ?? false, playing: false });
    this.room.save();
    return { audiobridge: 'success', room: r.room, file_id: fileId };
  }

  isPlaying(body: Record<string, unknown>): JanusData {
    const p = parseJanus(M.fileIdSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(p.secret);
    const playing = r.media?.files.some((f) => f.file_id === p.file_id && f.playing) ?? false;
    return { audiobridge: 'success', room: r.room, file_id: p.file_id, playing };
  }

  /** `stop_file`: as Janus, a success whether or not the file was playing; `announcement-stopped` if it was. */
  async stopFile(body: Record<string, unknown>): Promise<JanusData> {
    const p = parseJanus(M.fileIdSchema, body, AB);
    const r = this.room.current();
    this.room.checkSecret(p.secret);
    if (r.media?.files.some((f) => f.file_id === p.file_id) && r.relay)
      await this.room.host.relays.command(r.relay, {
        op: 'ab.stopPlay',
        ...this.media(r).key,
        mixer: mixerName(r.room),
        fileId: p.file_id,
      });
    return { audiobridge: 'success', room: r.room, file_id: p.file_id };
  }

  /** The room was destroyed: its relay closes the mixer with whatever the room had there. */
  roomGone(r: AbRoomState): void {
    if (!r.relay || !r.media) return;
    const relay = r.relay;
    this.room.host.relays
      .command(relay, { op: 'ab.room', ...this.target(r), close: true })
      .catch((err: unknown) =>
        this.room.host.log.warn('relay did not close a room', { room: r.room, error: String(err) }),
      );
    this.room.host.unwatchLink(relay.linkId, r.room);
  }

  /**
   * From the relay mixing the room: a file started or stopped, a recording closed (event handlers hear
   * of that one also when the room is gone: a destroy closes its recording, as Janus's).
   */
  relayEvent(e: Exclude<AbPeerEvent, { kind: 'ab.talking' }>): void {
    if (e.kind === 'ab.recordingDone') this.room.notifyHandlers(recordingDoneEvent(e.room, e.path));
    const r = this.room.state;
    const m = r?.media;
    if (!r || !m) return;
    if (e.kind === 'ab.recordingDone') {
      if (m.recording === e.path) m.recording = undefined;
      this.room.save();
      return;
    }
    const f = m.files.find((x) => x.file_id === e.fileId);
    if (!f) return;
    if (e.playing) f.playing = true;
    else m.files = m.files.filter((x) => x !== f);
    this.room.save();
    const event = e.playing ? 'announcement-started' : 'announcement-stopped';
    this.room.broadcast({ audiobridge: event, room: r.room, file_id: e.fileId });
    this.room.notifyHandlers(announcementEvent(r.room, e.fileId, e.playing));
  }

  /** The room's relay is lost: its recording, forwarders and files went with it. */
  relayLost(linkId: string): void {
    const r = this.room.state;
    if (!r?.media || r.relay?.linkId !== linkId || !roomMediaBusy(r)) return;
    this.room.host.log.warn('room media lost with its relay', { room: r.room, relay: r.relay.relayId });
    r.media = { ...r.media, record: false, recording: undefined, forwarders: [], files: [] };
    if (!r.participants.some((p) => p.relay?.linkId === linkId)) r.relay = undefined;
    this.room.save();
  }
}
