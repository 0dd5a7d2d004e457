/**
 * VideoRoom request scripts (§5.2–5.5, error codes §5.8) run against the reference Janus and our edge.
 * Requests go over one WebSocket per participant; synchronous answers are compared in the `success`
 * plugindata, asynchronous ones in the `event` that follows the `ack`.
 */
import { async_, pluginHandle, sync } from './pluginSteps.js';
import type { Case } from './cases.js';

const VR = 'janus.plugin.videoroom';
const ROOM = 7_770_001;

/** A session on connection `conn` with a VideoRoom handle, saved as $s<conn> and $h<conn>. */
const vrHandle = (conn: string) => pluginHandle(VR, conn);

/**
 * Bad input to every request (§5.8): missing and mistyped fields, wrong secrets and pins, unknown rooms
 * and feeds. Each must get the reference's error code, and the room must look the same afterwards.
 */
const R = ROOM + 20;
const badInput: Case = {
  name: 'videoroom: bad input to every request gets its error code and changes nothing',
  steps: [
    ...vrHandle('a'),
    ...vrHandle('b'),
    ...vrHandle('c'),
    sync('a', 'create', {
      request: 'create',
      room: R,
      description: 'bad input',
      secret: 'sec',
      pin: 'pin',
      publishers: 3,
    }),
    async_('a', 'join publisher', {
      request: 'join',
      ptype: 'publisher',
      room: R,
      id: 201,
      display: 'alice',
      pin: 'pin',
    }),
    sync('a', 'listparticipants before', { request: 'listparticipants', room: R }),
    // create
    sync('b', 'create: room not a number (430)', { request: 'create', room: 'x' }),
    sync('b', 'create: publishers not a number (430)', { request: 'create', room: R + 1, publishers: 'many' }),
    sync('b', 'create: is_private not a boolean (430)', { request: 'create', room: R + 1, is_private: 'yes' }),
    sync('b', 'create: existing room (427)', { request: 'create', room: R }),
    // edit
    sync('b', 'edit: no room (429)', { request: 'edit', secret: 'sec' }),
    sync('b', 'edit: unknown room (426)', { request: 'edit', room: R + 1, secret: 'sec' }),
    sync('b', 'edit: wrong secret (433)', { request: 'edit', room: R, secret: 'bad', new_description: 'hacked' }),
    sync('b', 'edit: new_publishers not a number (430)', {
      request: 'edit',
      room: R,
      secret: 'sec',
      new_publishers: 'x',
    }),
    // destroy / exists
    sync('b', 'destroy: no room (429)', { request: 'destroy' }),
    sync('b', 'destroy: room not a number (430)', { request: 'destroy', room: [] }),
    sync('b', 'destroy: wrong secret (433)', { request: 'destroy', room: R, secret: 'bad' }),
    sync('b', 'destroy: no secret (429)', { request: 'destroy', room: R }),
    sync('b', 'exists: no room (429)', { request: 'exists' }),
    // allowed
    sync('b', 'allowed: no action (429)', { request: 'allowed', room: R, secret: 'sec' }),
    sync('b', 'allowed: unknown action (430)', { request: 'allowed', room: R, secret: 'sec', action: 'dance' }),
    sync('b', 'allowed: wrong secret (433)', { request: 'allowed', room: R, secret: 'bad', action: 'enable' }),
    sync('b', 'allowed: unknown room (426)', { request: 'allowed', room: R + 1, secret: 'sec', action: 'enable' }),
    sync('b', 'allowed: add without a list (no change)', { request: 'allowed', room: R, secret: 'sec', action: 'add' }),
    // Tokens added while the check is disabled do not enable it: a join without a token still works.
    sync('b', 'allowed: add while disabled', {
      request: 'allowed',
      room: R,
      secret: 'sec',
      action: 'add',
      allowed: ['t1'],
    }),
    async_('c', 'join without a token while the check is disabled', {
      request: 'join',
      ptype: 'publisher',
      room: R,
      pin: 'pin',
      id: 202,
    }),
    async_('c', 'leave', { request: 'leave' }),
    sync('b', 'allowed: remove', { request: 'allowed', room: R, secret: 'sec', action: 'remove', allowed: ['t1'] }),
    // kick / moderate
    sync('b', 'kick: no id (429)', { request: 'kick', room: R, secret: 'sec' }),
    sync('b', 'kick: id not a number (430)', { request: 'kick', room: R, secret: 'sec', id: 'alice' }),
    sync('b', 'kick: wrong secret (433)', { request: 'kick', room: R, secret: 'bad', id: 201 }),
    sync('b', 'kick: unknown room (426)', { request: 'kick', room: R + 1, secret: 'sec', id: 201 }),
    sync('b', 'kick: unknown participant (428)', { request: 'kick', room: R, secret: 'sec', id: 999 }),
    sync('b', 'moderate: no id (429)', { request: 'moderate', room: R, secret: 'sec', mid: '0', mute: true }),
    sync('b', 'moderate: wrong secret (433)', {
      request: 'moderate',
      room: R,
      secret: 'bad',
      id: 201,
      mid: '0',
      mute: true,
    }),
    sync('b', 'moderate: unknown participant (428)', {
      request: 'moderate',
      room: R,
      secret: 'sec',
      id: 999,
      mid: '0',
      mute: true,
    }),
    // listparticipants / listforwarders / rtp_forward / stop_rtp_forward
    sync('b', 'listparticipants: no room (429)', { request: 'listparticipants' }),
    sync('b', 'listparticipants: room not a number (430)', { request: 'listparticipants', room: 'x' }),
    sync('b', 'listforwarders: wrong secret (433)', { request: 'listforwarders', room: R, secret: 'bad' }),
    sync('b', 'listforwarders: unknown room (426)', { request: 'listforwarders', room: R + 1, secret: 'sec' }),
    sync('b', 'rtp_forward: no publisher_id (429)', {
      request: 'rtp_forward',
      room: R,
      secret: 'sec',
      host: '127.0.0.1',
    }),
    sync('b', 'rtp_forward: no host (429)', { request: 'rtp_forward', room: R, secret: 'sec', publisher_id: 201 }),
    sync('b', 'rtp_forward: wrong secret (433)', {
      request: 'rtp_forward',
      room: R,
      secret: 'bad',
      publisher_id: 201,
      host: '127.0.0.1',
    }),
    sync('b', 'rtp_forward: unknown publisher (428)', {
      request: 'rtp_forward',
      room: R,
      secret: 'sec',
      publisher_id: 999,
      host: '127.0.0.1',
    }),
    sync('b', 'stop_rtp_forward: no stream_id (429)', {
      request: 'stop_rtp_forward',
      room: R,
      secret: 'sec',
      publisher_id: 201,
    }),
    sync('b', 'stop_rtp_forward: unknown publisher (428)', {
      request: 'stop_rtp_forward',
      room: R,
      secret: 'sec',
      publisher_id: 999,
      stream_id: 1,
    }),
    // join
    async_('b', 'join: unknown ptype, no pin (429)', { request: 'join', ptype: 'dancer', room: R }),
    async_('b', 'join: unknown ptype (430)', { request: 'join', ptype: 'dancer', room: R, pin: 'pin' }),
    async_('b', 'join: unknown ptype, unknown room (426)', { request: 'join', ptype: 'dancer', room: R + 1 }),
    async_('b', 'join: room not a number (430)', { request: 'join', ptype: 'publisher', room: 'x' }),
    async_('b', 'join: wrong pin (433)', { request: 'join', ptype: 'publisher', room: R, pin: 'bad' }),
    async_('b', 'join: no pin (429)', { request: 'join', ptype: 'publisher', room: R }),
    async_('b', 'join: id not a number (430)', { request: 'join', ptype: 'publisher', room: R, pin: 'pin', id: 'me' }),
    async_('b', 'join: display not a string (430)', {
      request: 'join',
      ptype: 'publisher',
      room: R,
      pin: 'pin',
      display: 5,
    }),
    async_('b', 'join: taken id (436)', { request: 'join', ptype: 'publisher', room: R, pin: 'pin', id: 201 }),
    async_('b', 'subscribe: no streams (429)', { request: 'join', ptype: 'subscriber', room: R, pin: 'pin' }),
    async_('b', 'subscribe: unknown feed (428)', {
      request: 'join',
      ptype: 'subscriber',
      room: R,
      pin: 'pin',
      streams: [{ feed: 999 }],
    }),
    async_('b', 'subscribe: feed not published yet (428)', {
      request: 'join',
      ptype: 'subscriber',
      room: R,
      pin: 'pin',
      streams: [{ feed: 201 }],
    }),
    // requests that need a joined handle
    async_('b', 'configure before join (424)', { request: 'configure', audio: true }),
    async_('b', 'publish before join (424)', { request: 'publish' }),
    async_('b', 'start before join (424)', { request: 'start' }),
    async_('b', 'switch before join (424)', { request: 'switch', streams: [] }),
    async_('b', 'leave before join', { request: 'leave' }),
    // nothing changed
    sync('a', 'listparticipants after', { request: 'listparticipants', room: R }),
    sync('a', 'exists after', { request: 'exists', room: R }),
    sync('a', 'destroy', { request: 'destroy', room: R, secret: 'sec' }),
  ],
};

/** Recording settings of a room and enable_recording (no publisher: nothing is written on either side). */
const REC = ROOM + 40;
const recording: Case = {
  name: 'videoroom: recording options, edit and enable_recording',
  steps: [
    ...vrHandle('a'),
    sync('a', 'create with lock_record and rec_dir', {
      request: 'create',
      room: REC,
      secret: 'sec',
      lock_record: true,
      rec_dir: '/tmp/janus-diff-recordings',
    }),
    sync('a', 'create with record true', { request: 'create', room: REC + 1, record: true }),
    sync('a', 'enable_recording without record (429)', { request: 'enable_recording', room: REC, secret: 'sec' }),
    sync('a', 'enable_recording record not a boolean (430)', {
      request: 'enable_recording',
      room: REC,
      secret: 'sec',
      record: 'yes',
    }),
    sync('a', 'enable_recording without secret (429)', { request: 'enable_recording', room: REC, record: true }),
    sync('a', 'enable_recording wrong secret (433)', {
      request: 'enable_recording',
      room: REC,
      secret: 'x',
      record: true,
    }),
    sync('a', 'enable_recording no such room (426)', { request: 'enable_recording', room: REC + 2, record: true }),
    sync('a', 'enable_recording on', { request: 'enable_recording', room: REC, secret: 'sec', record: true }),
    sync('a', 'enable_recording on again', { request: 'enable_recording', room: REC, secret: 'sec', record: true }),
    sync('a', 'edit new_rec_dir and new_lock_record', {
      request: 'edit',
      room: REC,
      secret: 'sec',
      new_rec_dir: '/tmp/janus-diff-recordings-2',
      new_lock_record: false,
    }),
    sync('a', 'edit new_lock_record wrong type (430)', {
      request: 'edit',
      room: REC,
      secret: 'sec',
      new_lock_record: 'yes',
    }),
    sync('a', 'enable_recording off', { request: 'enable_recording', room: REC, secret: 'sec', record: false }),
    sync('a', 'destroy', { request: 'destroy', room: REC, secret: 'sec' }),
    sync('a', 'destroy the recorded room', { request: 'destroy', room: REC + 1 }),
  ],
};

export const videoroomCases: Case[] = [
  recording,
  {
    name: 'videoroom: synchronous requests and their errors',
    steps: [
      ...vrHandle('a'),
      sync('a', 'create', {
        request: 'create',
        room: ROOM,
        description: 'diff',
        secret: 'sec',
        pin: '42',
        publishers: 2,
        bitrate: 128000,
      }),
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
      async_('a', 'join publisher', {
        request: 'join',
        ptype: 'publisher',
        room: ROOM + 10,
        id: 101,
        display: 'alice',
      }),
      async_('b', 'join with a taken id (436)', { request: 'join', ptype: 'publisher', room: ROOM + 10, id: 101 }),
      async_('b', 'join no such room (426)', { request: 'join', ptype: 'publisher', room: ROOM + 11 }),
      async_('b', 'join without ptype (429)', { request: 'join', room: ROOM + 10 }),
      async_('b', 'join publisher', { request: 'join', ptype: 'publisher', room: ROOM + 10, id: 102, display: 'bob' }),
      async_('b', 'join twice (425)', { request: 'join', ptype: 'publisher', room: ROOM + 10, id: 103 }),
      sync('a', 'listparticipants', { request: 'listparticipants', room: ROOM + 10 }),
      async_('b', 'unpublish when not publishing (435)', { request: 'unpublish' }),
      // The kicked participant and the others hear of it: collected here, so that later steps take their own.
      sync(
        'a',
        'kick',
        { request: 'kick', room: ROOM + 10, secret: 'sec', id: 102 },
        { events: ['event'], on: { b: ['event'] }, quietMs: 200 },
      ),
      async_('a', 'leave', { request: 'leave' }),
      async_('a', 'configure after leave (426)', { request: 'configure', audio: true }),
      sync('a', 'destroy', { request: 'destroy', room: ROOM + 10, secret: 'sec' }),
    ],
  },
  badInput,
];
