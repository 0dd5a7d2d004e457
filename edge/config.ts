import { z } from 'zod';
import type { ClientLimits } from './core/clientLimits.js';
import { parseEventsMask, type EventDeliverySettings } from './events/eventMask.js';
import type { VideoRoomLimits } from './plugins/videoroom/limits.js';
import { parseStaticRooms, type StaticRooms } from './plugins/videoroom/staticRoomConfig.js';
import defaultVideoRoomRooms from '../config/videoroom.rooms.json';
import { parseAbStaticRooms, type AbStaticRooms } from './plugins/audiobridge/staticRoomConfig.js';
import defaultAudioBridgeRooms from '../config/audiobridge.rooms.json';
import { parseStaticMountpoints, type StaticMountpoints } from './plugins/streaming/staticMountpointConfig.js';
import defaultStreamingMountpoints from '../config/streaming.mountpoints.json';
import { parseTurnConfig, type TurnConfig } from './turn/turnConfig.js';

const intFromString = (def: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? def : Number(v)))
    .pipe(z.number().int());
const boolFromString = z
  .string()
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** Static configuration of the edge, the equivalent of janus.jcfg. Validated once per isolate. */
const configSchema = z.object({
  SESSION_TIMEOUT: intFromString(60).pipe(z.number().min(0)),
  RECLAIM_SESSION_TIMEOUT: intFromString(0).pipe(z.number().min(0)),
  CANDIDATES_TIMEOUT: intFromString(45),
  ADMIN_SECRET: z
    .string()
    .optional()
    .transform((v) => v ?? 'janusoverlord'),
  API_SECRET: optionalString,
  TOKEN_AUTH: boolFromString,
  TOKEN_AUTH_SECRET: optionalString,
  EVENTS_URL: optionalString,
  /** The sample event handler's `events`: "all", "none" or a list (sessions,handles,jsep,…). */
  EVENTS_MASK: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const mask = parseEventsMask(v === undefined || v === '' ? 'all' : v);
      if (mask === undefined) ctx.addIssue({ code: 'custom', message: `invalid EVENTS_MASK '${v ?? ''}'` });
      return mask ?? 0;
    }),
  /** The sample event handler's `grouping`: several events per POST (JSON array), else one object per POST. */
  EVENTS_GROUPING: z
    .string()
    .optional()
    .transform((v) => v === undefined || v === '' || v === 'true' || v === '1' || v === 'yes'),
  SERVER_NAME: z
    .string()
    .optional()
    .transform((v) => v || 'janus-edge'),
  SHARD_COUNT: intFromString(16).pipe(z.number().min(1).max(1024)),
  /** Sessions and WebSockets a shard takes before new ones go on to the next shard (edge/core/shardFill.ts). */
  SHARD_FILL: intFromString(256).pipe(z.number().min(1)),
  /** Largest accepted request body; larger ones get 450 and change nothing. */
  MAX_BODY_BYTES: intFromString(256 * 1024).pipe(z.number().min(1024)),
  /** Seconds between core `status: update` events (Janus: 15). */
  STATUS_PERIOD: intFromString(15).pipe(z.number().min(1)),
  TEST_PLUGINS: boolFromString,
  /** VideoRoom `string_ids`: room and participant ids are strings instead of integers. */
  VIDEOROOM_STRING_IDS: boolFromString,
  /** VideoRoom `admin_key`: when set, `create` needs it (429/433), as in janus.plugin.videoroom.jcfg. */
  VIDEOROOM_ADMIN_KEY: optionalString,
  /** AudioBridge `string_ids`: room and participant ids are strings instead of integers. */
  AUDIOBRIDGE_STRING_IDS: boolFromString,
  /** AudioBridge `admin_key`: when set, `create` needs it (483/489), as in janus.plugin.audiobridge.jcfg. */
  AUDIOBRIDGE_ADMIN_KEY: optionalString,
  /** Streaming `admin_key`: when set, `create` needs it (453/457), as in janus.plugin.streaming.jcfg. */
  STREAMING_ADMIN_KEY: optionalString,
  /** Streaming mountpoints from configuration as JSON (an array of `create` bodies); unset: config/streaming.mountpoints.json. */
  STREAMING_MOUNTPOINTS: optionalString,
  /** With an admin key, remote publishers and RTP forwarders (and their stop/remove) need it too. */
  VIDEOROOM_LOCK_RTP_FORWARD: z
    .string()
    .optional()
    .transform((v) => v === undefined || v === '' || v === 'true' || v === '1' || v === 'yes'),
  /** Remote publishers one room may hold (each takes two relay ports); 0 = no limit. */
  VIDEOROOM_MAX_REMOTE_PUBLISHERS: intFromString(16).pipe(z.number().min(0)),
  /** Remote publishers one session may have added, over every room; 0 = no limit. */
  VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_SESSION: intFromString(16).pipe(z.number().min(0)),
  /** Remote publishers the sessions of one client address may have added (theirs outlive them); 0 = no limit. */
  VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_ADDRESS: intFromString(64).pipe(z.number().min(0)),
  /** VideoRoom static rooms as JSON (an array of `create` bodies); unset: config/videoroom.rooms.json. */
  VIDEOROOM_ROOMS: optionalString,
  /** AudioBridge static rooms as JSON (an array of `create` bodies); unset: config/audiobridge.rooms.json. */
  AUDIOBRIDGE_ROOMS: optionalString,
  /**
   * The folder recordings must stay in (the relays' RELAY_RECORDINGS_ROOT, which they enforce): a
   * VideoRoom `rec_dir` or absolute `filename` outside it is refused with 430 at once. Unset: no check here.
   */
  RECORDINGS_ROOT: optionalString.refine((v) => v === undefined || v.startsWith('/'), 'an absolute path'),
  /** PeerConnections one session may hold at once; 0 = no limit. */
  MAX_PEERS_PER_SESSION: intFromString(64).pipe(z.number().min(0)),
  /** PeerConnections all sessions of one client address may hold at once; 0 = no limit. */
  MAX_PEERS_PER_ADDRESS: intFromString(100).pipe(z.number().min(0)),
  /** Offers a session may send per second (token bucket refill); 0 = no limit. */
  OFFERS_PER_SECOND_PER_SESSION: intFromString(5).pipe(z.number().min(0)),
  /** Offers a session may send in a burst (the bucket's size). */
  OFFER_BURST_PER_SESSION: intFromString(10).pipe(z.number().min(1)),
  /** Offers all sessions of one client address may send per second; 0 = no limit. */
  OFFERS_PER_SECOND_PER_ADDRESS: intFromString(20).pipe(z.number().min(0)),
  /** Offers one client address may send in a burst. */
  OFFER_BURST_PER_ADDRESS: intFromString(40).pipe(z.number().min(1)),
  RELAY_SECRET: optionalString,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional().default('info'),
});

export type EdgeConfig = {
  sessionTimeout: number;
  reclaimSessionTimeout: number;
  candidatesTimeout: number;
  adminSecret: string;
  apiSecret?: string;
  tokenAuth: boolean;
  tokenAuthSecret?: string;
  eventsUrl?: string;
  /** Which events reach the webhook, and how they are grouped (EVENTS_MASK, EVENTS_GROUPING). */
  eventDelivery: EventDeliverySettings;
  serverName: string;
  shardCount: number;
  shardFill: number;
  maxBodyBytes: number;
  statusPeriod: number;
  testPlugins: boolean;
  videoroomStringIds: boolean;
  audiobridgeStringIds: boolean;
  audiobridgeAdminKey?: string;
  /** Rooms created on first use, as Janus's `room-<id>` sections of janus.plugin.videoroom.jcfg. */
  videoroomRooms: StaticRooms;
  /** Rooms created on first use, as Janus's `room-<id>` sections of janus.plugin.audiobridge.jcfg. */
  audiobridgeRooms: AbStaticRooms;
  streamingAdminKey?: string;
  /** Mountpoints created when the Streaming plugin is first used, as Janus's mountpoint sections of janus.plugin.streaming.jcfg. */
  streamingMountpoints: StaticMountpoints;
  relaySecret?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  videoroom: VideoRoomLimits;
  limits: ClientLimits;
  /** `GET /turn-credentials` (edge/turn/turnConfig.ts): TURN_URLS, TURN_REST_SECRET or CLOUDFLARE_TURN_*, TURN_TTL, limits. */
  turn: TurnConfig;
};

const cache = new WeakMap<object, EdgeConfig>();

export function loadConfig(env: EnvVars): EdgeConfig {
  const hit = cache.get(env);
  if (hit) return hit;
  const c = configSchema.parse(env);
  const config: EdgeConfig = {
    sessionTimeout: c.SESSION_TIMEOUT,
    reclaimSessionTimeout: c.RECLAIM_SESSION_TIMEOUT,
    candidatesTimeout: c.CANDIDATES_TIMEOUT,
    adminSecret: c.ADMIN_SECRET,
    apiSecret: c.API_SECRET,
    tokenAuth: c.TOKEN_AUTH || c.TOKEN_AUTH_SECRET !== undefined,
    tokenAuthSecret: c.TOKEN_AUTH_SECRET,
    eventsUrl: c.EVENTS_URL,
    eventDelivery: { mask: c.EVENTS_MASK, grouping: c.EVENTS_GROUPING },
    serverName: c.SERVER_NAME,
    shardCount: c.SHARD_COUNT,
    shardFill: c.SHARD_FILL,
    maxBodyBytes: c.MAX_BODY_BYTES,
    statusPeriod: c.STATUS_PERIOD,
    testPlugins: c.TEST_PLUGINS,
    videoroomStringIds: c.VIDEOROOM_STRING_IDS,
    audiobridgeStringIds: c.AUDIOBRIDGE_STRING_IDS,
    audiobridgeAdminKey: c.AUDIOBRIDGE_ADMIN_KEY,
    videoroomRooms: parseStaticRooms(
      c.VIDEOROOM_ROOMS === undefined ? defaultVideoRoomRooms : parseJson('VIDEOROOM_ROOMS', c.VIDEOROOM_ROOMS),
      c.VIDEOROOM_STRING_IDS,
    ),
    audiobridgeRooms: parseAbStaticRooms(
      c.AUDIOBRIDGE_ROOMS === undefined ? defaultAudioBridgeRooms : parseJson('AUDIOBRIDGE_ROOMS', c.AUDIOBRIDGE_ROOMS),
      c.AUDIOBRIDGE_STRING_IDS,
    ),
    streamingAdminKey: c.STREAMING_ADMIN_KEY,
    streamingMountpoints: parseStaticMountpoints(
      c.STREAMING_MOUNTPOINTS === undefined
        ? defaultStreamingMountpoints
        : parseJson('STREAMING_MOUNTPOINTS', c.STREAMING_MOUNTPOINTS),
    ),
    relaySecret: c.RELAY_SECRET,
    logLevel: c.LOG_LEVEL,
    videoroom: {
      adminKey: c.VIDEOROOM_ADMIN_KEY,
      lockRtpForward: c.VIDEOROOM_LOCK_RTP_FORWARD,
      maxRemotePublishers: c.VIDEOROOM_MAX_REMOTE_PUBLISHERS,
      maxRemotePublishersPerSession: c.VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_SESSION,
      maxRemotePublishersPerAddress: c.VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_ADDRESS,
      recordingsRoot: c.RECORDINGS_ROOT,
    },
    limits: {
      peersPerSession: c.MAX_PEERS_PER_SESSION,
      peersPerAddress: c.MAX_PEERS_PER_ADDRESS,
      sessionOffers: { perSecond: c.OFFERS_PER_SECOND_PER_SESSION, burst: c.OFFER_BURST_PER_SESSION },
      addressOffers: { perSecond: c.OFFERS_PER_SECOND_PER_ADDRESS, burst: c.OFFER_BURST_PER_ADDRESS },
    },
    turn: parseTurnConfig(env),
  };
  cache.set(env, config);
  return config;
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${name} is not valid JSON: ${String(err)}`, { cause: err });
  }
}

/** The Worker's vars and secrets, as `loadConfig` reads them. */
export interface EnvVars {
  /** Shared secret of the edge⇄relay control plane; without it no relay can connect. */
  RELAY_SECRET?: string;
  SESSION_TIMEOUT?: string;
  RECLAIM_SESSION_TIMEOUT?: string;
  CANDIDATES_TIMEOUT?: string;
  ADMIN_SECRET?: string;
  API_SECRET?: string;
  TOKEN_AUTH?: string;
  TOKEN_AUTH_SECRET?: string;
  EVENTS_URL?: string;
  EVENTS_MASK?: string;
  EVENTS_GROUPING?: string;
  SERVER_NAME?: string;
  SHARD_COUNT?: string;
  SHARD_FILL?: string;
  MAX_BODY_BYTES?: string;
  STATUS_PERIOD?: string;
  TEST_PLUGINS?: string;
  VIDEOROOM_STRING_IDS?: string;
  VIDEOROOM_ADMIN_KEY?: string;
  AUDIOBRIDGE_STRING_IDS?: string;
  AUDIOBRIDGE_ADMIN_KEY?: string;
  VIDEOROOM_LOCK_RTP_FORWARD?: string;
  VIDEOROOM_MAX_REMOTE_PUBLISHERS?: string;
  VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_SESSION?: string;
  VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_ADDRESS?: string;
  VIDEOROOM_ROOMS?: string;
  STREAMING_ADMIN_KEY?: string;
  STREAMING_MOUNTPOINTS?: string;
  RECORDINGS_ROOT?: string;
  MAX_PEERS_PER_SESSION?: string;
  MAX_PEERS_PER_ADDRESS?: string;
  OFFERS_PER_SECOND_PER_SESSION?: string;
  OFFER_BURST_PER_SESSION?: string;
  OFFERS_PER_SECOND_PER_ADDRESS?: string;
  OFFER_BURST_PER_ADDRESS?: string;
  LOG_LEVEL?: string;
  /** TURN for clients (edge/turn/turnConfig.ts); the secrets are Worker secrets. */
  TURN_URLS?: string;
  TURN_REST_SECRET?: string;
  CLOUDFLARE_TURN_KEY_ID?: string;
  CLOUDFLARE_TURN_API_TOKEN?: string;
  CLOUDFLARE_TURN_API_URL?: string;
  TURN_TTL?: string;
  TURN_REQUESTS_PER_MINUTE?: string;
  TURN_REQUEST_BURST?: string;
}
