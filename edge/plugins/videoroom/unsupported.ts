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

/** 430 for the first room option that asks for something the gateway does not do. */
export function refuseUnsupportedRoomOptions(options: Record<string, unknown>): void {
  for (const { name, value, reason } of refusedRoomOptions)
    if (options[name] === value) throw unsupported(name, reason);
}

const unsupported = (name: string, reason: string) =>
  vrError(VideoRoomError.INVALID_ELEMENT, `Invalid element (${name}: ${reason})`);
