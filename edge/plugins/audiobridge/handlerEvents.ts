import type { AbRoomId } from './schemas.js';
import type { AbParticipant, AbRoomState, JanusData } from './state.js';

/*
 * What Janus's AudioBridge tells event handlers (notify_event, type 64), shaped as Janus 1.1.2 builds
 * them. A `display` Janus has none of is absent (jansson drops a NULL string), not null.
 */

const display = (p: AbParticipant): JanusData => (p.display !== undefined ? { display: p.display } : {});

const spatial = (r: AbRoomState, p: AbParticipant): JanusData =>
  r.options.spatial_audio ? { spatial_position: p.settings.spatialPosition ?? 50 } : {};

/** A room-level request done: `created`, `edited`, `destroyed`, `mute_room`, `unmute_room`. */
export const roomEvent = (event: string, room: AbRoomId): JanusData => ({ event, room });

/** A moderator acted on one participant: `mute`, `unmute`, `kicked`, `kicked_all`. */
export const moderationEvent = (event: string, room: AbRoomId, id: AbRoomId): JanusData => ({ event, room, id });

/** `join` (with `setup`) or the arriving half of `changeroom` (without: Janus leaves it out there). */
export function joinedEvent(r: AbRoomState, p: AbParticipant, changeroom: boolean): JanusData {
  return {
    event: 'joined',
    room: r.room,
    id: p.id,
    ...display(p),
    ...(changeroom ? {} : { setup: p.setup }),
    muted: p.muted,
    ...spatial(r, p),
  };
}

/** `configure`: the participant's settings after it. */
export function configuredEvent(r: AbRoomState, p: AbParticipant): JanusData {
  return {
    event: 'configured',
    room: r.room,
    id: p.id,
    ...display(p),
    muted: p.muted,
    ...(p.settings.bitrate ? { bitrate: p.settings.bitrate } : {}),
    quality: p.settings.quality ?? 4,
    ...spatial(r, p),
  };
}

/** Any departure: `leave`, changeroom's, a hang-up, a detach, a kick. */
export const leftEvent = (r: AbRoomState, p: AbParticipant): JanusData => ({
  event: 'left',
  room: r.room,
  id: p.id,
  ...display(p),
});

/** The mixer's voice detection: the key is `audiobridge`, not `event`, in Janus too. */
export const talkingEvent = (room: AbRoomId, id: AbRoomId, talking: boolean): JanusData => ({
  audiobridge: talking ? 'talking' : 'stopped-talking',
  room,
  id,
});

/** A file played into the room started or stopped. */
export const announcementEvent = (room: AbRoomId, fileId: string, playing: boolean): JanusData => ({
  event: playing ? 'announcement-started' : 'announcement-stopped',
  room,
  file_id: fileId,
});

/**
 * The room's mix recording closed: Janus's `recordingdone` (janus_audiobridge_recorder_close of the
 * room), only the room and the file, naming no handle. A participant's own .mjr is reported otherwise
 * (recordingEvents.ts), since Janus tells nothing of those.
 */
export const recordingDoneEvent = (room: AbRoomId, recordFile: string): JanusData => ({
  event: 'recordingdone',
  room,
  record_file: recordFile,
});
