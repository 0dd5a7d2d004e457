/**
 * VideoRoom request scripts (§5.2–5.5, error codes §5.8) run against the reference Janus and our edge.
 * Requests go over one WebSocket per participant; synchronous answers are compared in the `success`
 * plugindata, asynchronous ones in the `event` that follows the `ack`.
 */
import type { Step } from './harness.js';
import type { Case } from './cases.js';

const VR = 'janus.plugin.videoroom';
const ROOM = 7_770_001;

/** A session on connection `conn` with a VideoRoom handle, saved as $s<conn> and $h<conn>. */
const vrHandle = (conn: string): Step[] => [
  { via: 'ws', conn, body: { janus: 'create' }, save: { [`s${conn}`]: 'data.id' }, expect: { janus: 'success' } },
  { via: 'ws', conn, body: { janus: 'attach', session_id: `$s${conn}`, plugin: VR }, save: { [`h${conn}`]: 'data.id' }, expect: { janus: 'success' } },
];

/** A synchronous request: the `success` reply's plugindata is compared. */
const sync = (conn: string, name: string, body: Record<string, unknown>, extra: Partial<Step> = {}): Step => ({
  name,
  via: 'ws',
  conn,
  body: { janus: 'message', session_id: `$s${conn}`, handle_id: `$h${conn}`, body } as never,
  at: 'plugindata',
  expect: { janus: 'success' },
  ...extra,
});

/** An asynchronous request: the `ack`, then the `event` carrying the answer. */
const async_ = (conn: string, name: string, body: Record<string, unknown>, extra: Partial<Step> = {}): Step => ({
  name,
  via: 'ws',
  conn,
  body: { janus: 'message', session_id: `$s${conn}`, handle_id: `$h${conn}`, body } as never,
  events: ['event'],
  expect: { janus: 'ack' },
  ...extra,
});

export const videoroomCases: Case[] = [
  {
    name: 'videoroom: synchronous requests and their errors',
    steps: [
      ...vrHandle('a'),
      sync('a', 'create', { request: 'create', room: ROOM, description: 'diff', secret: 'sec', pin: '42', publishers: 2, bitrate: 128000 }),
      sync('a', 'create again (427)', { request: 'create', room: ROOM }),
      sync('a', 'exists', { request: 'exists', room: ROOM }),
      sync('a', 'exists (no such room)', { request: 'exists', room: ROOM + 1 }),
      sync('a', 'list', { request: 'list' }, { at: 'plugindata.data', compare: 'keys' }),
      sync('a', 'edit wrong secret (433)', { request: 'edit', room: ROOM, secret: 'nope', new_description: 'x' }),
      sync('a', 'edit', { request: 'edit', room: ROOM, secret: 'sec', new_description: 'renamed' }),
      sync('a', 'listparticipants (empty)', { request: 'listparticipants', room: ROOM }),
      sync('a', 'listparticipants (no such room)', { request: 'listparticipants', room: ROOM + 1 }),
      sync('a', 'kick unknown (428)', { request: 'kick', room: ROOM, secret: 'sec', id: 999 }),
      sync('a', 'allowed enable', { request: 'allowed', room: ROOM, secret: 'sec', action: 'enable' }),
      sync('a', 'allowed add', { request: 'allowed', room: ROOM, secret: 'sec', action: 'add', allowed: ['tok'] }),
      sync('a', 'allowed disable', { request: 'allowed', room: ROOM, secret: 'sec', action: 'disable' }),
      sync('a', 'unknown request (423)', { request: 'dance' }),
      sync('a', 'missing request (429)', { room: ROOM }),
      sync('a', 'wrong type (430)', { request: 'exists', room: 'not-a-number' }),
      sync('a', 'destroy wrong secret (433)', { request: 'destroy', room: ROOM, secret: 'x' }),
      sync('a', 'destroy', { request: 'destroy', room: ROOM, secret: 'sec' }),
      sync('a', 'destroy again (426)', { request: 'destroy', room: ROOM, secret: 'sec' }),
    ],
  },
  {
    name: 'videoroom: publishers join, collide, get kicked and leave',
    steps: [
      ...vrHandle('a'),
      ...vrHandle('b'),
      sync('a', 'create', { request: 'create', room: ROOM + 10, secret: 'sec' }),
      async_('a', 'join publisher', { request: 'join', ptype: 'publisher', room: ROOM + 10, id: 101, display: 'alice' }),
      async_('b', 'join with a taken id (436)', { request: 'join', ptype: 'publisher', room: ROOM + 10, id: 101 }),
      async_('b', 'join no such room (426)', { request: 'join', ptype: 'publisher', room: ROOM + 11 }),
      async_('b', 'join without ptype (429)', { request: 'join', room: ROOM + 10 }),
      async_('b', 'join publisher', { request: 'join', ptype: 'publisher', room: ROOM + 10, id: 102, display: 'bob' }),
      async_('b', 'join twice (425)', { request: 'join', ptype: 'publisher', room: ROOM + 10, id: 103 }),
      sync('a', 'listparticipants', { request: 'listparticipants', room: ROOM + 10 }),
      async_('b', 'unpublish when not publishing (435)', { request: 'unpublish' }),
      sync('a', 'kick', { request: 'kick', room: ROOM + 10, secret: 'sec', id: 102 }),
      async_('a', 'leave', { request: 'leave' }),
      async_('a', 'configure after leave (424)', { request: 'configure', audio: true }),
      sync('a', 'destroy', { request: 'destroy', room: ROOM + 10, secret: 'sec' }),
    ],
  },
];
