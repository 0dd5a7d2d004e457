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
import { hostIpv6Address, type IceAddressing } from './net/iceAddresses.js';
import { turnClientFromEnv, type TurnClient } from './peer/turnClient.js';

const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
const ipv4 = z.string().refine((v) => isIP(v) === 4, 'must be an IPv4 address');
const ipv6 = z.string().refine((v) => isIP(v) === 6, 'must be an IPv6 address');
const flag = z.enum(['true', 'false']).default('false');
/** A comma-separated list of IP literals (at most 8). */
const announcedList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
  )
  .refine((l) => l.length > 0 && l.length <= 8, 'must list 1 to 8 addresses')
  .refine((l) => l.every((a) => isIP(a) !== 0), 'must be IP addresses, comma-separated');
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
    /** Public IPs put in the host candidates, comma-separated (Janus's nat_1_1_mapping; relay/net/iceAddresses.ts). */
    RELAY_ANNOUNCED_ADDRESS: announcedList.optional(),
    /** Also keep the private (bound) address as a candidate next to the announced ones (Janus's keep_private_host). */
    RELAY_KEEP_PRIVATE_HOST: flag,
    /** IPv6 host candidates: `auto` when the relay binds a real interface and the host has a global IPv6 address. */
    RELAY_IPV6: z.enum(['auto', 'true', 'false']).default('auto'),
    /** The IPv6 address the ICE sockets bind to (default: ::1 beside a loopback RELAY_BIND_ADDRESS, else the host's first global one). */
    RELAY_BIND_ADDRESS6: ipv6.optional(),
    /** ICE-TCP (RFC 6544 passive candidates) on this one TCP port for every peer; unset: no ICE-TCP (0: any free port). */
    RELAY_ICE_TCP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /**
     * SIGTERM: seconds existing calls may go on while the relay drains, before they get `hangup`. 0 (the
     * default, what `npm start` wants): at once. The container image and the systemd unit set it.
     */
    RELAY_DRAIN_GRACE_SEC: z.coerce.number().nonnegative().max(86_400).default(0),
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
    /** VideoRoom subscribers spread over this many relay threads (relay/threads/); 0 = all on the main thread. */
    RELAY_WORKER_THREADS: z.coerce.number().int().min(0).max(16).default(0),
    /** Read here only to refuse it beside RELAY_WORKER_THREADS (relay/peer/turnClient.ts parses it). */
    RELAY_TURN_URL: z.string().optional(),
  })
  .refine((c) => c.RELAY_WORKER_THREADS === 0 || (!c.RELAY_TURN_URL && c.RELAY_ICE_TCP_PORT === undefined), {
    message:
      'RELAY_WORKER_THREADS does not support RELAY_TURN_URL or RELAY_ICE_TCP_PORT yet (their sockets live on the main thread)',
    path: ['RELAY_WORKER_THREADS'],
  })
  .refine((c) => c.RELAY_ICE_PORT_MAX - c.RELAY_ICE_PORT_MIN + 1 >= 2 * (c.RELAY_WORKER_THREADS + 1), {
    message: 'the ICE port range is too small to give every relay thread a slice of it',
    path: ['RELAY_WORKER_THREADS'],
  })
  .refine((c) => c.RELAY_RECORDING_HOOK_SWEEP === 'false' || c.RELAY_RECORDING_HOOK, {
    message: 'RELAY_RECORDING_HOOK_SWEEP needs RELAY_RECORDING_HOOK',
    path: ['RELAY_RECORDING_HOOK_SWEEP'],
  })
  .refine((c) => c.RELAY_IPV6 !== 'false' || !c.RELAY_BIND_ADDRESS6, {
    message: 'RELAY_BIND_ADDRESS6 needs RELAY_IPV6=true or auto',
    path: ['RELAY_BIND_ADDRESS6'],
  })
  .refine((c) => c.RELAY_BIND_ADDRESS !== '0.0.0.0' || c.RELAY_ANNOUNCED_ADDRESS?.some((a) => isIP(a) === 4), {
    message: 'a wildcard RELAY_BIND_ADDRESS needs an IPv4 RELAY_ANNOUNCED_ADDRESS (the address clients reach)',
    path: ['RELAY_ANNOUNCED_ADDRESS'],
  })
  .refine((c) => c.RELAY_BIND_ADDRESS !== '0.0.0.0' || c.RELAY_KEEP_PRIVATE_HOST === 'false', {
    message: 'RELAY_KEEP_PRIVATE_HOST needs a RELAY_BIND_ADDRESS that clients can reach, not a wildcard',
    path: ['RELAY_KEEP_PRIVATE_HOST'],
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
  /** The first announced address (else the bind address): what plain-RTP media and the edge are told. */
  announcedAddress: string;
  bindAddress: string;
  /** RELAY_ANNOUNCED_ADDRESS, RELAY_KEEP_PRIVATE_HOST, the IPv6 bind address: what host candidates carry. */
  ice: IceAddressing;
  /** RELAY_ICE_TCP_PORT: the one ICE-TCP listening port (0: any); undefined: no ICE-TCP. */
  iceTcpPort: number | undefined;
  /** RELAY_DRAIN_GRACE_SEC, in ms: how long calls may go on after SIGTERM. */
  drainGraceMs: number;
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
  /** RELAY_WORKER_THREADS: relay threads for VideoRoom subscribers (0: none). */
  workerThreads: number;
  statsPeriodSec: number;
  noMediaTimerSec: number;
  /** A peer whose ICE gets no connectivity check this long after negotiation is hung up. */
  iceStartTimeoutSec: number;
  /** Where recordings go (RELAY_RECORDINGS_DIR, RELAY_RECORDINGS_ROOT, RELAY_RECORDING_QUEUE_KB). */
  recordings: RecordingSettings;
  /** RELAY_RECORDING_HOOK and its settings; undefined: no hook. */
  recordingHook: RecordingHookSettings | undefined;
  logLevel: LogLevel;
  /** The relay's own TURN client (RELAY_TURN_URL, credentials, RELAY_FORCE_TURN; relay/peer/turnClient.ts). */
  turn: TurnClient | undefined;
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

/** RELAY_IPV6 and RELAY_BIND_ADDRESS6 to the IPv6 address ICE binds to; undefined: no IPv6. */
function ipv6BindAddress(
  mode: 'auto' | 'true' | 'false',
  bind4: string,
  bind6: string | undefined,
): string | undefined {
  if (mode === 'false') return undefined;
  if (bind6) return bind6;
  const loopback = bind4.startsWith('127.');
  if (mode === 'auto') return loopback ? undefined : hostIpv6Address();
  const found = loopback ? '::1' : hostIpv6Address(true);
  if (!found)
    throw new ConfigError(
      'invalid relay configuration: RELAY_IPV6=true but the host has no IPv6 address (set RELAY_BIND_ADDRESS6)',
    );
  return found;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid relay configuration: ${problems}`);
  }
  const e = parsed.data;
  const announced = e.RELAY_ANNOUNCED_ADDRESS ?? [];
  const bindAddress6 = ipv6BindAddress(e.RELAY_IPV6, e.RELAY_BIND_ADDRESS, e.RELAY_BIND_ADDRESS6);
  const turn = turnClientFromEnv(env, e.RELAY_ID);
  if ('error' in turn) throw new ConfigError(`invalid relay configuration: ${turn.error}`);
  return {
    relayId: e.RELAY_ID,
    region: e.RELAY_REGION,
    announcedAddress: announced.find((a) => isIP(a) === 4) ?? e.RELAY_BIND_ADDRESS,
    bindAddress: e.RELAY_BIND_ADDRESS,
    ice: {
      bindAddress: e.RELAY_BIND_ADDRESS,
      bindAddress6,
      announced,
      keepPrivateHost: e.RELAY_KEEP_PRIVATE_HOST === 'true',
    },
    iceTcpPort: e.RELAY_ICE_TCP_PORT,
    drainGraceMs: e.RELAY_DRAIN_GRACE_SEC * 1000,
    httpBindAddress: e.RELAY_HTTP_BIND_ADDRESS,
    icePortRange: [e.RELAY_ICE_PORT_MIN, e.RELAY_ICE_PORT_MAX],
    remotePortRange: [e.RELAY_REMOTE_PORT_MIN, e.RELAY_REMOTE_PORT_MAX],
    secret: e.RELAY_SECRET,
    connectUrl: connectUrlOf(e.EDGE_URL),
    httpPort: e.RELAY_HTTP_PORT,
    capacity: e.RELAY_CAPACITY,
    workerThreads: e.RELAY_WORKER_THREADS,
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
    turn: turn.turn,
    heartbeatMs: 1000,
    reconnectMinMs: 250,
    reconnectMaxMs: 10_000,
  };
}
