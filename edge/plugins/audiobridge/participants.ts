import type {
  AbBridgeTarget,
  AbCodec,
  MixerSettings,
  ParticipantSettings,
} from '../../../shared/control/audiobridge.js';
import { randomSafeInt } from '../../core/ids.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { abError, AudioBridgeError } from './errors.js';
import { optionalGroup, requiredGroup } from './groups.js';
import { configuredEvent, joinedEvent, leftEvent, talkingEvent } from './handlerEvents.js';
import type { ParticipantRecording } from './participantRecording.js';
import type { AudioRoom } from './room.js';
import type { AbRoomId, ConfigureRequest, JoinRequest } from './schemas.js';
import {
  bridgeNeeded,
  hasLeg,
  mixerKeyOf,
  mixerName,
  participantEntry,
  roomMediaBusy,
  type AbParticipant,
  type AbRoomState,
  type HandleAddress,
  type JanusData,
} from './state.js';

/** What a participant's relay needs to put it in the room's mixer (`peer.create`, `ab.rtpJoin`, `ab.move`). */
export interface MixerPlace {
  mixer: string;
  mixerSettings: MixerSettings;
  participant: AbRoomId;
  codec: AbCodec;
  settings: ParticipantSettings;
  /** A bridged participant's PeerConnection: where its home leg is (bridging.ts). */
  bridge?: AbBridgeTarget;
}

/** Where a participant's media goes: the mixer's relay, and for a bridged one the relay of its PeerConnection. */
export interface Placement {
  relay: RelayRef;
  place: MixerPlace;
  bridge?: { relay: RelayRef; leg: number };
}

export interface Joined {
  event: JanusData;
  place: MixerPlace;
  /**
   * changeroom of a bridged participant into a room mixing on another relay: its old leg goes with the
   * old room, and this room opens a new one for its bridge ({@link AudioBridge.rebridge}).
   */
  newLeg?: boolean;
}

/**
 * How a participant arrives: a plain-RTP leg, or from another room (`relay`: where its media already
 * is, its mixer's; `bridge`: a bridged one's PeerConnection and leg, which move with it).
 */
export interface JoinOptions {
  plainRtp?: boolean;
  changeroom?: boolean;
  relay?: RelayRef;
  bridge?: { relay: RelayRef; leg: number };
}

const CODECS = ['opus', 'pcmu', 'pcma'] as const;

const sameRelay = (a: RelayRef | undefined, b: RelayRef | undefined) => !!a && !!b && a.linkId === b.linkId;

/** The participant's settings from a join or configure, with Janus's bounds and the room's defaults. */
function settingsFrom(
  r: AbRoomState,
  j: JoinRequest | ConfigureRequest,
  base: ParticipantSettings,
): ParticipantSettings {
  const o = r.options;
  const s: ParticipantSettings = { ...base };
  // Janus ignores an out-of-range bitrate, quality or prebuffer (keeps the default) and caps the rest.
  if (j.bitrate !== undefined && j.bitrate >= 500 && j.bitrate <= 510_000) s.bitrate = j.bitrate;
  if (j.quality !== undefined && j.quality >= 1 && j.quality <= 10) s.quality = j.quality;
  if (j.expected_loss !== undefined) s.expectedLoss = Math.min(j.expected_loss, 20);
  if (j.volume !== undefined) s.volume = Math.min(j.volume, 10_000);
  if (j.spatial_position !== undefined && o.spatial_audio) s.spatialPosition = Math.min(j.spatial_position, 100);
  if (j.prebuffer !== undefined && j.prebuffer <= 50) s.prebuffer = j.prebuffer;
  if (o.audiolevel_event && (j.audio_active_packets !== undefined || j.audio_level_average !== undefined))
    s.talking = {
      packets: j.audio_active_packets || s.talking?.packets || o.audio_active_packets,
      average: Math.min(j.audio_level_average || s.talking?.average || o.audio_level_average, 127),
    };
  return s;
}

/**
 * The participants of one room: joins, configure, leaves, where the room mixes (its relay), and what
 * their relays report (talking). Every end of a participant (leave, hang-up, detach, kick, destroy, a
 * lost relay) goes through {@link leave} or the room requests' removal.
 */
export class Participants {
  /** Janus's mjrs: each participant's own .mjr (participantRecording.ts). */
  recording?: ParticipantRecording;

  constructor(
    private readonly room: AudioRoom,
    /** A plain-RTP participant's or a bridge's leg is the room's to hang up (no PeerConnection of the handle holds it). */
    private readonly hangUpLeg: (p: AbParticipant) => void,
    /** The room's mixing relay is lost while these bridged participants' PeerConnections live elsewhere. */
    private readonly homeLost: (r: AbRoomState, movers: AbParticipant[]) => void = () => undefined,
  ) {
    room.onHandleMissing = (who) => void this.leave(who, 'gone');
  }

  mixerSettings(r: AbRoomState): MixerSettings {
    const o = r.options;
    return {
      room: r.room,
      samplingRate: o.sampling_rate,
      spatial: o.spatial_audio,
      audioLevelExt: o.audiolevel_ext,
      ...(o.audiolevel_event ? { talking: { packets: o.audio_active_packets, average: o.audio_level_average } } : {}),
    };
  }

  /** What the relay applies: the participant's settings with its effective mute (its own, or the room's). */
  relaySettings(r: AbRoomState, p: AbParticipant): ParticipantSettings {
    return { ...p.settings, muted: p.muted || r.muted };
  }

  place(r: AbRoomState, p: AbParticipant): MixerPlace {
    return {
      mixer: mixerName(r.room),
      mixerSettings: this.mixerSettings(r),
      participant: p.id,
      codec: p.codec,
      settings: this.relaySettings(r, p),
    };
  }

  /**
   * `join` (or the arriving half of `changeroom`): checks as Janus does, adds the participant and tells
   * the others. Nothing changes when a check fails.
   */
  join(who: HandleAddress, j: JoinRequest, opts: JoinOptions = {}): Joined {
    const r = this.room.current();
    if (opts.plainRtp && !r.options.allow_rtp_participants)
      throw abError(AudioBridgeError.UNAUTHORIZED, 'Plain RTP participants not allowed in this room');
    this.room.checkPin(j.pin);
    if (r.checkAllowed && (j.token === undefined || !(r.allowed ?? []).includes(j.token)))
      throw abError(AudioBridgeError.UNAUTHORIZED, 'Unauthorized (not in the allowed list)');
    if (j.secret !== undefined) this.room.checkSecret(j.secret);
    const group = requiredGroup(r, j.group);
    const codec = (j.codec ?? 'opus').toLowerCase();
    if (!(CODECS as readonly string[]).includes(codec))
      throw abError(AudioBridgeError.INVALID_ELEMENT, 'Invalid element (codec must opus, pcmu or pcma)');
    if (this.room.participant(who))
      throw abError(AudioBridgeError.ALREADY_JOINED, 'Already in a room (use changeroom to join another one)');
    if (j.id !== undefined && r.participants.some((p) => p.id === j.id))
      throw abError(AudioBridgeError.ID_EXISTS, `User ID ${j.id} already exists`);
    // Media elsewhere moves only as a bridge's leg (a new one in this room's mixer); a PeerConnection
    // or plain-RTP leg in another relay's mixer cannot move without renegotiating.
    const elsewhere = !!opts.relay && !!r.relay && !sameRelay(r.relay, opts.relay) && this.mixing(r);
    if (elsewhere && !opts.bridge)
      throw abError(
        AudioBridgeError.UNKNOWN_ERROR,
        'This room mixes on another relay: changeroom cannot move media between relays (leave and join instead)',
      );
    const id = j.id ?? this.freshId(r);
    const o = r.options;
    const p: AbParticipant = {
      sessionId: who.sessionId,
      handleId: who.handleId,
      ...(who.opaqueId !== undefined ? { opaqueId: who.opaqueId } : {}),
      id,
      ...(j.display !== undefined ? { display: j.display } : {}),
      muted: j.muted ?? false,
      codec: codec as AbCodec,
      settings: settingsFrom(r, j, {
        bitrate: o.default_bitrate,
        quality: 4,
        expectedLoss: o.default_expectedloss,
        volume: 100,
        prebuffer: o.default_prebuffering,
        ...(o.spatial_audio ? { spatialPosition: 50 } : {}),
        ...(group !== undefined ? { group } : {}),
      }),
      setup: false,
      ...(opts.plainRtp ? { plainRtp: true } : {}),
    };
    this.recording?.fromRequest(r, p, j);
    const others = r.participants.map((x) => participantEntry(r, x));
    r.participants.push(p);
    if (elsewhere && opts.bridge) {
      // its bridge gets a new leg in this room's mixer (rebridge), under a new key
      p.relay = r.relay;
      p.bridge = { relay: opts.bridge.relay, leg: randomSafeInt() };
      this.room.host.watchLink(r.relay!.linkId, r.room);
    } else if (opts.relay) {
      this.home(r, p, opts.relay);
      if (opts.bridge) p.bridge = { ...opts.bridge };
      if (hasLeg(p)) this.room.host.watchLink(opts.relay.linkId, r.room);
    }
    this.room.save();
    this.room.broadcast({ audiobridge: 'joined', room: r.room, participants: [participantEntry(r, p)] }, who);
    this.room.notifyHandlers(joinedEvent(r, p, opts.changeroom === true), p);
    return {
      event: { audiobridge: opts.changeroom ? 'roomchanged' : 'joined', room: r.room, id, participants: others },
      place: this.place(r, p),
      ...(elsewhere ? { newLeg: true } : {}),
    };
  }

  private freshId(r: AbRoomState): AbRoomId {
    for (;;) {
      const id = typeof r.room === 'string' ? crypto.randomUUID() : randomSafeInt();
      if (!r.participants.some((p) => p.id === id)) return id;
    }
  }

  /** Whether any participant's media, or the room's own (recording, forwarders, files), is on the room's relay. */
  private mixing(r: AbRoomState): boolean {
    return roomMediaBusy(r) || r.participants.some((p) => sameRelay(p.relay, r.relay));
  }

  /** The participant's media goes to the room's relay: `candidate` becomes it when nobody mixes there yet. */
  private home(r: AbRoomState, p: AbParticipant, candidate: RelayRef): RelayRef {
    if (!r.relay || !this.mixing(r)) r.relay = candidate;
    p.relay = r.relay;
    return r.relay;
  }

  /**
   * Where the participant's media goes (the mixer's relay: the first placement chooses it, `candidate`
   * being the usual placement for this client) and what to tell that relay.
   */
  placeMedia(who: HandleAddress, candidate: RelayRef): Placement {
    const r = this.room.current();
    const p = this.room.participantOf(who, 'configure');
    if (!p.plainRtp && r.relay && this.mixing(r) && bridgeNeeded(r.relay, candidate)) {
      // The client stays in its own region: its PeerConnection there is bridged to a leg in the mixer.
      p.relay = r.relay;
      p.bridge = { relay: candidate, leg: randomSafeInt() };
      this.room.save();
      this.room.host.watchLink(r.relay.linkId, r.room);
      return { relay: r.relay, place: this.place(r, p), bridge: p.bridge };
    }
    const relay = this.home(r, p, candidate);
    this.room.save();
    if (p.plainRtp) this.room.host.watchLink(relay.linkId, r.room);
    return { relay, place: this.place(r, p) };
  }

  /**
   * The relay answered: the participant's media is negotiated; `audioLevel`: the audio-level extension
   * was (its `talking` is listed then). The others hear of it, and its .mjr starts, once the media is
   * up ({@link setupMedia}).
   */
  mediaReady(who: HandleAddress, audioLevel: boolean): void {
    const r = this.room.state;
    const p = this.room.participant(who);
    if (!r || !p) return;
    if (audioLevel) p.audioLevel = true;
    else delete p.audioLevel;
    this.room.save();
  }

  /**
   * The participant's media is up (its PeerConnection's webrtcup; a plain-RTP leg once opened): the
   * others hear `setup: true`, as at Janus's setup_media. Once: a renegotiation sets nothing up again.
   */
  setupMedia(who: HandleAddress): void {
    const r = this.room.state;
    const p = this.room.participant(who);
    if (!r || !p?.relay || p.setup) return;
    p.setup = true;
    if (p.mjr?.active) this.recording?.apply(r, p);
    this.room.save();
    this.room.broadcast({ audiobridge: 'event', room: r.room, participants: [participantEntry(r, p)] }, who);
  }

  /** Placing the media failed: the participant stays, without media. */
  mediaFailed(who: HandleAddress): void {
    const p = this.room.participant(who);
    if (!p) return;
    const r = this.room.state;
    const relay = p.relay;
    if (p.bridge) {
      this.hangUpLeg(p);
      delete p.bridge;
    }
    p.relay = undefined;
    p.setup = false;
    this.room.save();
    if (r) this.unwatchIfUnused(r, relay);
  }

  /**
   * The participant's media is gone (hang-up, ICE failure, its relay lost): it leaves, as in Janus's
   * hangup_media. A participant that never had media stays (Janus is not told of a hang-up without a
   * PeerConnection).
   */
  mediaGone(who: HandleAddress): boolean {
    if (!this.room.participant(who)?.relay) return false;
    this.leave(who, 'gone');
    return true;
  }

  /** `configure` without media changes: the participant's settings for its relay, others hear mute/display. */
  configure(who: HandleAddress, c: ConfigureRequest): { settings: ParticipantSettings; hasMedia: boolean } {
    const r = this.room.current();
    const p = this.room.participantOf(who, 'configure');
    // first: refusals (an unknown group, a plain-RTP participant asking to be recorded) change nothing
    const group = optionalGroup(r, c.group);
    const recordingChanged = this.recording?.fromRequest(r, p, c);
    if (c.display !== undefined) p.display = c.display;
    if (c.muted !== undefined) p.muted = c.muted;
    p.settings = settingsFrom(r, c, p.settings);
    if (group !== undefined) p.settings.group = group;
    if (recordingChanged) this.recording?.apply(r, p);
    this.room.save();
    this.room.notifyHandlers(configuredEvent(r, p), p);
    if (c.display !== undefined || c.muted !== undefined)
      this.room.broadcast({ audiobridge: 'event', room: r.room, participants: [participantEntry(r, p)] }, who);
    const settings = this.relaySettings(r, p);
    if (p.bridge && p.relay) {
      // A bridged participant's voice is mixed at home, under its leg's key: the room tells that relay.
      this.room.host.relays
        .command(p.relay, { op: 'ab.configure', ...mixerKeyOf(p), settings })
        .catch((err: unknown) => this.room.host.log.warn('relay did not apply a configure', { error: String(err) }));
      return { settings, hasMedia: false };
    }
    return { settings, hasMedia: p.relay !== undefined };
  }

  /**
   * The one way a participant leaves on its own (leave, changeroom's departure — `moved` —, hang-up,
   * detach, a lost relay, a handle found gone): the others hear `leaving`. Undefined when it was not
   * in the room. `keepLeg`: its plain-RTP or bridge leg stays up (moved to another mixer there).
   */
  leave(who: HandleAddress, why: 'leave' | 'gone' | 'moved', keepLeg = why === 'moved'): JanusData | undefined {
    const r = this.room.state;
    const p = this.room.participant(who);
    if (!r || !p) {
      if (why === 'leave') throw abError(AudioBridgeError.NOT_JOINED, "Can't leave (not in a room)");
      return undefined;
    }
    r.participants = r.participants.filter((x) => x !== p);
    if (!this.mixing(r)) r.relay = undefined;
    this.room.save();
    // A participant moving to another room mixing on the same relay keeps its leg (the relay moves it
    // to the other mixer); one whose bridge gets a leg in another relay's mixer loses this one.
    if (hasLeg(p) && !keepLeg) this.hangUpLeg(p);
    this.unwatchIfUnused(r, p.relay);
    this.room.broadcast({ audiobridge: 'event', room: r.room, leaving: p.id });
    // As Janus: a leave or changeroom names the handle, a hang-up or detach (hangup_media) none.
    this.room.notifyHandlers(leftEvent(r, p), why === 'gone' ? undefined : p);
    return { audiobridge: 'left', room: r.room, id: p.id };
  }

  /** A relay no plain-RTP or bridge leg of the room uses any more is no longer watched. */
  unwatchIfUnused(r: AbRoomState, relay: RelayRef | undefined): void {
    if (relay && !r.participants.some((x) => hasLeg(x) && sameRelay(x.relay, relay)) && !roomMediaBusy(r))
      this.room.host.unwatchLink(relay.linkId, r.room);
  }

  /**
   * A relay the room watches is lost: its participants leave as on a hang-up (WebRTC ones also hear
   * their `hangup` from the core; leaving twice is a no-op). Bridged participants whose PeerConnection
   * lives on elsewhere are re-homed (bridging.ts); without any, the next placement re-homes the room.
   */
  relayLost(linkId: string): void {
    const r = this.room.state;
    if (!r) return;
    const lost = (x: RelayRef | undefined) => x?.linkId === linkId;
    for (const p of r.participants.filter((x) => lost(x.bridge?.relay))) {
      // Its PeerConnection went with the relay; its leg at home (if home lives) is hung up.
      if (lost(p.relay)) p.relay = undefined;
      this.leave(p, 'gone');
    }
    const movers = r.participants.filter((x) => x.bridge && lost(x.relay));
    for (const p of r.participants.filter((x) => lost(x.relay) && !x.bridge)) {
      // The relay is gone: nothing to hang up there.
      p.relay = undefined;
      this.leave(p, 'gone');
    }
    if (movers.length > 0) this.homeLost(r, movers);
  }

  /** A participant's relay reports it started or stopped talking: everyone hears it (the talker too), as Janus. */
  talking(participant: AbRoomId, talking: boolean): void {
    const r = this.room.state;
    const p = r?.participants.find((x) => x.id === participant);
    if (!r || !p || p.talking === talking) return;
    p.talking = talking;
    this.room.save();
    if (!r.options.audiolevel_event) return;
    this.room.broadcast({ audiobridge: talking ? 'talking' : 'stopped-talking', room: r.room, id: p.id });
    this.room.notifyHandlers(talkingEvent(r.room, p.id, talking), p);
  }
}
