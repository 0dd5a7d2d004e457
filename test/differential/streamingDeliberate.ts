/**
 * The accepted differences of the Streaming differential cases (spread into deliberate.ts's list),
 * each with its reason.
 */
import { STREAMING_RECORDING, STREAMING_SYNC, STREAMING_WATCH } from './streamingCases.js';
import { STREAMING_KINDS } from './streamingKindsCases.js';
import { STREAMING_SVC } from './streamingSvcCases.js';

/** An entry of deliberate.ts's `Allowed` (declared here: deliberate.ts imports this file). */
interface StreamingAllowed {
  case: string;
  step: string;
  paths: string[];
  reason: string;
}

export const STREAMING_ALLOWED: StreamingAllowed[] = [
  ...[
    [STREAMING_SYNC, 'create'],
    [STREAMING_SYNC, 'create: private, with a pin'],
    [STREAMING_WATCH, 'create'],
    [STREAMING_WATCH, 'create another'],
    [STREAMING_RECORDING, 'create'],
    [STREAMING_KINDS, 'create: H.264 with fmtp'],
    [STREAMING_KINDS, 'create: SRTP'],
    [STREAMING_KINDS, 'create: data'],
    [STREAMING_KINDS, 'create: simulcast'],
    [STREAMING_KINDS, 'create: two data streams'],
    [STREAMING_SVC, 'create: svc'],
  ].map(([c, step]) => ({
    case: c!,
    step: step!,
    paths: ['reply.data.stream.host'],
    reason:
      "create's answer names the relay address senders send RTP to (`host`): with relays in several regions the caller cannot know which one it got (the VideoRoom's add_remote_publisher answers `ip` for the same reason); an extra key.",
  })),
  {
    case: STREAMING_WATCH,
    step: 'start',
    paths: ['order'],
    reason:
      "`started` (the plugin's setup_media event) reaches the client after `webrtcup` with us, before it with Janus 1.1.2: our core tells the plugin the PeerConnection is up once it has sent webrtcup (edge/core), the same order for every plugin; both messages and their shapes are compared.",
  },
];
