import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import type { EdgeConfig } from '../config.js';
import { constantTimeEqual, verifySignedToken } from './signedToken.js';
import { tokenPlugins, type TokenTable } from './tokenTable.js';

/**
 * Janus's `janus_request_check_secret`: with neither an API secret nor token auth configured,
 * everything is open; otherwise either a valid token or the right API secret lets a request in.
 */
export async function checkRequestAuth(
  config: EdgeConfig,
  tokens: TokenTable,
  apisecret?: string,
  token?: string,
): Promise<void> {
  if (!config.apiSecret && !config.tokenAuth) return;
  if (config.tokenAuth && token !== undefined && (await tokenValid(config, tokens, token))) return;
  if (config.apiSecret && apisecret !== undefined && constantTimeEqual(apisecret, config.apiSecret)) return;
  throw new JanusApiError(JanusError.UNAUTHORIZED);
}

async function tokenValid(config: EdgeConfig, tokens: TokenTable, token: string): Promise<boolean> {
  if (config.tokenAuthSecret) return (await verifySignedToken(config.tokenAuthSecret, token, 'janus')) !== undefined;
  return tokenPlugins(tokens, token) !== undefined;
}

/** `attach` with token auth on: the token must be allowed to use the plugin, else 405. */
export async function checkPluginAccess(
  config: EdgeConfig,
  tokens: TokenTable,
  token: string | undefined,
  plugin: string,
): Promise<void> {
  if (!config.tokenAuth) return;
  if (token === undefined) throw new JanusApiError(JanusError.UNAUTHORIZED_PLUGIN);
  if (config.tokenAuthSecret) {
    const t = await verifySignedToken(config.tokenAuthSecret, token, 'janus');
    if (t && t.data.includes(plugin)) return;
    throw new JanusApiError(JanusError.UNAUTHORIZED_PLUGIN);
  }
  const allowed = tokenPlugins(tokens, token);
  if (allowed?.includes(plugin)) return;
  throw new JanusApiError(JanusError.UNAUTHORIZED_PLUGIN);
}
