import type { Command, TrickleCandidate } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { LogLevel } from '../logger.js';
import type { IceAddressing } from '../net/iceAddresses.js';
import type { MediaSettings } from '../peer/mediaSettings.js';
import type { RecordingSettings } from '../recording/recordingDir.js';
import type { PacketRing } from './packetRing.js';

/**
 * The messages between the relay's main thread and its relay threads (relay/threads/). Both ends are
 * the same build of the same process, and every command was validated by shared/control's zod
 * schemas before it got here, so these are plain TypeScript types, not schemas: nothing untrusted
 * crosses this boundary.
 */

/** What a relay thread needs to build its peers (the rest of the relay's configuration stays on the main thread). */
export interface ThreadConfig {
  relayId: string;
  threadIndex: number;
  logLevel: LogLevel;
  bindAddress: string;
  announcedAddress: string;
  ice: IceAddressing;
  /** This thread's own slice of the ICE port range (relay/threads/portSlices.ts). */
  icePortRange: [number, number];
  remotePortRange: [number, number];
  settings: MediaSettings;
  /** Where `peer.capture` files go (the relay's recording settings; the hook stays the main thread's). */
  recordings: Omit<RecordingSettings, 'hook'>;
  /** The packet ring this thread reads (filled in by RelayThread). */
  ring?: PacketRing;
  statsPeriodSec: number;
  iceStartTimeoutMs: number;
}

/** One stream of a publisher as a thread mirrors it (relay/threads/mirroredSource.ts). */
export interface MirroredFeed {
  /** The main thread's number for this FeedStream: packets name it. */
  feedId: number;
  mid: string;
  kind: 'audio' | 'video';
  mindex: number;
  codec: MirroredCodec | undefined;
  rids: string[];
  disabled: boolean;
  sending: boolean;
  closed: boolean;
}

/** A werift RTCRtpCodecParameters as plain data (structured clone drops its class). */
export interface MirroredCodec {
  mimeType: string;
  clockRate: number;
  channels?: number;
  payloadType: number;
  parameters?: string;
  rtcpFeedback: Array<{ type: string; parameter?: string }>;
}

export interface SourceDescription {
  key: string;
  dataMid: string | undefined;
  feeds: MirroredFeed[];
}

/** Main thread → relay thread (packets go through the thread's ring, relay/threads/packetRing.ts). */
export type ToThread =
  | { t: 'command'; id: number; cmd: Command }
  | { t: 'describe'; source: SourceDescription }
  | { t: 'data'; key: string; msg: string | Uint8Array }
  | { t: 'sourceGone'; key: string }
  | { t: 'forgetSources' }
  | { t: 'settings'; settings: Partial<MediaSettings> }
  | { t: 'closeAll'; reason: string }
  /** Test-only (behind RELAY_SECRET, /debug/threads): the thread throws, as a crash would. */
  | { t: 'crash' };

export type CommandReply =
  | { t: 'reply'; id: number; ok: true; result: Record<string, unknown>; candidates: TrickleCandidate[]; held: boolean }
  | { t: 'reply'; id: number; ok: false; code: number; reason: string; held: boolean };

/** Relay thread → main thread. */
export type FromThread =
  | { t: 'ready' }
  | CommandReply
  | { t: 'event'; sessionId: number; handleId: number; event: PeerEvent }
  | { t: 'keyframe'; feedId: number }
  | { t: 'closed' };
