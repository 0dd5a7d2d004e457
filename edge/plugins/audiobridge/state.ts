import type { AbCodec, ParticipantSettings } from '../../../shared/control/audiobridge.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { JsonObject } from '../videoroom/schemas.js';
import type { AbRoomId } from './schemas.js';

/** A Janus message body, typed as JSON so that it crosses Durable Object RPC. */
export type JanusData = JsonObject;

/** A participant's handle, as the room addresses it. */
export interface HandleAddress {
  sessionId: number;
  handleId: number;
  /**
   * The handle's `opaque_id` (attach), which event handlers hear with every event naming the handle,
   * as from Janus; a participant keeps it with the room's state.
   */
  opaqueId?: string;
}

export const sameHandle = (a: HandleAddress, b: HandleAddress) =>
  a.sessionId === b.sessionId && a.handleId === b.handleId;

/** A room's settings, as `create` gave them with Janus's defaults filled in. */
export interface AbRoomOptions {
  description: string;
  secret?: string;
  pin?: string;
  is_private: boolean;
  sampling_rate: 8000 | 16000 | 24000 | 48000;
  spatial_audio: boolean;
  audiolevel_ext: boolean;
  audiolevel_event: boolean;
  audio_active_packets: number;
  audio_level_average: number;
  default_prebuffering: number;
  default_expectedloss: number;
  default_bitrate: number;
  allow_rtp_participants: boolean;
  /** Janus's forwarding groups (groups.ts): every participant and file is in one of them. */
  groups?: string[];
}

export interface AbParticipant extends HandleAddress {
  id: AbRoomId;
  display?: string;
  /** The participant's own mute (its configure, or a moderator's). */
  muted: boolean;
  codec: AbCodec;
  settings: ParticipantSettings;
  /** The relay holding its PeerConnection (or plain-RTP leg), once placed there. */
  relay?: RelayRef;
  /** Its media is negotiated with the relay (Janus's `setup`). */
  setup: boolean;
  plainRtp?: boolean;
  /** Its media carries the RFC 6464 audio level (negotiated, or a plain-RTP `audiolevel_ext`). */
  audioLevel?: boolean;
  talking?: boolean;
  /** Its own `.mjr` (Janus's `record`/`filename`, or the room's `mjrs`). */
  mjr?: { active: boolean; base?: string };
  /**
   * Bridged from another relay (edge/plugins/audiobridge/bridging.ts): the client's PeerConnection is
   * on `relay` (its region's), `relay` of the participant is the room's home, where its plain-RTP leg
   * in the mixer is keyed by this handle's session and the synthetic handle id `leg`.
   */
  bridge?: { relay: RelayRef; leg: number };
}

/** A forwarder of the room's mix (`rtp_forward`), as `listforwarders` shows it. */
export interface AbForwarder {
  stream_id: number;
  ip: string;
  port: number;
  ssrc: number;
  codec: AbCodec;
  ptype: number;
  always_on: boolean;
  /** Forwards the mix of only this group (groups.ts). */
  group?: string;
}

/** A file played into the room (`play_file`); `playing` once its relay says it started. */
export interface AbAnnouncement {
  file_id: string;
  filename: string;
  loop: boolean;
  playing: boolean;
}

/** What the room does with its mix on its relay whoever is in it: recording, forwarders, files. */
export interface AbRoomMedia {
  /** The room's own key on relays (no client's handle), as the VideoRoom's remote publishers'. */
  key: HandleAddress;
  /** Janus's `record` (create, enable_recording), and where to: */
  record: boolean;
  record_file?: string;
  record_dir?: string;
  /** The .wav being written, as its relay named it. */
  recording?: string;
  forwarders: AbForwarder[];
  files: AbAnnouncement[];
  /** Janus's `mjrs`: every participant recorded to its own .mjr, in `mjrs_dir`. */
  mjrs?: boolean;
  mjrs_dir?: string;
}

/** Whether the room's relay holds media of the room itself (which keeps the room on that relay). */
export function roomMediaBusy(r: AbRoomState): boolean {
  const m = r.media;
  return !!m && (m.recording !== undefined || m.forwarders.length > 0 || m.files.length > 0);
}

/**
 * Whether a client placed on `candidate` must be bridged to a room mixing on `home`: not when it is
 * the home relay, nor another relay of the home's region (the client's region is served by home).
 */
export function bridgeNeeded(home: RelayRef, candidate: RelayRef): boolean {
  if (home.linkId === candidate.linkId) return false;
  return !(home.region !== undefined && home.region === candidate.region);
}

/** A leg the room owns on the mixer's relay (no PeerConnection of the handle holds it): plain RTP, or a bridge's. */
export const hasLeg = (p: AbParticipant): boolean => p.plainRtp === true || p.bridge !== undefined;

/** How the mixer's relay knows the participant: its handle, or its bridge leg's synthetic handle. */
export const mixerKeyOf = (p: AbParticipant): HandleAddress => ({
  sessionId: p.sessionId,
  handleId: p.bridge?.leg ?? p.handleId,
});

export interface AbRoomState {
  room: AbRoomId;
  options: AbRoomOptions;
  permanent: boolean;
  allowed?: string[];
  /** Whether joins must present a token of `allowed` (Janus's check_tokens). */
  checkAllowed: boolean;
  /** mute_room: nobody is heard. */
  muted: boolean;
  participants: AbParticipant[];
  /** The relay mixing this room: chosen at the first media placement, dropped when no participant is there. */
  relay?: RelayRef;
  /** Recording, forwarders and files of the room (roomMedia.ts). */
  media?: AbRoomMedia;
}

/** The Durable Object name of an AudioBridge room (a string and a number id are different rooms). */
export function audioBridgeObjectName(room: AbRoomId): string {
  return `ab:${typeof room}:${room}`;
}

/** The mixer's name on the relay. */
export function mixerName(room: AbRoomId): string {
  return `ab:${typeof room}:${room}`;
}

/** A participant as Janus lists it (`joined`, `participants`, listparticipants). */
export function participantEntry(r: AbRoomState, p: AbParticipant): JanusData {
  return {
    id: p.id,
    ...(p.display !== undefined ? { display: p.display } : {}),
    setup: p.setup,
    muted: p.muted,
    // Janus lists `talking` where it can tell: participants whose audio-level extension is negotiated.
    // Our mixer also tells from the decoded audio, so a room with talking events lists every set-up one.
    ...(p.audioLevel || (p.setup && r.options.audiolevel_event) ? { talking: p.talking ?? false } : {}),
    ...(r.options.spatial_audio ? { spatial_position: p.settings.spatialPosition ?? 50 } : {}),
  };
}

/** The room's `list` entry. */
export function roomSummary(r: AbRoomState): JanusData {
  return {
    room: r.room,
    description: r.options.description,
    sampling_rate: r.options.sampling_rate,
    spatial_audio: r.options.spatial_audio,
    pin_required: r.options.pin !== undefined,
    record: r.media?.record ?? false,
    muted: r.muted,
    num_participants: r.participants.length,
  };
}
