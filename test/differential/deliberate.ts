/**
 * Every known difference between our edge and reference Janus 1.1.2 that the differential tests
 * accept, in one place, each with its reason. An entry drops the listed paths (or, with no paths,
 * the whole step) from both sides before comparing. Entries marked `todo` are differences we mean to
 * remove (a bug of ours, listed so the suite stays honest while someone fixes it); the others are
 * deliberate.
 */
import { getPath } from './harness.js';
import { STREAMING_ALLOWED } from './streamingDeliberate.js';

type Message = Record<string, unknown>;

const MEDIA = 'videoroom with PeerConnections: publish, subscribe, start, pause, configure, switch, update, leave';
const TOKENS = 'token auth: add, list, allow, disallow and remove tokens; the Janus API obeys them';
const REMOTE = 'videoroom remote publishers: add/update/remove_remote_publisher, publish_remotely, list_remotes';
const FORMATS = 'videoroom stream formats: opus fec, h264_profile and vp9_profile (room profiles, browser offers)';

export interface Allowed {
  case: string;
  step: string;
  /** Paths inside the step's comparable view, e.g. 'reply.status.log_rotate_sig'. */
  paths?: string[];
  /** Skip the documented-outcome check of this step on the reference side only. */
  referenceExpectation?: boolean;
  /** Messages only ours sends in this step: removed from our side's events, extras and order. */
  oursOnly?: (m: Message) => boolean;
  /** Messages only the reference sends in this step: removed from its events, extras and order. */
  referenceOnly?: (m: Message) => boolean;
  /** A difference still to fix (ours is wrong), not a deliberate one. */
  todo?: true;
  reason: string;
}

export const ALLOWED: Allowed[] = [
  ...STREAMING_ALLOWED,
  {
    case: 'info and ping (HTTP GET/POST, WS)',
    step: 'GET /ping',
    referenceExpectation: true,
    reason:
      'GET /janus/ping → pong is documented for current Janus (janus-api.md §1.2); 1.1.2 has no such endpoint and answers 404 (it takes "ping" for a session id). We implement the documented endpoint.',
  },
  ...['GET /info', 'POST info', 'WS info'].map((step) => ({
    case: 'info and ping (HTTP GET/POST, WS)',
    step,
    paths: ['reply.log-path'],
    reason:
      'server_info has log-path only when Janus logs to a file; the reference is started with -L (log-to-file true), our edge logs to stdout (log-to-file false).',
  })),
  {
    case: 'admin: global requests',
    step: 'admin info',
    paths: ['reply.log-path'],
    reason: 'as for info: log-path only exists when logging to a file.',
  },
  {
    case: 'admin: global requests',
    step: 'get_status',
    paths: ['reply.status.libnice_debug', 'reply.status.accepting_new_sessions'],
    reason:
      'get_status: libnice_debug is 1.1.2-only (current Janus, janus-api.md §3, lists no such key and we have no libnice); accepting_new_sessions is our documented extension (an extra key).',
  },
  {
    case: 'admin: handle_info keys of info (no PeerConnection)',
    step: 'handle_info: keys of info',
    paths: ['reply.relay', 'reply.webrtc'],
    reason:
      'relay and webrtc are our extensions to handle_info (which media relay holds the PeerConnection); extra keys only.',
  },
  {
    case: 'echotest with an offer: answer, trickle, webrtcup, hangup, a new offer, detach',
    step: 'detach with a PeerConnection',
    oursOnly: (m) => m.janus === 'hangup',
    reason:
      'Detaching a handle with a PeerConnection: we send `hangup` (reason "Detach") before `detached`, as current Janus documents ("Detach" is a known hangup reason, janus-api.md §2.4); 1.1.2 destroys the handle without it.',
  },

  // VideoRoom with PeerConnections (videoroomMediaCases.ts).
  {
    case: MEDIA,
    step: 'rtp_forward',
    paths: ['reply.data.forwarders.*.ssrc', 'reply.data.forwarders.*.pt', 'reply.data.forwarders.*.srtp'],
    reason:
      'Our forwarders report the SSRC and payload type they send with (the relay always picks them) and `srtp`, as janus-api.md §5.6 documents the response; 1.1.2 lists only what the request set.',
  },
  {
    case: MEDIA,
    step: 'listforwarders (one)',
    paths: [
      'reply.data.publishers.*.forwarders.*.ssrc',
      'reply.data.publishers.*.forwarders.*.pt',
      'reply.data.publishers.*.forwarders.*.srtp',
    ],
    reason: 'as for rtp_forward: ssrc, pt and srtp of each forwarder are reported.',
  },
  {
    case: MEDIA,
    step: 'alice hears unpublished again (reference)',
    referenceOnly: (m) => getPath(m, 'plugindata.data.unpublished') !== undefined,
    reason:
      'Janus 1.1.2 broadcasts `unpublished` twice for one unpublish (on the request, and again from hangup_media when the PeerConnection closes); we send it once.',
  },
  {
    case: MEDIA,
    step: 'publisher leave',
    oursOnly: (m) => typeof getPath(m, 'plugindata.data.unpublished') === 'number',
    paths: ['on.q.*.plugindata.data.display'],
    reason:
      'A publishing participant that leaves: the others get `unpublished` and then `leaving` with its `display`, as janus-api.md §5.3 documents (current Janus); 1.1.2 sends only `leaving`, without display.',
  },
  {
    case: MEDIA,
    step: 'publisher leave',
    oursOnly: (m) => m.janus === 'hangup',
    reason:
      'A publisher that leaves has nowhere left to publish, so we close its PeerConnection (`hangup`); Janus 1.1.2 keeps it open until the handle goes away.',
  },
  {
    case: FORMATS,
    step: 'add_remote_publisher (formats given and the room profile)',
    paths: ['reply.data.ip'],
    reason: 'as for add_remote_publisher in the remote publishers case: the answer names the relay address.',
  },
  {
    case: FORMATS,
    step: 'update_remote_publisher (a stream with a profile of its own)',
    reason:
      'Janus 1.1.2 declares h264_profile / vp9_profile of a remote stream as booleans (remote_publisher_stream_parameters) and so refuses the profile strings its own documentation asks for (430); current Janus declares them strings and keeps them, as we do (test/unit/videoroom/streamFormats.test.ts checks ours).',
  },
  {
    case: REMOTE,
    step: 'add_remote_publisher',
    paths: ['reply.data.ip'],
    reason:
      'The ports of a remote publisher are on a media relay, not on the signalling host, so the answer names its address (`ip`, an extra key).',
  },
  {
    case: REMOTE,
    step: 'list_remotes',
    reason:
      'janus-api.md §5.2 notes that the documentation names the request `list_remotes` while 1.1.2 only matches `listremotes` (423 otherwise); we accept both (the `listremotes` step is compared as is).',
  },

  {
    case: MEDIA,
    step: 'kick bob (publishing)',
    oursOnly: (m) => typeof getPath(m, 'plugindata.data.unpublished') === 'number',
    reason:
      'A publishing participant that is kicked: the others also get `unpublished`, as when it leaves (janus-api.md §5.3); 1.1.2 sends only `kicked`.',
  },
  // Token auth (tokenCases.ts, a second pair started with token_auth).
  {
    case: TOKENS,
    step: 'get_status (token_auth on)',
    paths: ['reply.status.libnice_debug', 'reply.status.accepting_new_sessions'],
    reason: 'as for get_status in "admin: global requests".',
  },
  {
    case: TOKENS,
    step: 'add_token with an unknown plugin',
    reason:
      'add_token naming a plugin that does not exist: Janus 1.1.2 skips it and answers success with what is left (here no plugins); we refuse the request with 460 and store nothing, as bad input must change nothing.',
  },
  {
    case: TOKENS,
    step: 'remove_token unknown',
    paths: ['reply.error.code'],
    reason:
      'remove_token of an unknown token: we answer 470 (JANUS_ERROR_TOKEN_NOT_FOUND, what Janus answers for an unknown token in allow_token/disallow_token); 1.1.2 answers a generic 490 "Error removing token".',
  },
  {
    case: 'audiobridge: join with an offer, webrtcup, configure, leave and hangup',
    step: 'leave with media',
    oursOnly: (m) => m.janus === 'hangup',
    reason:
      "AudioBridge `leave`: Janus 1.1.2 keeps the PeerConnection of a participant that left (it carries nothing until a new join); ours is a participant of the room's mixer on the relay, so leaving closes it (the client hears `hangup` after `left`) and a new join negotiates afresh.",
  },
];

/**
 * Keys we add to Janus's objects, wherever they appear: dropped from both sides' shapes of every
 * step. Clients ignore extra keys; each is an addition, never a change.
 */
export const EXTENSION_KEYS: ReadonlyArray<{ key: string; within: string; reason: string }> = [
  {
    key: 'relay',
    within: 'publisher entries (objects with an id and a display or streams)',
    reason:
      'a publisher entry names the relay its media flows through (and `region`), while it publishes on one of ours; the demo page shows it on each tile.',
  },
  {
    key: 'region',
    within: 'publisher entries',
    reason: 'the region of that relay, as for `relay`.',
  },
];

/** Removes the extension keys from every publisher-entry-like object of a shape. */
export function dropExtensionKeys(v: unknown): void {
  if (!v || typeof v !== 'object') return;
  if (Array.isArray(v)) return v.forEach(dropExtensionKeys);
  const o = v as Record<string, unknown>;
  if ('id' in o && ('display' in o || 'streams' in o)) for (const e of EXTENSION_KEYS) delete o[e.key];
  for (const x of Object.values(o)) dropExtensionKeys(x);
}

/** The entries that apply to one step of one case. */
export function allowedFor(caseName: string, step: string): Allowed[] {
  return ALLOWED.filter((a) => a.case === caseName && a.step === step);
}
