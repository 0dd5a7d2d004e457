/**
 * Stored-token authentication (§3 token requests, §1 `token`), run against a reference Janus started
 * with `token_auth = true` and our stack with TOKEN_AUTH: the Admin API manages the tokens, the Janus
 * API needs one on every request and attaches only to the plugins the token allows.
 */
import type { Case } from './cases.js';
import type { Step } from './harness.js';

const ECHO = 'janus.plugin.echotest';
const VR = 'janus.plugin.videoroom';

const admin = (name: string, body: Record<string, unknown>, expect?: Step['expect']): Step => ({
  name,
  via: 'admin',
  body: body as never,
  ...(expect ? { expect } : {}),
});

export const tokenCases: Case[] = [
  {
    name: 'token auth: add, list, allow, disallow and remove tokens; the Janus API obeys them',
    steps: [
      admin('get_status (token_auth on)', { janus: 'get_status' }, { janus: 'success' }),
      admin('add_token for every plugin', { janus: 'add_token', token: 'diff-all' }, { janus: 'success' }),
      admin(
        'add_token for the echotest',
        { janus: 'add_token', token: 'diff-echo', plugins: [ECHO] },
        { janus: 'success' },
      ),
      admin('add_token again', { janus: 'add_token', token: 'diff-echo', plugins: [ECHO] }),
      admin('add_token without a token (456)', { janus: 'add_token' }, { janus: 'error', code: 456 }),
      admin('add_token with an unknown plugin', {
        janus: 'add_token',
        token: 'diff-x',
        plugins: ['janus.plugin.nosuch'],
      }),
      admin('list_tokens', { janus: 'list_tokens' }, { janus: 'success' }),
      {
        name: 'create without a token (403)',
        via: 'ws',
        body: { janus: 'create' },
        expect: { janus: 'error', code: 403 },
      },
      {
        name: 'create with an unknown token (403)',
        via: 'ws',
        body: { janus: 'create', token: 'nope' },
        expect: { janus: 'error', code: 403 },
      },
      {
        name: 'create with the echotest token',
        via: 'ws',
        body: { janus: 'create', token: 'diff-echo' },
        save: { s: 'data.id' },
        expect: { janus: 'success' },
      },
      {
        name: 'attach echotest',
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: ECHO, token: 'diff-echo' },
        expect: { janus: 'success' },
      },
      {
        name: 'attach videoroom, not allowed (405)',
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: VR, token: 'diff-echo' },
        expect: { janus: 'error', code: 405 },
      },
      admin('allow_token videoroom', { janus: 'allow_token', token: 'diff-echo', plugins: [VR] }, { janus: 'success' }),
      {
        name: 'attach videoroom, now allowed',
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: VR, token: 'diff-echo' },
        expect: { janus: 'success' },
      },
      admin(
        'disallow_token videoroom',
        { janus: 'disallow_token', token: 'diff-echo', plugins: [VR] },
        { janus: 'success' },
      ),
      {
        name: 'attach videoroom, disallowed again (405)',
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: VR, token: 'diff-echo' },
        expect: { janus: 'error', code: 405 },
      },
      admin(
        'allow_token unknown token (470)',
        { janus: 'allow_token', token: 'nope', plugins: [VR] },
        { janus: 'error', code: 470 },
      ),
      admin('allow_token without plugins', { janus: 'allow_token', token: 'diff-echo' }, { janus: 'error' }),
      admin('allow_token with an empty list', { janus: 'allow_token', token: 'diff-echo', plugins: [] }),
      admin(
        'disallow_token unknown token (470)',
        { janus: 'disallow_token', token: 'nope', plugins: [VR] },
        { janus: 'error', code: 470 },
      ),
      {
        name: 'keepalive without a token (403)',
        via: 'ws',
        body: { janus: 'keepalive', session_id: '$s' },
        expect: { janus: 'error', code: 403 },
      },
      admin('remove_token', { janus: 'remove_token', token: 'diff-echo' }, { janus: 'success' }),
      {
        name: 'keepalive with the removed token (403)',
        via: 'ws',
        body: { janus: 'keepalive', session_id: '$s', token: 'diff-echo' },
        expect: { janus: 'error', code: 403 },
      },
      {
        name: 'keepalive with the other token',
        via: 'ws',
        body: { janus: 'keepalive', session_id: '$s', token: 'diff-all' },
        expect: { janus: 'ack' },
      },
      admin('remove_token unknown', { janus: 'remove_token', token: 'diff-echo' }, { janus: 'error' }),
      admin('remove_token the other', { janus: 'remove_token', token: 'diff-all' }, { janus: 'success' }),
      admin('list_tokens at the end', { janus: 'list_tokens' }, { janus: 'success' }),
    ],
  },
];
