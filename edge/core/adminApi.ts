import { z } from 'zod';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { janusPositiveInt, parseJanus } from '../../shared/janus/validate.js';
import { constantTimeEqual } from '../auth/signedToken.js';
import { tokenPlugins, withoutToken, withToken } from '../auth/tokenTable.js';
import type { EdgeConfig } from '../config.js';
import { queryEventHandler } from '../events/eventHandlerQuery.js';
import { Logger } from '../log.js';
import { loggingRequest, loggingVerbs } from './adminLogging.js';
import { networkRequest, networkVerbs } from './adminNetwork.js';
import { statusRequest, statusVerbs } from './adminStatus.js';
import { errorFrom, reply, type JanusMessage } from './replies.js';
import { mediaRelay, serverInfo } from './serverInfo.js';
import { queryTransport } from './adminTransports.js';
import type { Env } from '../env.js';
import { pluginRegistry } from '../plugins/registry.js';
import { unwrap } from '../rpc.js';
import { Stubs } from '../stubs.js';
import type { AdminOp } from './shardApi.js';

const adminEnvelope = z.object({
  janus: z.string(),
  transaction: z.string(),
  admin_secret: z.string().optional(),
  session_id: z.number().int().optional(),
  handle_id: z.number().int().optional(),
});

const schemas = {
  set_session_timeout: z.object({ timeout: z.number().int().min(-1) }),
  accept_new_sessions: z.object({ accept: z.boolean() }),
  add_token: z.object({ token: z.string(), plugins: z.array(z.string()).optional() }),
  allow_token: z.object({ token: z.string(), plugins: z.array(z.string()).optional() }),
  remove_token: z.object({ token: z.string() }),
  // Janus hands the plugin a missing request as null: the plugin answers it (VideoRoom: its 429).
  message_plugin: z.object({ plugin: z.string(), request: z.record(z.string(), z.unknown()).optional() }),
  custom_event: z.object({ schema: z.string(), data: z.record(z.string(), z.unknown()) }),
  handle_info: z.object({ plugin_only: z.boolean().optional() }),
  start_pcap: z.object({
    folder: z.string().optional(),
    filename: z.string().optional(),
    truncate: janusPositiveInt.optional(),
  }),
};

/** The packet capture requests (Janus's text2pcap.c), and whether each asks for text. */
const captureVerbs = new Map([
  ['start_pcap', false],
  ['start_text2pcap', true],
  ['stop_pcap', false],
  ['stop_text2pcap', true],
]);

const globalVerbs = new Set([
  'info',
  'ping',
  ...statusVerbs,
  ...networkVerbs,
  ...loggingVerbs,
  'query_eventhandler',
  'query_transport',
  'set_session_timeout',
  'accept_new_sessions',
  'list_sessions',
  'add_token',
  'allow_token',
  'disallow_token',
  'list_tokens',
  'remove_token',
  'message_plugin',
  'custom_event',
]);
const sessionVerbs = new Set(['destroy_session', 'set_session_timeout', 'list_handles']);
const handleVerbs = new Set(['handle_info', 'hangup_webrtc', 'detach_handle', ...captureVerbs.keys()]);

/**
 * The Admin API (§3). Global requests fan out to the coordinators; session and handle requests go to
 * the shard that owns the session. Every reply is `success` or a Janus `error`.
 */
export async function handleAdmin(env: Env, config: EdgeConfig, raw: Record<string, unknown>): Promise<JanusMessage> {
  let tx: string | undefined = typeof raw.transaction === 'string' ? raw.transaction : undefined;
  let sessionId: number | undefined;
  const stubs = new Stubs(env, config.shardCount);
  try {
    const e = parseJanus(adminEnvelope, raw);
    tx = e.transaction;
    sessionId = e.session_id !== undefined && e.session_id > 0 ? e.session_id : undefined;
    const verb = e.janus.toLowerCase();
    if (verb === 'info') {
      const [settings, relays] = await Promise.all([stubs.core().getSettings(), stubs.core().listRelays()]);
      return serverInfo(config, settings, pluginRegistry(config, stubs), tx, mediaRelay(relays));
    }
    if (verb === 'ping') return reply('pong', tx);
    if (e.admin_secret === undefined || !constantTimeEqual(e.admin_secret, config.adminSecret))
      throw new JanusApiError(JanusError.UNAUTHORIZED);
    if (e.session_id !== undefined && e.session_id < 1) throw new JanusApiError(JanusError.SESSION_NOT_FOUND);
    if (e.handle_id !== undefined && e.handle_id < 1) throw new JanusApiError(JanusError.SESSION_NOT_FOUND);
    const level = e.handle_id !== undefined ? 'handle' : e.session_id !== undefined ? 'session' : 'global';
    const known = level === 'global' ? globalVerbs : level === 'session' ? sessionVerbs : handleVerbs;
    // Janus's admin API answers any verb it does not handle at a path with 457, known or not.
    if (!known.has(verb))
      throw new JanusApiError(JanusError.INVALID_REQUEST_PATH, `Unhandled request '${e.janus}' at this path`);
    if (level === 'global') return await globalRequest(stubs, config, verb, raw, tx);
    if (e.session_id === undefined) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, 'No such session undefined');
    return await sessionRequest(stubs, verb, raw, tx, e.session_id, e.handle_id);
  } catch (err) {
    return errorFrom(err, tx, sessionId);
  }
}

async function globalRequest(
  stubs: Stubs,
  config: EdgeConfig,
  verb: string,
  raw: Record<string, unknown>,
  tx: string,
): Promise<JanusMessage> {
  const core = stubs.core();
  if (statusVerbs.has(verb)) return reply('success', tx, undefined, await statusRequest(core, config, verb, raw));
  if (networkVerbs.has(verb)) return reply('success', tx, undefined, await networkRequest(verb, raw));
  if (loggingVerbs.has(verb))
    return reply('success', tx, undefined, await loggingRequest(core, new Logger(config.logLevel, 'admin'), verb, raw));
  switch (verb) {
    case 'query_eventhandler':
      return reply('success', tx, undefined, await queryEventHandler(core, config, raw));
    case 'query_transport':
      return reply('success', tx, undefined, queryTransport(raw));
    case 'set_session_timeout': {
      const { timeout } = parseJanus(schemas.set_session_timeout, raw);
      if (timeout < 0)
        throw new JanusApiError(
          JanusError.INVALID_ELEMENT_TYPE,
          'Invalid element type (timeout should be a positive integer)',
        );
      await core.updateSettings({ sessionTimeout: timeout });
      return reply('success', tx, undefined, { timeout });
    }
    case 'accept_new_sessions': {
      const { accept } = parseJanus(schemas.accept_new_sessions, raw);
      await core.updateSettings({ acceptNewSessions: accept });
      return reply('success', tx, undefined, { accept });
    }
    case 'list_sessions': {
      const lists = await Promise.all(stubs.allShards().map((s) => s.listSessions()));
      return reply('success', tx, undefined, { sessions: lists.flat() });
    }
    case 'add_token':
    case 'allow_token':
    case 'disallow_token':
    case 'remove_token':
    case 'list_tokens':
      return tokenRequest(stubs, config, verb, raw, tx);
    case 'message_plugin': {
      const { plugin, request } = parseJanus(schemas.message_plugin, raw);
      const p = pluginRegistry(config, stubs).get(plugin);
      if (!p) throw new JanusApiError(JanusError.PLUGIN_NOT_FOUND, `No such plugin '${plugin}'`);
      if (!p.handleAdminMessage)
        throw new JanusApiError(JanusError.UNKNOWN, "Plugin doesn't support Admin API messages");
      return reply('success', tx, undefined, { response: await p.handleAdminMessage(request ?? {}) });
    }
    case 'custom_event': {
      const { schema, data } = parseJanus(schemas.custom_event, raw);
      await core.customEvent(schema, data);
      return reply('success', tx);
    }
  }
  throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${verb}'`);
}

async function tokenRequest(
  stubs: Stubs,
  config: EdgeConfig,
  verb: string,
  raw: Record<string, unknown>,
  tx: string,
): Promise<JanusMessage> {
  if (!config.tokenAuth || config.tokenAuthSecret)
    throw new JanusApiError(JanusError.UNKNOWN, 'Stored-Token based authentication disabled');
  const core = stubs.core();
  const { tokens } = await core.getSettings();
  const all = [...pluginRegistry(config, stubs).keys()];
  const known = (plugins: string[]) => {
    for (const p of plugins)
      if (!all.includes(p)) throw new JanusApiError(JanusError.PLUGIN_NOT_FOUND, `No such plugin '${p}'`);
    return plugins;
  };
  switch (verb) {
    case 'list_tokens':
      return reply('success', tx, undefined, {
        data: { tokens: Object.entries(tokens).map(([token, allowed_plugins]) => ({ token, allowed_plugins })) },
      });
    case 'add_token': {
      const { token, plugins } = parseJanus(schemas.add_token, raw);
      const allowed = plugins ? known(plugins) : all;
      await core.updateSettings({ tokens: withToken(tokens, token, [...new Set(allowed)]) });
      return reply('success', tx, undefined, { data: { plugins: allowed } });
    }
    case 'allow_token':
    case 'disallow_token': {
      const { token, plugins } = parseJanus(schemas.allow_token, raw);
      if (!plugins || plugins.length === 0)
        throw new JanusApiError(
          JanusError.INVALID_ELEMENT_TYPE,
          'Invalid element type (plugins should be a non-empty array)',
        );
      known(plugins);
      const current = tokenPlugins(tokens, token);
      if (!current) throw new JanusApiError(JanusError.TOKEN_NOT_FOUND, `Token ${token} not found`);
      const next =
        verb === 'allow_token' ? [...new Set([...current, ...plugins])] : current.filter((p) => !plugins.includes(p));
      await core.updateSettings({ tokens: withToken(tokens, token, next) });
      return reply('success', tx, undefined, { data: { plugins: next } });
    }
    case 'remove_token': {
      const { token } = parseJanus(schemas.remove_token, raw);
      if (!tokenPlugins(tokens, token)) throw new JanusApiError(JanusError.TOKEN_NOT_FOUND, `Token ${token} not found`);
      await core.updateSettings({ tokens: withoutToken(tokens, token) });
      return reply('success', tx);
    }
  }
  throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${verb}'`);
}

async function sessionRequest(
  stubs: Stubs,
  verb: string,
  raw: Record<string, unknown>,
  tx: string,
  sessionId: number,
  handleId?: number,
): Promise<JanusMessage> {
  let op: AdminOp;
  switch (verb) {
    case 'destroy_session':
    case 'list_handles':
      op = { kind: verb, sessionId };
      break;
    case 'set_session_timeout':
      op = { kind: verb, sessionId, timeout: parseJanus(schemas.set_session_timeout, raw).timeout };
      break;
    case 'handle_info':
      op = {
        kind: verb,
        sessionId,
        handleId: handleId ?? 0,
        pluginOnly: parseJanus(schemas.handle_info, raw).plugin_only ?? false,
      };
      break;
    case 'hangup_webrtc':
    case 'detach_handle':
      op = { kind: verb, sessionId, handleId: handleId ?? 0 };
      break;
    case 'start_pcap':
    case 'start_text2pcap': {
      const { folder, filename, truncate } = parseJanus(schemas.start_pcap, raw);
      const text = captureVerbs.get(verb)!;
      op = { kind: 'capture', sessionId, handleId: handleId ?? 0, capture: true, text, folder, filename, truncate };
      break;
    }
    case 'stop_pcap':
    case 'stop_text2pcap':
      op = { kind: 'capture', sessionId, handleId: handleId ?? 0, capture: false, text: captureVerbs.get(verb)! };
      break;
    default:
      throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${verb}'`);
  }
  const res: Record<string, unknown> = unwrap(await stubs.shardOfSession(sessionId).admin(op));
  // As Janus: these two answer a bare success, with the session's id but not the handle's; a capture's, with neither.
  if (op.kind === 'hangup_webrtc' || op.kind === 'detach_handle') return reply('success', tx, sessionId);
  if (op.kind === 'capture') return reply('success', tx);
  const ids: Record<string, unknown> = { session_id: sessionId };
  if (handleId !== undefined) ids.handle_id = handleId;
  return reply('success', tx, undefined, { ...ids, ...res });
}
