/**
 * The edge's settings (see edge/config.ts) handed from `npm start`'s environment to the Worker.
 * Secrets among them never go on a command line (`ps` shows those): wrangler dev reads them from a
 * file only the user can read, Miniflare gets them in-process.
 */
import { writeFileSync } from 'node:fs';

const passedThrough = [
  'SESSION_TIMEOUT',
  'RECLAIM_SESSION_TIMEOUT',
  'CANDIDATES_TIMEOUT',
  'ADMIN_SECRET',
  'API_SECRET',
  'TOKEN_AUTH',
  'TOKEN_AUTH_SECRET',
  'EVENTS_URL',
  'EVENTS_MASK',
  'EVENTS_GROUPING',
  'SERVER_NAME',
  'SHARD_COUNT',
  'SHARD_FILL',
  'MAX_BODY_BYTES',
  'STATUS_PERIOD',
  'TEST_PLUGINS',
  'VIDEOROOM_STRING_IDS',
  'VIDEOROOM_ADMIN_KEY',
  'VIDEOROOM_LOCK_RTP_FORWARD',
  'VIDEOROOM_MAX_REMOTE_PUBLISHERS',
  'VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_SESSION',
  'VIDEOROOM_MAX_REMOTE_PUBLISHERS_PER_ADDRESS',
  'VIDEOROOM_ROOMS',
  'AUDIOBRIDGE_ROOMS',
  'STREAMING_ADMIN_KEY',
  'STREAMING_MOUNTPOINTS',
  'RECORDINGS_ROOT',
  'MAX_PEERS_PER_SESSION',
  'MAX_PEERS_PER_ADDRESS',
  'OFFERS_PER_SECOND_PER_SESSION',
  'OFFER_BURST_PER_SESSION',
  'OFFERS_PER_SECOND_PER_ADDRESS',
  'OFFER_BURST_PER_ADDRESS',
  'LOG_LEVEL',
  'TURN_URLS',
  'TURN_REST_SECRET',
  'CLOUDFLARE_TURN_KEY_ID',
  'CLOUDFLARE_TURN_API_TOKEN',
  'CLOUDFLARE_TURN_API_URL',
  'TURN_TTL',
  'TURN_REQUESTS_PER_MINUTE',
  'TURN_REQUEST_BURST',
  'WHIP_ICE_SERVERS',
  // Local benchmarks only: bench:cost reads what each Durable Object was billed for (edge/metering/).
  'METERING',
];

/** The Worker vars: the settings present in `env`, plus the relay secret. */
export function edgeVars(env: NodeJS.ProcessEnv, relaySecret: string): Record<string, string> {
  const vars: Record<string, string> = { RELAY_SECRET: relaySecret };
  for (const k of passedThrough) if (env[k] !== undefined) vars[k] = env[k]!;
  return vars;
}

/** Writes `vars` as a dotenv file readable by the owner only (wrangler dev's `--env-file`). */
export function writeVarsFile(path: string, vars: Record<string, string>): void {
  const lines = Object.entries(vars).map(([k, v]) => {
    // Single-quoted dotenv values are taken literally; a quote or a newline could not be.
    if (/['\n\r]/.test(v)) throw new Error(`${k} must not contain a single quote or a newline`);
    return `${k}='${v}'`;
  });
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
}
