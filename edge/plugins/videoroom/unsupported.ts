import { VideoRoomError, vrError } from './errors.js';
import type { RoomOptions } from './schemas.js';

/**
 * Room options Janus honours that this gateway cannot (yet), with the one value that asks for them.
 * A request carrying that value is refused with 430 and changes nothing: an option is never
 * accepted and then ignored. The header-extension flags default to false here (the relay negotiates
 * only mid, rid, repaired-rid and audio-level), so `list` reports what is real.
 */
const refusedRoomOptions: ReadonlyArray<{ name: keyof RoomOptions; value: unknown; reason: string }> = [
  { name: 'require_e2ee', value: true, reason: 'end-to-end encrypted rooms are not supported' },
  { name: 'dummy_publisher', value: true, reason: 'dummy publishers are not supported' },
  {
    name: 'videoorient_ext',
    value: true,
    reason: 'the relay does not negotiate the video-orientation extension',
  },
  { name: 'playoutdelay_ext', value: true, reason: 'the relay does not negotiate the playout-delay extension' },
  {
    name: 'transport_wide_cc_ext',
    value: true,
    reason: 'the relay does not negotiate the transport-wide-cc extension',
  },
];

/** Room options refused whatever their value: the relay cannot honour any. */
const refusedWhenSet: ReadonlyArray<{ name: keyof RoomOptions; reason: string }> = [
  { name: 'vp9_profile', reason: "the relay does not choose a VP9 profile (it takes the offer's)" },
  { name: 'h264_profile', reason: "the relay does not choose an H.264 profile (it takes the offer's)" },
];

/** 430 for the first room option that asks for something the gateway does not do. */
export function refuseUnsupportedRoomOptions(options: Record<string, unknown>): void {
  for (const { name, value, reason } of refusedRoomOptions)
    if (options[name] === value) throw unsupported(name, reason);
  for (const { name, reason } of refusedWhenSet)
    if (options[name] !== undefined && options[name] !== '') throw unsupported(name, reason);
}

const unsupported = (name: string, reason: string) =>
  vrError(VideoRoomError.INVALID_ELEMENT, `Invalid element (${name}: ${reason})`);
