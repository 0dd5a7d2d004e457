/**
 * AudioBridge request scripts run against the reference Janus 1.1.2 and our edge: every synchronous
 * request (answers compared in the `success` plugindata) with its errors (480–499), and join,
 * configure, changeroom, leave and hangup without media (the `ack`, then the `event`; what the other
 * participants hear is compared too). Refusals of what we do not implement are in deliberate.ts.
 */
import { async_, sync } from './pluginSteps.js';
import type { Case } from './cases.js';
import type { Step } from './harness.js';

const AB = 'janus.plugin.audiobridge';
const ROOM = 8_880_001;

/**
 * A session on connection `conn` with an AudioBridge handle, saved as $s<conn> and $h<conn>, attached
 * with the opaque id `ab-<conn>` (event handlers hear it with every event naming the handle).
 */
const abHandle = (conn: string): Step[] => [
  { via: 'ws', conn, body: { janus: 'create' }, save: { [`s${conn}`]: 'data.id' }, expect: { janus: 'success' } },
  {
    via: 'ws',
    conn,
    body: { janus: 'attach', session_id: `$s${conn}`, plugin: AB, opaque_id: `ab-${conn}` },
    save: { [`h${conn}`]: 'data.id' },
    expect: { janus: 'success' },
  },
];

const R = ROOM;
const syncRequests: Case = {
  name: 'audiobridge: synchronous requests, their answers and error codes',
  steps: [
    ...abHandle('a'),
    sync('a', 'no request (483)', {}),
    sync('a', 'request not a string (484)', { request: 5 }),
    sync('a', 'unknown request (482)', { request: 'nope' }),
    sync('a', 'suspend: unknown in 1.1.2 (482)', { request: 'suspend', room: R, id: 1 }),
    sync('a', 'stop_all_files: unknown in 1.1.2 (482)', { request: 'stop_all_files', room: R }),
    sync('a', 'create', {
      request: 'create',
      room: R,
      description: 'differential',
      secret: 'sec',
      pin: 'pin',
      is_private: false,
      allowed: ['tok'],
      sampling_rate: 48000,
      audiolevel_event: true,
      audio_active_packets: 50,
      audio_level_average: 30,
      default_prebuffering: 10,
      default_expectedloss: 5,
      default_bitrate: 24000,
      spatial_audio: false,
    }),
    sync('a', 'create: without an id', { request: 'create' }),
    sync('a', 'create: existing room (486)', { request: 'create', room: R }),
    sync('a', 'create: room not a number (484)', { request: 'create', room: 'x' }),
    sync('a', 'create: description not a string (484)', { request: 'create', room: R + 1, description: 5 }),
    sync('a', 'create: is_private not a boolean (484)', { request: 'create', room: R + 1, is_private: 'yes' }),
    sync('a', 'create: unsupported sampling rate (499)', { request: 'create', room: R + 1, sampling_rate: 44100 }),
    sync('a', 'create: allowed not an array (484)', { request: 'create', room: R + 1, allowed: 'tok' }),
    sync('a', 'exists', { request: 'exists', room: R }),
    sync('a', 'exists: unknown room', { request: 'exists', room: R + 99 }),
    sync('a', 'exists: no room (483)', { request: 'exists' }),
    sync('a', 'listparticipants', { request: 'listparticipants', room: R }),
    sync('a', 'listparticipants: no room (483)', { request: 'listparticipants' }),
    sync('a', 'listparticipants: room not a number (484)', { request: 'listparticipants', room: 'x' }),
    sync('a', 'listparticipants: unknown room (485)', { request: 'listparticipants', room: R + 99 }),
    sync('a', 'edit', { request: 'edit', room: R, secret: 'sec', new_description: 'edited', new_pin: 'pin2' }),
    sync('a', 'edit: no secret (483)', { request: 'edit', room: R }),
    sync('a', 'edit: wrong secret (489)', { request: 'edit', room: R, secret: 'bad' }),
    sync('a', 'edit: unknown room (485)', { request: 'edit', room: R + 99, secret: 'sec' }),
    sync('a', 'allowed: add', { request: 'allowed', room: R, secret: 'sec', action: 'add', allowed: ['tok2'] }),
    sync('a', 'allowed: remove', { request: 'allowed', room: R, secret: 'sec', action: 'remove', allowed: ['tok2'] }),
    sync('a', 'allowed: bad action (484)', { request: 'allowed', room: R, secret: 'sec', action: 'bad' }),
    sync('a', 'allowed: no action (483)', { request: 'allowed', room: R, secret: 'sec' }),
    sync('a', 'allowed: wrong secret (489)', { request: 'allowed', room: R, secret: 'bad', action: 'enable' }),
    sync('a', 'allowed: disable', { request: 'allowed', room: R, secret: 'sec', action: 'disable' }),
    sync('a', 'kick: no id (483)', { request: 'kick', room: R, secret: 'sec' }),
    sync('a', 'kick: unknown user (492)', { request: 'kick', room: R, secret: 'sec', id: 42 }),
    sync('a', 'kick: wrong secret (489)', { request: 'kick', room: R, secret: 'bad', id: 42 }),
    sync('a', 'kick_all', { request: 'kick_all', room: R, secret: 'sec' }),
    sync('a', 'kick_all: unknown room (485)', { request: 'kick_all', room: R + 99, secret: 'sec' }),
    sync('a', 'mute: unknown user (492)', { request: 'mute', room: R, secret: 'sec', id: 42 }),
    sync('a', 'mute: no id (483)', { request: 'mute', room: R, secret: 'sec' }),
    sync('a', 'unmute: unknown room (485)', { request: 'unmute', room: R + 99, secret: 'sec', id: 42 }),
    sync('a', 'mute_room', { request: 'mute_room', room: R, secret: 'sec' }),
    sync('a', 'unmute_room', { request: 'unmute_room', room: R, secret: 'sec' }),
    sync('a', 'mute_room: wrong secret (489)', { request: 'mute_room', room: R, secret: 'bad' }),
    sync('a', 'resetdecoder: not in a room (487)', { request: 'resetdecoder', room: R }),
    sync('a', 'listforwarders: unknown room (485)', { request: 'listforwarders', room: R + 99, secret: 'sec' }),
    sync('a', 'destroy: wrong secret (489)', { request: 'destroy', room: R, secret: 'bad' }),
    sync('a', 'destroy', { request: 'destroy', room: R, secret: 'sec' }),
    sync('a', 'destroy: unknown room (485)', { request: 'destroy', room: R, secret: 'sec' }),
    sync('a', 'exists after destroy', { request: 'exists', room: R }),
  ],
};

/** Where both servers may write recordings and read the file played (the test creates it). */
export const AB_MEDIA_DIR = '/tmp/janus-diff-ab-media';
export const AB_TONE_FILE = `${AB_MEDIA_DIR}/tone.opus`;

/**
 * The room's media requests (recording the mix and each participant, forwarding the mix, playing
 * files) with their answers and errors.
 */
const RR = ROOM + 10;
export const roomMedia: Case = {
  name: 'audiobridge: recording, RTP forwarders and files of a room',
  steps: [
    ...abHandle('a'),
    sync('a', 'create', { request: 'create', room: RR, secret: 'sec' }),
    sync(
      'a',
      'rtp_forward',
      { request: 'rtp_forward', room: RR, secret: 'sec', host: '127.0.0.1', port: 5000 },
      {
        save: { fw: 'plugindata.data.stream_id' },
      },
    ),
    sync('a', 'rtp_forward: pcmu, always_on', {
      request: 'rtp_forward',
      room: RR,
      secret: 'sec',
      host: '127.0.0.1',
      port: 5002,
      codec: 'pcmu',
      ptype: 0,
      ssrc: 1234,
      always_on: true,
    }),
    sync('a', 'rtp_forward: no host (483)', { request: 'rtp_forward', room: RR, secret: 'sec', port: 5000 }),
    sync('a', 'rtp_forward: port 0 (484)', {
      request: 'rtp_forward',
      room: RR,
      secret: 'sec',
      host: '127.0.0.1',
      port: 0,
    }),
    sync('a', 'rtp_forward: bad codec (484)', {
      request: 'rtp_forward',
      room: RR,
      secret: 'sec',
      host: '127.0.0.1',
      port: 5000,
      codec: 'g722',
    }),
    sync('a', 'rtp_forward: wrong secret (489)', {
      request: 'rtp_forward',
      room: RR,
      secret: 'x',
      host: '127.0.0.1',
      port: 5000,
    }),
    sync('a', 'rtp_forward: unknown room (485)', {
      request: 'rtp_forward',
      room: RR + 99,
      host: '127.0.0.1',
      port: 5000,
    }),
    sync('a', 'listforwarders', { request: 'listforwarders', room: RR, secret: 'sec' }),
    sync('a', 'listforwarders: wrong secret (489)', { request: 'listforwarders', room: RR, secret: 'x' }),
    sync('a', 'stop_rtp_forward', { request: 'stop_rtp_forward', room: RR, secret: 'sec', stream_id: '$fw' }),
    sync('a', 'stop_rtp_forward: unknown stream', {
      request: 'stop_rtp_forward',
      room: RR,
      secret: 'sec',
      stream_id: 1,
    }),
    sync('a', 'stop_rtp_forward: no stream_id (483)', { request: 'stop_rtp_forward', room: RR, secret: 'sec' }),
    // Janus opens the .wav at its mixer's next tick: the waits let it (else it has no file to close).
    sync(
      'a',
      'enable_recording',
      { request: 'enable_recording', room: RR, secret: 'sec', record: true, record_dir: AB_MEDIA_DIR },
      { quietMs: 200 },
    ),
    sync('a', 'enable_recording: no record (483)', { request: 'enable_recording', room: RR, secret: 'sec' }),
    sync('a', 'enable_recording: wrong secret (489)', {
      request: 'enable_recording',
      room: RR,
      secret: 'x',
      record: false,
    }),
    sync('a', 'list: the room records', { request: 'list' }, { at: 'plugindata.data', compare: 'keys' }),
    sync('a', 'enable_recording: stop', { request: 'enable_recording', room: RR, secret: 'sec', record: false }),
    sync('a', 'enable_mjrs', { request: 'enable_mjrs', room: RR, secret: 'sec', mjrs: true, mjrs_dir: AB_MEDIA_DIR }),
    sync('a', 'enable_mjrs: no mjrs (483)', { request: 'enable_mjrs', room: RR, secret: 'sec' }),
    sync('a', 'enable_mjrs: wrong secret (489)', { request: 'enable_mjrs', room: RR, secret: 'x', mjrs: false }),
    sync('a', 'enable_mjrs: off', { request: 'enable_mjrs', room: RR, secret: 'sec', mjrs: false }),
    sync('a', 'play_file', { request: 'play_file', room: RR, secret: 'sec', filename: AB_TONE_FILE, file_id: 'tone' }),
    sync('a', 'play_file: file_id in use (490)', {
      request: 'play_file',
      room: RR,
      secret: 'sec',
      filename: AB_TONE_FILE,
      file_id: 'tone',
    }),
    sync('a', 'play_file: no filename (483)', { request: 'play_file', room: RR, secret: 'sec' }),
    sync('a', 'play_file: not a file (499)', {
      request: 'play_file',
      room: RR,
      secret: 'sec',
      filename: `${AB_MEDIA_DIR}/none.opus`,
    }),
    sync('a', 'is_playing', { request: 'is_playing', room: RR, secret: 'sec', file_id: 'tone' }),
    sync('a', 'is_playing: no file_id (483)', { request: 'is_playing', room: RR, secret: 'sec' }),
    sync('a', 'stop_file', { request: 'stop_file', room: RR, secret: 'sec', file_id: 'tone' }),
    sync('a', 'stop_file: unknown file', { request: 'stop_file', room: RR, secret: 'sec', file_id: 'nope' }),
    sync(
      'a',
      'create with record',
      { request: 'create', room: RR + 1, record: true, record_dir: AB_MEDIA_DIR },
      { quietMs: 200 },
    ),
    sync('a', 'create with mjrs', { request: 'create', room: RR + 2, mjrs: true, mjrs_dir: AB_MEDIA_DIR }),
    sync('a', 'destroy with mjrs', { request: 'destroy', room: RR + 2 }),
    sync('a', 'listparticipants: unchanged', { request: 'listparticipants', room: RR }),
    sync('a', 'destroy with record', { request: 'destroy', room: RR + 1 }),
    sync('a', 'destroy', { request: 'destroy', room: RR, secret: 'sec' }),
  ],
};

const J = ROOM + 20;
const participants: Case = {
  name: 'audiobridge: join, configure, mute, changeroom, kick, leave and hangup without media',
  steps: [
    ...abHandle('a'),
    ...abHandle('b'),
    ...abHandle('m'),
    sync('m', 'create', { request: 'create', room: J, secret: 'sec', pin: 'pin' }),
    sync('m', 'create second room', { request: 'create', room: J + 1 }),
    async_('a', 'join: no room (483)', { request: 'join' }),
    async_('a', 'join: unknown room (485)', { request: 'join', room: J + 99 }),
    async_('a', 'join: no pin (483)', { request: 'join', room: J }),
    async_('a', 'join: wrong pin (489)', { request: 'join', room: J, pin: 'bad' }),
    async_('a', 'join: bad codec (484)', { request: 'join', room: J, pin: 'pin', codec: 'g729' }),
    async_('a', 'join: muted not a boolean (484)', { request: 'join', room: J, pin: 'pin', muted: 'yes' }),
    async_('a', 'join', { request: 'join', room: J, pin: 'pin', id: 11, display: 'alice' }),
    async_('a', 'join again (491)', { request: 'join', room: J, pin: 'pin' }),
    async_('b', 'join: taken id (490)', { request: 'join', room: J, pin: 'pin', id: 11 }),
    async_(
      'b',
      'join: the others hear it',
      { request: 'join', room: J, pin: 'pin', id: 12, display: 'bob' },
      { on: { a: ['event'] } },
    ),
    sync('m', 'listparticipants', { request: 'listparticipants', room: J }),
    async_(
      'a',
      'configure: mute and rename',
      { request: 'configure', muted: true, display: 'alice2' },
      { on: { b: ['event'] } },
    ),
    async_('a', 'configure: muted not a boolean (484)', { request: 'configure', muted: 'yes' }),
    async_('m', 'configure: not in a room (487)', { request: 'configure', muted: true }),
    sync('m', 'unmute', { request: 'unmute', room: J, secret: 'sec', id: 11 }, { on: { a: ['event'], b: ['event'] } }),
    sync('m', 'mute: already unmuted', { request: 'unmute', room: J, secret: 'sec', id: 11 }),
    sync('m', 'mute_room', { request: 'mute_room', room: J, secret: 'sec' }, { on: { a: ['event'], b: ['event'] } }),
    sync(
      'm',
      'unmute_room',
      { request: 'unmute_room', room: J, secret: 'sec' },
      { on: { a: ['event'], b: ['event'] } },
    ),
    sync('a', 'resetdecoder in a room', { request: 'resetdecoder' }),
    async_('b', 'changeroom: unknown room (485)', { request: 'changeroom', room: J + 99 }),
    async_('m', 'changeroom: not in a room (487)', { request: 'changeroom', room: J + 1 }),
    async_('b', 'changeroom: same room (491)', { request: 'changeroom', room: J, pin: 'pin' }),
    async_('b', 'changeroom: no room (483)', { request: 'changeroom' }),
    async_(
      'b',
      'changeroom',
      { request: 'changeroom', room: J + 1, id: 13, display: 'bobby' },
      { on: { a: ['event'] } },
    ),
    async_('b', 'changeroom back', { request: 'changeroom', room: J, pin: 'pin', id: 12 }, { on: { a: ['event'] } }),
    sync(
      'm',
      'kick',
      { request: 'kick', room: J, secret: 'sec', id: 12 },
      { on: { a: ['event', 'event'], b: ['event'] } },
    ),
    sync('m', 'listparticipants after kick', { request: 'listparticipants', room: J }),
    async_('a', 'leave', { request: 'leave' }),
    async_('a', 'leave again (487)', { request: 'leave' }),
    async_('a', 'join after leave', { request: 'join', room: J, pin: 'pin', id: 11 }),
    async_('b', 'join after kick', { request: 'join', room: J, pin: 'pin', id: 14 }, { on: { a: ['event'] } }),
    {
      via: 'ws',
      conn: 'b',
      name: 'hangup',
      body: { janus: 'hangup', session_id: '$sb', handle_id: '$hb' },
      quietMs: 300,
    },
    sync('m', 'listparticipants after hangup', { request: 'listparticipants', room: J }),
    sync('m', 'destroy', { request: 'destroy', room: J, secret: 'sec' }, { on: { a: ['event'] } }),
    sync('m', 'destroy second room', { request: 'destroy', room: J + 1 }),
  ],
};

const admin: Case = {
  name: 'audiobridge: synchronous requests through admin message_plugin',
  steps: [
    {
      via: 'admin',
      name: 'create',
      body: { janus: 'message_plugin', plugin: AB, request: { request: 'create', room: ROOM + 30 } },
      at: 'response',
    },
    {
      via: 'admin',
      name: 'exists',
      body: { janus: 'message_plugin', plugin: AB, request: { request: 'exists', room: ROOM + 30 } },
      at: 'response',
    },
    {
      via: 'admin',
      name: 'join is not synchronous (482)',
      body: { janus: 'message_plugin', plugin: AB, request: { request: 'join', room: ROOM + 30 } },
      at: 'response',
    },
    {
      via: 'admin',
      name: 'destroy',
      body: { janus: 'message_plugin', plugin: AB, request: { request: 'destroy', room: ROOM + 30 } },
      at: 'response',
    },
  ],
};

const M = ROOM + 40;
/** With werift PeerConnections: join with an offer, media up, configure, leave and hangup. */
const withMedia: Case = {
  name: 'audiobridge: join with an offer, webrtcup, configure, leave and hangup',
  steps: [
    ...abHandle('a'),
    ...abHandle('b'),
    ...abHandle('c'),
    sync('b', 'create', { request: 'create', room: M }),
    async_('b', 'join without media', { request: 'join', room: M, id: 2, display: 'bob' }),
    async_(
      'a',
      'join with an offer (joined with the answer)',
      { request: 'join', room: M, id: 1, display: 'alice' },
      { offer: { audio: true }, on: { b: ['event'] } },
    ),
    {
      name: 'trickle completed',
      via: 'ws',
      conn: 'a',
      body: { janus: 'trickle', session_id: '$sa', handle_id: '$ha', candidate: { completed: true } },
      expect: { janus: 'ack' },
    },
    // Janus tells the others `setup:true` at setup_media (webrtcup), as we do.
    {
      name: 'webrtcup: the others hear the media set up',
      via: 'wait',
      conn: 'a',
      events: ['webrtcup'],
      on: { b: ['event'] },
      quietMs: 300,
    },
    sync('b', 'listparticipants with media', { request: 'listparticipants', room: M }),
    async_('a', 'configure with media', { request: 'configure', muted: true }, { on: { b: ['event'] } }),
    async_('c', 'join with an offer', { request: 'join', room: M, id: 3 }, { offer: { audio: true } }),
    {
      name: 'trickle completed (c)',
      via: 'ws',
      conn: 'c',
      body: { janus: 'trickle', session_id: '$sc', handle_id: '$hc', candidate: { completed: true } },
      expect: { janus: 'ack' },
    },
    { name: 'webrtcup (c)', via: 'wait', conn: 'c', events: ['webrtcup'], quietMs: 300 },
    { name: 'the others hear c join and set up', via: 'wait', conn: 'b', events: ['event', 'event'] },
    {
      name: 'hangup with media: the others hear it leave',
      via: 'ws',
      conn: 'c',
      body: { janus: 'hangup', session_id: '$sc', handle_id: '$hc' },
      events: ['hangup'],
      on: { b: ['event'] },
      quietMs: 300,
      expect: { janus: 'success' },
    },
    { name: 'a heard c join, set up and leave', via: 'wait', conn: 'a', events: ['event', 'event', 'event'] },
    async_('a', 'leave with media', { request: 'leave' }, { on: { b: ['event'] }, quietMs: 500 }),
    sync('b', 'listparticipants at the end', { request: 'listparticipants', room: M }),
    sync('b', 'destroy', { request: 'destroy', room: M }),
  ],
};

const G = ROOM + 50;
/** Janus 1.1.2's forwarding groups: create, the group of each participant and file, group forwarders. */
const groups: Case = {
  name: 'audiobridge: forwarding groups (create, join, configure, changeroom, rtp_forward, play_file)',
  steps: [
    ...abHandle('a'),
    ...abHandle('b'),
    ...abHandle('m'),
    sync('m', 'create: too many groups (484)', {
      request: 'create',
      room: G,
      groups: ['a', 'b', 'c', 'd', 'e', 'f'],
    }),
    sync('m', 'create: a group not a string (484)', { request: 'create', room: G, groups: ['a', 5] }),
    sync('m', 'create: groups not an array (484)', { request: 'create', room: G, groups: 'a' }),
    sync('m', 'create with groups', { request: 'create', room: G, secret: 'sec', groups: ['a', 'b', 'a'] }),
    sync('m', 'create without groups', { request: 'create', room: G + 1 }),
    async_('a', 'join: no group (483)', { request: 'join', room: G, id: 1 }),
    async_('a', 'join: unknown group (494)', { request: 'join', room: G, id: 1, group: 'c' }),
    async_('a', 'join: group not a string (484)', { request: 'join', room: G, id: 1, group: 5 }),
    async_('a', 'join in group a', { request: 'join', room: G, id: 1, display: 'alice', group: 'a' }),
    async_('b', 'join in group b', { request: 'join', room: G, id: 2, group: 'b' }, { on: { a: ['event'] } }),
    sync('m', 'listparticipants', { request: 'listparticipants', room: G }),
    async_('a', 'configure: unknown group (494)', { request: 'configure', group: 'c' }),
    async_('a', 'configure: to group b', { request: 'configure', group: 'b' }),
    sync('m', 'rtp_forward: unknown group (494)', {
      request: 'rtp_forward',
      room: G,
      secret: 'sec',
      host: '127.0.0.1',
      port: 5000,
      group: 'c',
    }),
    sync('m', 'rtp_forward of group a', {
      request: 'rtp_forward',
      room: G,
      secret: 'sec',
      host: '127.0.0.1',
      port: 5000,
      group: 'a',
    }),
    sync('m', 'rtp_forward of the whole mix', {
      request: 'rtp_forward',
      room: G,
      secret: 'sec',
      host: '127.0.0.1',
      port: 5002,
    }),
    sync('m', 'rtp_forward: a group in a room without groups', {
      request: 'rtp_forward',
      room: G + 1,
      host: '127.0.0.1',
      port: 5004,
      group: 'a',
    }),
    sync('m', 'listforwarders', { request: 'listforwarders', room: G, secret: 'sec' }),
    sync('m', 'play_file: no group (483)', { request: 'play_file', room: G, secret: 'sec', filename: AB_TONE_FILE }),
    sync('m', 'play_file: unknown group (494)', {
      request: 'play_file',
      room: G,
      secret: 'sec',
      filename: AB_TONE_FILE,
      group: 'c',
    }),
    async_('b', 'changeroom: into a room without groups', { request: 'changeroom', room: G + 1, id: 3, group: 'x' }),
    // Not scripted: changeroom's 483/494 for a group. Janus 1.1.2 returns from them with its rooms_mutex
    // still locked, and every later request of the plugin hangs (janus_audiobridge.c, changeroom's group
    // check); ours answers them and changes nothing (test/unit/audiobridge/groups.test.ts).
    async_(
      'b',
      'changeroom: back in group a',
      { request: 'changeroom', room: G, id: 2, group: 'a' },
      { on: { a: ['event'] } },
    ),
    sync('m', 'destroy', { request: 'destroy', room: G, secret: 'sec' }, { on: { a: ['event'], b: ['event'] } }),
    sync('m', 'destroy the room without groups', { request: 'destroy', room: G + 1 }),
  ],
};

export const audiobridgeCases: Case[] = [syncRequests, roomMedia, participants, admin, withMedia, groups];
