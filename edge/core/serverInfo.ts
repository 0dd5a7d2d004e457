import type { EdgeConfig } from '../config.js';
import type { Plugin } from '../plugins/plugin.js';
import { reply, type JanusMessage } from './replies.js';
import type { SharedSettings } from './settings.js';
import pkg from '../../package.json';

/** The libraries the edge is built on, at the versions the package declares (Janus lists its own). */
const dependencies = Object.fromEntries(
  Object.entries(pkg.dependencies).map(([name, range]) => [name, range.replace(/^[\^~]/, '')]),
);

export const VERSION = 1401;
export const VERSION_STRING = '1.4.1';

const transports = {
  'janus.transport.http': {
    name: 'JANUS REST (HTTP/HTTPS) transport plugin',
    author: 'janus-edge',
    description: 'The Janus API over HTTP on Cloudflare Workers',
    version_string: '0.1.0',
    version: 1,
  },
  'janus.transport.websockets': {
    name: 'JANUS WebSockets transport plugin',
    author: 'janus-edge',
    description: 'The Janus API over WebSockets held by Durable Objects',
    version_string: '0.1.0',
    version: 1,
  },
};

/**
 * Janus's `local-ip` is the address its ICE candidates carry; ours are a relay's: the announced
 * address of a relay of the client's region (else of any relay; 127.0.0.1 while none is registered).
 */
export function mediaAddress(relays: ReadonlyArray<{ region: string; address: string }>, region?: string): string {
  return (relays.find((r) => r.region === region) ?? relays[0])?.address ?? '127.0.0.1';
}

/** What server_info says of the media side: that relay's address and whether it offers IPv6 and ICE-TCP. */
export interface MediaRelayInfo {
  address: string;
  ipv6?: boolean | undefined;
  iceTcp?: boolean | undefined;
}

/** The relay {@link mediaAddress} names (its address, IPv6, ICE-TCP). */
export function mediaRelay(
  relays: ReadonlyArray<MediaRelayInfo & { region: string }>,
  region?: string,
): MediaRelayInfo {
  const relay = relays.find((r) => r.region === region) ?? relays[0];
  return relay ?? { address: mediaAddress(relays, region) };
}

/** The `server_info` reply (§1.4) with the fields janus.js and janode read. */
export function serverInfo(
  config: EdgeConfig,
  settings: SharedSettings,
  plugins: Map<string, Plugin>,
  transaction?: string,
  media: MediaRelayInfo = { address: '127.0.0.1' },
): JanusMessage {
  const pluginInfo: Record<string, unknown> = {};
  for (const [pkg, p] of plugins) {
    pluginInfo[pkg] = {
      name: p.info.name,
      author: p.info.author,
      description: p.info.description,
      version_string: p.info.versionString,
      version: p.info.version,
    };
  }
  return reply('server_info', transaction, undefined, {
    name: 'Janus WebRTC Server',
    version: VERSION,
    version_string: VERSION_STRING,
    author: 'Meetecho s.r.l. (API); janus-edge (implementation)',
    'commit-hash': 'janus-edge',
    'compile-time': 'n/a',
    'log-to-stdout': true,
    'log-to-file': false,
    data_channels: true,
    'accepting-new-sessions': settings.acceptNewSessions,
    'session-timeout': settings.sessionTimeout,
    'reclaim-session-timeout': config.reclaimSessionTimeout,
    'candidates-timeout': config.candidatesTimeout,
    'server-name': config.serverName,
    'local-ip': media.address,
    ipv6: media.ipv6 === true,
    'ice-lite': false,
    'ice-tcp': media.iceTcp === true,
    'ice-nomination': 'regular',
    'ice-keepalive-conncheck': false,
    'nack-optimizations': false,
    'full-trickle': true,
    'mdns-enabled': false,
    'min-nack-queue': 200,
    'twcc-period': 200,
    'dtls-mtu': 1200,
    'static-event-loops': 0,
    api_secret: config.apiSecret !== undefined,
    auth_token: config.tokenAuth,
    event_handlers: config.eventsUrl !== undefined,
    opaqueid_in_api: false,
    dependencies,
    transports,
    events: config.eventsUrl
      ? {
          'janus.eventhandler.sampleevh': {
            name: 'JANUS SampleEventHandler plugin',
            author: 'janus-edge',
            description: 'Webhook event handler',
            version_string: '0.1.0',
            version: 1,
          },
        }
      : {},
    loggers: {},
    plugins: pluginInfo,
  });
}
