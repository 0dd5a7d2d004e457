import { accessSync, constants, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { defaultLogLevel, logLevels, type LogLevel } from './logger.js';
import {
  DEFAULT_HOOK_CONCURRENCY,
  DEFAULT_HOOK_QUEUE_LIMIT,
  HOOK_SHUTDOWN_GRACE_MS,
  type RecordingHookSettings,
} from './recording/hook.js';
import type { RecordingSettings } from './recording/recordingDir.js';

const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
const ipv4 = z.string().refine((v) => isIP(v) === 4, 'must be an IPv4 address');
const absolutePath = z.string().refine((v) => isAbsolute(v), 'must be an absolute path');

/** An executable file, so that a typo fails the start rather than every recording's hook. */
function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function within(dir: string, root: string): boolean {
  const rel = relative(resolve(root), resolve(dir));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The relay's environment (all validated; unknown variables are ignored). */
export const envSchema = z
  .object({
    RELAY_ID: z.string().min(1).max(128).default(`relay-${hostname()}`),
    RELAY_REGION: z.string().min(1).max(64).default('local'),
    /** The IP put in ICE candidates (NAT 1:1 mapping). */
    RELAY_ANNOUNCED_ADDRESS: ipv4.default('127.0.0.1'),
    /** The IP the ICE and media sockets bind to (public in production). */
    RELAY_BIND_ADDRESS: ipv4.default('127.0.0.1'),
    /** The IP the HTTP server (/health, /metrics, /debug) binds to: loopback unless an operator opens it. */
    RELAY_HTTP_BIND_ADDRESS: z
      .string()
      .refine((v) => isIP(v) !== 0, 'must be an IP address')
      .default('127.0.0.1'),
    /**
     * The ICE port range: 10,000 ports by default (a peer takes one port when bundled, one per m-line when
     * not), above the media range below and under Linux's ephemeral ports (32768+), so no outgoing
     * connection of the host takes them.
     */
    RELAY_ICE_PORT_MIN: port(20000).pipe(z.number().min(1024)),
    RELAY_ICE_PORT_MAX: port(29999).pipe(z.number().min(1025)),
    /** The media port range: remote publishers (2 each, RTP + RTCP) and RTP forwarders (rtp_forward, publish_remotely, cascades: one per publisher plus one per RTCP port). */
    RELAY_REMOTE_PORT_MIN: port(10000).pipe(z.number().min(1024)),
    RELAY_REMOTE_PORT_MAX: port(19999).pipe(z.number().min(1025)),
    RELAY_SECRET: z.string().min(8, 'RELAY_SECRET must be at least 8 characters'),
    EDGE_URL: z
      .string()
      .url()
      .refine((u) => /^(wss?|https?):\/\//.test(u), 'EDGE_URL must be ws(s):// or http(s)://'),
    RELAY_HTTP_PORT: port(0),
    /** Max concurrent PeerConnections (also bounded by the ICE port range). */
    RELAY_CAPACITY: z.coerce.number().int().positive().max(100_000).default(500),
    /** Seconds between `stats` events per peer (Janus stats_period); 0 = off. */
    RELAY_STATS_PERIOD: z.coerce.number().int().nonnegative().max(3600).default(1),
    /** Seconds without packets before `media` receiving=false (Janus no_media_timer). */
    RELAY_NO_MEDIA_TIMER: z.coerce.number().positive().max(60).default(1),
    /** Seconds a negotiated PeerConnection may wait for the client's first ICE connectivity check before it is hung up. */
    RELAY_ICE_START_TIMEOUT: z.coerce.number().positive().max(3600).default(30),
    /** Where `peer.record` writes when the edge names no directory (default: RELAY_RECORDINGS_ROOT, else <tmpdir>/janus-recordings). */
    RELAY_RECORDINGS_DIR: absolutePath.optional(),
    /** When set, recordings may only go inside this directory (a `dir` outside it is refused). */
    RELAY_RECORDINGS_ROOT: absolutePath.optional(),
    /** Per recording file: how much may wait to be written before packets are dropped (KiB). */
    RELAY_RECORDING_QUEUE_KB: z.coerce.number().int().min(64).max(1_048_576).default(8192),
    /** Run (no shell) with the path of every recording file that closed complete, facts in RECORDING_* variables. */
    RELAY_RECORDING_HOOK: absolutePath.refine((p) => isExecutableFile(p), 'must be an executable file').optional(),
    /** A hook still running after this long is killed (its process group). */
    RELAY_RECORDING_HOOK_TIMEOUT_SEC: z.coerce.number().positive().max(86_400).default(300),
    /** Hooks running at once, and hooks waiting beyond which more are dropped (and counted). */
    RELAY_RECORDING_HOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(DEFAULT_HOOK_CONCURRENCY),
    RELAY_RECORDING_HOOK_QUEUE: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_HOOK_QUEUE_LIMIT),
    /** At start, run the hook for the `.mjr` files an earlier run left in the recordings directory. */
    RELAY_RECORDING_HOOK_SWEEP: z.enum(['true', 'false']).default('false'),
    LOG_LEVEL: z.enum(logLevels).optional(),
  })
  .refine((c) => c.RELAY_RECORDING_HOOK_SWEEP === 'false' || c.RELAY_RECORDING_HOOK, {
    message: 'RELAY_RECORDING_HOOK_SWEEP needs RELAY_RECORDING_HOOK',
    path: ['RELAY_RECORDING_HOOK_SWEEP'],
  })
  .refine((c) => c.RELAY_ICE_PORT_MIN < c.RELAY_ICE_PORT_MAX, {
    message: 'RELAY_ICE_PORT_MIN must be below RELAY_ICE_PORT_MAX',
    path: ['RELAY_ICE_PORT_MIN'],
  })
  .refine((c) => c.RELAY_REMOTE_PORT_MIN < c.RELAY_REMOTE_PORT_MAX, {
    message: 'RELAY_REMOTE_PORT_MIN must be below RELAY_REMOTE_PORT_MAX',
    path: ['RELAY_REMOTE_PORT_MIN'],
  })
  .refine((c) => c.RELAY_REMOTE_PORT_MAX < c.RELAY_ICE_PORT_MIN || c.RELAY_REMOTE_PORT_MIN > c.RELAY_ICE_PORT_MAX, {
    message: 'the remote publisher port range must not overlap the ICE port range',
    path: ['RELAY_REMOTE_PORT_MIN'],
  })
  .refine(
    (c) =>
      !c.RELAY_RECORDINGS_ROOT || !c.RELAY_RECORDINGS_DIR || within(c.RELAY_RECORDINGS_DIR, c.RELAY_RECORDINGS_ROOT),
    {
      message: 'RELAY_RECORDINGS_DIR must be inside RELAY_RECORDINGS_ROOT',
      path: ['RELAY_RECORDINGS_DIR'],
    },
  )
  .refine((c) => c.RELAY_ICE_PORT_MAX - c.RELAY_ICE_PORT_MIN <= 20_000, {
    message: 'the ICE port range must span at most 20000 ports',
    path: ['RELAY_ICE_PORT_MAX'],
  });

export interface RelayConfig {
  relayId: string;
  region: string;
  announcedAddress: string;
  bindAddress: string;
  /** Where /health, /metrics and /debug listen (independent of the ICE bind address). */
  httpBindAddress: string;
  icePortRange: [number, number];
  /** Ports for remote publishers' RTP/RTCP sockets. */
  remotePortRange: [number, number];
  secret: string;
  /** ws(s):// URL of `/relay/connect`. */
  connectUrl: string;
  httpPort: number;
  capacity: number;
  statsPeriodSec: number;
  noMediaTimerSec: number;
  /** A peer whose ICE gets no connectivity check this long after negotiation is hung up. */
  iceStartTimeoutSec: number;
  /** Where recordings go (RELAY_RECORDINGS_DIR, RELAY_RECORDINGS_ROOT, RELAY_RECORDING_QUEUE_KB). */
  recordings: RecordingSettings;
  /** RELAY_RECORDING_HOOK and its settings; undefined: no hook. */
  recordingHook: RecordingHookSettings | undefined;
  logLevel: LogLevel;
  /** Heartbeat interval (1 s; the edge drops relays silent for >3 s). */
  heartbeatMs: number;
  /** Reconnect backoff bounds. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export class ConfigError extends Error {}

export function connectUrlOf(edgeUrl: string): string {
  const u = new URL(edgeUrl);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  u.pathname = u.pathname.replace(/\/+$/, '') + '/relay/connect';
  return u.toString();
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid relay configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    relayId: e.RELAY_ID,
    region: e.RELAY_REGION,
    announcedAddress: e.RELAY_ANNOUNCED_ADDRESS,
    bindAddress: e.RELAY_BIND_ADDRESS,
    httpBindAddress: e.RELAY_HTTP_BIND_ADDRESS,
    icePortRange: [e.RELAY_ICE_PORT_MIN, e.RELAY_ICE_PORT_MAX],
    remotePortRange: [e.RELAY_REMOTE_PORT_MIN, e.RELAY_REMOTE_PORT_MAX],
    secret: e.RELAY_SECRET,
    connectUrl: connectUrlOf(e.EDGE_URL),
    httpPort: e.RELAY_HTTP_PORT,
    capacity: e.RELAY_CAPACITY,
    statsPeriodSec: e.RELAY_STATS_PERIOD,
    noMediaTimerSec: e.RELAY_NO_MEDIA_TIMER,
    iceStartTimeoutSec: e.RELAY_ICE_START_TIMEOUT,
    recordings: {
      defaultDir: e.RELAY_RECORDINGS_DIR ?? e.RELAY_RECORDINGS_ROOT ?? join(tmpdir(), 'janus-recordings'),
      root: e.RELAY_RECORDINGS_ROOT,
      queueLimitBytes: e.RELAY_RECORDING_QUEUE_KB * 1024,
    },
    recordingHook: e.RELAY_RECORDING_HOOK
      ? {
          command: e.RELAY_RECORDING_HOOK,
          timeoutMs: e.RELAY_RECORDING_HOOK_TIMEOUT_SEC * 1000,
          concurrency: e.RELAY_RECORDING_HOOK_CONCURRENCY,
          queueLimit: e.RELAY_RECORDING_HOOK_QUEUE,
          sweep: e.RELAY_RECORDING_HOOK_SWEEP === 'true',
          shutdownGraceMs: HOOK_SHUTDOWN_GRACE_MS,
        }
      : undefined,
    logLevel: e.LOG_LEVEL ?? defaultLogLevel(env),
    heartbeatMs: 1000,
    reconnectMinMs: 250,
    reconnectMaxMs: 10_000,
  };
}
