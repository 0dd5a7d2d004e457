/**
 * The request scripts run against both the reference Janus and our edge. Each case is independent:
 * it makes its own sessions over its own WebSockets (closed at the end, which destroys their
 * sessions) or over HTTP (destroyed by the script).
 */
import type { Step } from './harness.js';

export interface Case {
  name: string;
  steps: Step[];
}

const ECHO = 'janus.plugin.echotest';
const UNKNOWN_SESSION = 987654321012;

/** The echotest's `{result:"done"}` event (its hangup_media). */
const isEchoDone = (m: Record<string, unknown>) =>
  (m.plugindata as { data?: { result?: unknown } } | undefined)?.data?.result === 'done';
const UNKNOWN_HANDLE = 123456789098;
const SDP_OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
  'a=setup:actpass',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');

/** `server_info` carries build and host facts; only which keys exist (and their types) is compared. */
const INFO_VALUES_DIFFER = ['plugins', 'transports', 'events', 'loggers', 'dependencies'];

/** WS create + attach echotest, saving $s and $h. */
const wsSessionWithEcho = (conn = 'a'): Step[] => [
  { via: 'ws', conn, body: { janus: 'create' }, save: { s: 'data.id' }, expect: { janus: 'success' } },
  {
    via: 'ws',
    conn,
    body: { janus: 'attach', session_id: '$s', plugin: ECHO },
    save: { h: 'data.id' },
    expect: { janus: 'success' },
  },
];

const httpSessionWithEcho: Step[] = [
  { via: 'http', body: { janus: 'create' }, save: { s: 'data.id' }, expect: { janus: 'success' } },
  {
    via: 'http',
    path: '/$s',
    body: { janus: 'attach', plugin: ECHO },
    save: { h: 'data.id' },
    expect: { janus: 'success' },
  },
];

export const cases: Case[] = [
  {
    name: 'info and ping (HTTP GET/POST, WS)',
    steps: [
      {
        name: 'GET /info',
        via: 'get',
        path: '/info',
        compare: 'keys',
        ignore: INFO_VALUES_DIFFER,
        expect: { janus: 'server_info', status: 200 },
      },
      {
        name: 'POST info',
        via: 'http',
        body: { janus: 'info' },
        compare: 'keys',
        ignore: INFO_VALUES_DIFFER,
        expect: { janus: 'server_info' },
      },
      { name: 'GET /ping', via: 'get', path: '/ping', expect: { janus: 'pong' } },
      { name: 'POST ping', via: 'http', body: { janus: 'ping' }, expect: { janus: 'pong' } },
      {
        name: 'WS info',
        via: 'ws',
        body: { janus: 'info' },
        compare: 'keys',
        ignore: INFO_VALUES_DIFFER,
        expect: { janus: 'server_info' },
      },
      { name: 'WS ping', via: 'ws', body: { janus: 'ping' }, expect: { janus: 'pong' } },
      { name: 'verbs are case-insensitive', via: 'ws', body: { janus: 'PING' }, expect: { janus: 'pong' } },
    ],
  },
  {
    name: 'server_info: echotest plugin entry',
    steps: [
      {
        name: 'GET /info plugins.echotest',
        via: 'get',
        path: '/info',
        pick: ['janus', 'plugins/janus.plugin.echotest'],
        expect: { janus: 'server_info' },
      },
    ],
  },
  {
    name: 'WS lifecycle: create/keepalive/attach/message/hangup/detach/destroy',
    steps: [
      ...wsSessionWithEcho(),
      { via: 'ws', body: { janus: 'keepalive', session_id: '$s' }, expect: { janus: 'ack' } },
      {
        name: 'message (ack + event)',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { audio: true } },
        events: ['event'],
        expect: { janus: 'ack' },
      },
      {
        name: 'message with bad echotest element (ack + error event)',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { audio: 'yes' } },
        events: ['event'],
        expect: { janus: 'ack' },
      },
      {
        name: 'hangup without PC',
        via: 'ws',
        body: { janus: 'hangup', session_id: '$s', handle_id: '$h' },
        quietMs: 300,
        expect: { janus: 'success' },
      },
      {
        name: 'detach (+detached)',
        via: 'ws',
        body: { janus: 'detach', session_id: '$s', handle_id: '$h' },
        events: ['detached'],
        quietMs: 300,
        expect: { janus: 'success' },
      },
      {
        name: 'detach again (459)',
        via: 'ws',
        body: { janus: 'detach', session_id: '$s', handle_id: '$h' },
        expect: { janus: 'error', code: 459 },
      },
      { via: 'ws', body: { janus: 'destroy', session_id: '$s' }, quietMs: 300, expect: { janus: 'success' } },
      {
        name: 'keepalive after destroy (458)',
        via: 'ws',
        body: { janus: 'keepalive', session_id: '$s' },
        expect: { janus: 'error', code: 458 },
      },
    ],
  },
  {
    name: 'WS detach and destroy with live handles (async messages)',
    steps: [
      ...wsSessionWithEcho(),
      {
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: ECHO },
        save: { h2: 'data.id' },
        expect: { janus: 'success' },
      },
      // Janus queues the plugin's hangup_media on the handle's loop while detach destroys the plugin
      // session: the echotest's {result:"done"} comes out or not depending on which thread wins.
      {
        name: 'detach without hangup',
        via: 'ws',
        body: { janus: 'detach', session_id: '$s', handle_id: '$h' },
        events: ['detached'],
        quietMs: 300,
        racyExtra: isEchoDone,
        expect: { janus: 'success' },
      },
      {
        name: 'destroy with a live handle',
        via: 'ws',
        body: { janus: 'destroy', session_id: '$s' },
        quietMs: 300,
        expect: { janus: 'success' },
      },
    ],
  },
  {
    name: 'HTTP lifecycle and long poll (maxev=1, maxev>1)',
    steps: [
      ...httpSessionWithEcho,
      { via: 'http', path: '/$s', body: { janus: 'keepalive' }, expect: { janus: 'ack' } },
      {
        name: 'message (ack)',
        via: 'http',
        path: '/$s/$h',
        body: { janus: 'message', body: { audio: true } },
        expect: { janus: 'ack' },
      },
      { name: 'poll maxev=1 → object', via: 'get', path: '/$s?maxev=1', expect: { janus: 'event', status: 200 } },
      {
        name: 'message (ack) again',
        via: 'http',
        path: '/$s/$h',
        body: { janus: 'message', body: { video: false } },
        expect: { janus: 'ack' },
      },
      { via: 'sleep', ms: 300 },
      { name: 'poll maxev=5 → array', via: 'get', path: '/$s?maxev=5', expect: { status: 200 } },
      { name: 'GET /janus/s/h → 302', via: 'get', path: '/$s/$h', compare: 'none', expect: { status: 302 } },
      {
        name: 'hangup without PC',
        via: 'http',
        path: '/$s/$h',
        body: { janus: 'hangup' },
        expect: { janus: 'success' },
      },
      // Give Janus's handle loop time to run hangup_media before the detach destroys the plugin session.
      { via: 'sleep', ms: 300 },
      { name: 'detach', via: 'http', path: '/$s/$h', body: { janus: 'detach' }, expect: { janus: 'success' } },
      { via: 'sleep', ms: 300 },
      // Janus calls the plugin's hangup_media even without a PeerConnection, so the echotest says
      // {result:"done"} before the `detached`: both are queued.
      {
        name: 'poll maxev=5 → [echotest done, detached]',
        via: 'get',
        path: '/$s?maxev=5',
        timeoutMs: 3000,
        expect: { status: 200 },
      },
      {
        name: 'body session_id conflicting with path (457)',
        via: 'http',
        path: '/$s',
        body: { janus: 'keepalive', session_id: UNKNOWN_SESSION },
        expect: { janus: 'error', code: 457 },
      },
      { via: 'http', path: '/$s', body: { janus: 'destroy' }, expect: { janus: 'success' } },
      { name: 'poll after destroy → 404', via: 'get', path: '/$s', compare: 'none', expect: { status: 404 } },
      {
        name: 'poll unknown session → 404',
        via: 'get',
        path: `/${UNKNOWN_SESSION}`,
        compare: 'none',
        expect: { status: 404 },
      },
    ],
  },
  {
    name: 'unknown plugin (460)',
    steps: [
      { via: 'ws', body: { janus: 'create' }, save: { s: 'data.id' } },
      {
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: 'janus.plugin.nosuchthing' },
        expect: { janus: 'error', code: 460 },
      },
      {
        name: 'attach without plugin (456)',
        via: 'ws',
        body: { janus: 'attach', session_id: '$s' },
        expect: { janus: 'error', code: 456 },
      },
      {
        name: 'attach plugin not a string (467)',
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: 42 },
        expect: { janus: 'error', code: 467 },
      },
    ],
  },
  {
    name: 'wrong verb at a path (457) and unknown verbs (453)',
    steps: [
      ...httpSessionWithEcho,
      {
        name: 'attach at /janus',
        via: 'http',
        body: { janus: 'attach', plugin: ECHO },
        expect: { janus: 'error', code: 457 },
      },
      { name: 'keepalive at /janus', via: 'http', body: { janus: 'keepalive' }, expect: { janus: 'error', code: 457 } },
      {
        name: 'unknown verb at /janus',
        via: 'http',
        body: { janus: 'frobnicate' },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'message at session path',
        via: 'http',
        path: '/$s',
        body: { janus: 'message', body: {} },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'trickle at session path',
        via: 'http',
        path: '/$s',
        body: { janus: 'trickle', candidate: { completed: true } },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'detach at session path',
        via: 'http',
        path: '/$s',
        body: { janus: 'detach' },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'attach at handle path',
        via: 'http',
        path: '/$s/$h',
        body: { janus: 'attach', plugin: ECHO },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'destroy at handle path',
        via: 'http',
        path: '/$s/$h',
        body: { janus: 'destroy' },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'create at session path',
        via: 'http',
        path: '/$s',
        body: { janus: 'create' },
        expect: { janus: 'error', code: 453 },
      },
      { name: 'keepalive at handle path', via: 'http', path: '/$s/$h', body: { janus: 'keepalive' } },
      {
        name: 'unknown verb at session path',
        via: 'http',
        path: '/$s',
        body: { janus: 'frobnicate' },
        expect: { janus: 'error', code: 453 },
      },
      {
        name: 'unknown verb at handle path',
        via: 'http',
        path: '/$s/$h',
        body: { janus: 'frobnicate' },
        expect: { janus: 'error', code: 453 },
      },
      {
        name: 'WS attach without session_id',
        via: 'ws',
        body: { janus: 'attach', plugin: ECHO },
        expect: { janus: 'error', code: 457 },
      },
      { via: 'http', path: '/$s', body: { janus: 'destroy' }, expect: { janus: 'success' } },
    ],
  },
  {
    name: 'envelope errors: 454/455/456/467',
    steps: [
      {
        name: 'HTTP non-JSON (454)',
        via: 'http',
        body: { raw: '{"janus": "create", oops' },
        expect: { janus: 'error', code: 454 },
      },
      {
        name: 'HTTP array (455)',
        via: 'http',
        body: { raw: '[{"janus":"create","transaction":"x"}]' },
        expect: { janus: 'error', code: 455 },
      },
      // Janus parses with jansson, which only takes an object or array at the top: a scalar is 454.
      { name: 'HTTP scalar (454)', via: 'http', body: { raw: '42' }, expect: { janus: 'error', code: 454 } },
      {
        name: 'HTTP missing transaction (456)',
        via: 'http',
        body: { janus: 'create' },
        noTx: true,
        expect: { janus: 'error', code: 456 },
      },
      { name: 'HTTP missing janus (456)', via: 'http', body: { foo: 'bar' }, expect: { janus: 'error', code: 456 } },
      {
        name: 'HTTP transaction not a string (467)',
        via: 'http',
        body: { janus: 'create', transaction: 123 },
        expect: { janus: 'error', code: 467 },
      },
      { name: 'HTTP janus not a string (467)', via: 'http', body: { janus: 7 }, expect: { janus: 'error', code: 467 } },
      { name: 'WS non-JSON (454)', via: 'ws', body: { raw: 'not json at all' }, expect: { janus: 'error', code: 454 } },
      // The WS transport hands any parsed JSON to the core, which finds no transaction in an array.
      { name: 'WS array (456)', via: 'ws', body: { raw: '[1,2]' }, expect: { janus: 'error', code: 456 } },
      { name: 'WS scalar (454)', via: 'ws', body: { raw: '"create"' }, expect: { janus: 'error', code: 454 } },
      {
        name: 'WS missing transaction (456)',
        via: 'ws',
        body: { janus: 'ping' },
        noTx: true,
        expect: { janus: 'error', code: 456 },
      },
      {
        name: 'WS transaction not a string (467)',
        via: 'ws',
        body: { janus: 'ping', transaction: 5 },
        expect: { janus: 'error', code: 467 },
      },
    ],
  },
  {
    name: 'unknown session (458) and handle (459)',
    steps: [
      {
        name: 'WS keepalive unknown session',
        via: 'ws',
        body: { janus: 'keepalive', session_id: UNKNOWN_SESSION },
        expect: { janus: 'error', code: 458 },
      },
      {
        name: 'HTTP keepalive unknown session',
        via: 'http',
        path: `/${UNKNOWN_SESSION}`,
        body: { janus: 'keepalive' },
        expect: { janus: 'error', code: 458 },
      },
      {
        name: 'HTTP message unknown session',
        via: 'http',
        path: `/${UNKNOWN_SESSION}/${UNKNOWN_HANDLE}`,
        body: { janus: 'message', body: {} },
        expect: { janus: 'error', code: 458 },
      },
      { via: 'ws', body: { janus: 'create' }, save: { s: 'data.id' } },
      {
        name: 'WS message unknown handle',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: UNKNOWN_HANDLE, body: {} },
        expect: { janus: 'error', code: 459 },
      },
      {
        name: 'WS detach unknown handle',
        via: 'ws',
        body: { janus: 'detach', session_id: '$s', handle_id: UNKNOWN_HANDLE },
        expect: { janus: 'error', code: 459 },
      },
      { name: 'WS session_id 0', via: 'ws', body: { janus: 'keepalive', session_id: 0 } },
      { name: 'WS session_id not a number', via: 'ws', body: { janus: 'keepalive', session_id: 'abc' } },
    ],
  },
  {
    name: 'create with a taken id (468)',
    steps: [
      { via: 'ws', body: { janus: 'create' }, save: { s: 'data.id' } },
      {
        name: 'create with taken id',
        via: 'ws',
        body: { janus: 'create', id: '$s' },
        expect: { janus: 'error', code: 468 },
      },
      {
        name: 'create with a chosen free id',
        via: 'ws',
        body: { janus: 'create', id: 4242424242 },
        save: { s2: 'data.id' },
        expect: { janus: 'success' },
      },
      {
        name: 'create id not a number (467)',
        via: 'ws',
        body: { janus: 'create', id: 'seven' },
        expect: { janus: 'error', code: 467 },
      },
    ],
  },
  {
    name: 'trickle',
    steps: [
      ...wsSessionWithEcho(),
      {
        name: 'candidate and candidates (454)',
        via: 'ws',
        body: { janus: 'trickle', session_id: '$s', handle_id: '$h', candidate: { completed: true }, candidates: [] },
        expect: { janus: 'error', code: 454 },
      },
      {
        name: 'neither (456)',
        via: 'ws',
        body: { janus: 'trickle', session_id: '$s', handle_id: '$h' },
        expect: { janus: 'error', code: 456 },
      },
      {
        name: 'completed before any PC (ack)',
        via: 'ws',
        body: { janus: 'trickle', session_id: '$s', handle_id: '$h', candidate: { completed: true } },
        expect: { janus: 'ack' },
      },
      {
        name: 'candidate before any PC (ack)',
        via: 'ws',
        body: {
          janus: 'trickle',
          session_id: '$s',
          handle_id: '$h',
          candidate: {
            sdpMid: '0',
            sdpMLineIndex: 0,
            candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host',
          },
        },
        expect: { janus: 'ack' },
      },
      {
        name: 'candidates array (ack)',
        via: 'ws',
        body: { janus: 'trickle', session_id: '$s', handle_id: '$h', candidates: [{ completed: true }] },
        expect: { janus: 'ack' },
      },
    ],
  },
  {
    name: 'message errors: 456/467/464/469',
    steps: [
      ...wsSessionWithEcho(),
      {
        name: 'message without body (456)',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h' },
        expect: { janus: 'error', code: 456 },
      },
      {
        name: 'body not an object (467)',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: 'hi' },
        expect: { janus: 'error', code: 467 },
      },
      {
        name: 'jsep with unknown type (464)',
        via: 'ws',
        body: {
          janus: 'message',
          session_id: '$s',
          handle_id: '$h',
          body: {},
          jsep: { type: 'pranswer', sdp: SDP_OFFER },
        },
        expect: { janus: 'error', code: 464 },
      },
      {
        name: 'answer without offer (469)',
        via: 'ws',
        body: {
          janus: 'message',
          session_id: '$s',
          handle_id: '$h',
          body: {},
          jsep: { type: 'answer', sdp: SDP_OFFER },
        },
        expect: { janus: 'error', code: 469 },
      },
      {
        name: 'jsep without sdp (456)',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: {}, jsep: { type: 'offer' } },
        expect: { janus: 'error', code: 456 },
      },
      // Janus checks the jsep's type itself: "Invalid jsep object" is 455, not 467.
      {
        name: 'jsep not an object (455)',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: {}, jsep: 'offer' },
        expect: { janus: 'error', code: 455 },
      },
    ],
  },
  {
    name: 'admin: global requests',
    steps: [
      { via: 'ws', body: { janus: 'create' }, save: { s: 'data.id' } },
      {
        name: 'admin info',
        via: 'admin',
        body: { janus: 'info' },
        noSecret: true,
        compare: 'keys',
        ignore: INFO_VALUES_DIFFER,
        expect: { janus: 'server_info' },
      },
      { name: 'admin ping', via: 'admin', body: { janus: 'ping' }, noSecret: true, expect: { janus: 'pong' } },
      { name: 'get_status', via: 'admin', body: { janus: 'get_status' }, expect: { janus: 'success' } },
      { name: 'list_sessions', via: 'admin', body: { janus: 'list_sessions' }, expect: { janus: 'success' } },
      {
        name: 'set_session_timeout (global)',
        via: 'admin',
        body: { janus: 'set_session_timeout', timeout: 60 },
        expect: { janus: 'success' },
      },
      {
        name: 'set_session_timeout timeout missing (456)',
        via: 'admin',
        body: { janus: 'set_session_timeout' },
        expect: { janus: 'error', code: 456 },
      },
      {
        name: 'wrong admin_secret (403)',
        via: 'admin',
        body: { janus: 'list_sessions', admin_secret: 'nope' },
        noSecret: true,
        expect: { janus: 'error', code: 403 },
      },
      {
        name: 'missing admin_secret (403)',
        via: 'admin',
        body: { janus: 'get_status' },
        noSecret: true,
        expect: { janus: 'error', code: 403 },
      },
      // At the global level Janus's admin API answers any verb it does not know there with 457.
      {
        name: 'unknown admin verb at /admin (457)',
        via: 'admin',
        body: { janus: 'frobnicate' },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'message_plugin unknown plugin (460)',
        via: 'admin',
        body: { janus: 'message_plugin', plugin: 'janus.plugin.nosuchthing', request: {} },
        expect: { janus: 'error', code: 460 },
      },
      {
        name: 'custom_event',
        via: 'admin',
        body: { janus: 'custom_event', schema: 'differential', data: { hello: 'world' } },
        expect: { janus: 'success' },
      },
      {
        name: 'custom_event without schema (456)',
        via: 'admin',
        body: { janus: 'custom_event', data: {} },
        expect: { janus: 'error', code: 456 },
      },
      { name: 'admin non-JSON (454)', via: 'admin', body: { raw: 'nope{' }, expect: { janus: 'error', code: 454 } },
      {
        name: 'admin missing transaction (456)',
        via: 'admin',
        body: { janus: 'get_status' },
        noTx: true,
        expect: { janus: 'error', code: 456 },
      },
    ],
  },
  {
    name: 'admin: session and handle requests',
    steps: [
      ...wsSessionWithEcho(),
      {
        name: 'list_handles (path)',
        via: 'admin',
        path: '/$s',
        body: { janus: 'list_handles' },
        expect: { janus: 'success' },
      },
      {
        name: 'list_handles (body)',
        via: 'admin',
        body: { janus: 'list_handles', session_id: '$s' },
        expect: { janus: 'success' },
      },
      {
        name: 'handle_info (top-level keys)',
        via: 'admin',
        path: '/$s/$h',
        body: { janus: 'handle_info' },
        compare: 'keys',
        expect: { janus: 'success' },
      },
      // Janus's admin API answers 457 "Unhandled request at this path" for unknown verbs at every level.
      {
        name: 'unknown admin verb at session path (457)',
        via: 'admin',
        path: '/$s',
        body: { janus: 'frobnicate' },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'unknown admin verb at handle path (457)',
        via: 'admin',
        path: '/$s/$h',
        body: { janus: 'frobnicate' },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'set_session_timeout (session)',
        via: 'admin',
        path: '/$s',
        body: { janus: 'set_session_timeout', timeout: 120 },
        expect: { janus: 'success' },
      },
      {
        name: 'list_handles unknown session (458)',
        via: 'admin',
        path: `/${UNKNOWN_SESSION}`,
        body: { janus: 'list_handles' },
        expect: { janus: 'error', code: 458 },
      },
      {
        name: 'handle_info unknown handle (459)',
        via: 'admin',
        path: `/$s/${UNKNOWN_HANDLE}`,
        body: { janus: 'handle_info' },
        expect: { janus: 'error', code: 459 },
      },
      {
        name: 'message_plugin at session path (457)',
        via: 'admin',
        path: '/$s',
        body: { janus: 'message_plugin', plugin: ECHO, request: {} },
        expect: { janus: 'error', code: 457 },
      },
      {
        name: 'destroy_session',
        via: 'admin',
        path: '/$s',
        body: { janus: 'destroy_session' },
        expect: { janus: 'success' },
      },
      {
        name: 'keepalive after destroy_session (458)',
        via: 'ws',
        body: { janus: 'keepalive', session_id: '$s' },
        expect: { janus: 'error', code: 458 },
      },
    ],
  },
  {
    name: 'admin: handle_info keys of info (no PeerConnection)',
    steps: [
      ...wsSessionWithEcho(),
      {
        name: 'handle_info: keys of info',
        via: 'admin',
        path: '/$s/$h',
        body: { janus: 'handle_info' },
        at: 'info',
        compare: 'keys',
        expect: { status: 200 },
      },
      {
        name: 'handle_info: keys of info.plugin_specific (echotest)',
        via: 'admin',
        path: '/$s/$h',
        body: { janus: 'handle_info' },
        at: 'info.plugin_specific',
        compare: 'keys',
        expect: { status: 200 },
      },
      {
        name: 'handle_info plugin_only',
        via: 'admin',
        path: '/$s/$h',
        body: { janus: 'handle_info', plugin_only: true },
        at: 'info',
        compare: 'keys',
        expect: { status: 200 },
      },
    ],
  },
  {
    name: 'admin: accept_new_sessions false → create 472 → true',
    steps: [
      {
        name: 'accept false',
        via: 'admin',
        body: { janus: 'accept_new_sessions', accept: false },
        expect: { janus: 'success' },
      },
      { name: 'create refused (472)', via: 'ws', body: { janus: 'create' }, expect: { janus: 'error', code: 472 } },
      {
        name: 'accept true',
        via: 'admin',
        body: { janus: 'accept_new_sessions', accept: true },
        expect: { janus: 'success' },
      },
      { name: 'create accepted', via: 'ws', body: { janus: 'create' }, expect: { janus: 'success' } },
      {
        name: 'accept not a bool (467)',
        via: 'admin',
        body: { janus: 'accept_new_sessions', accept: 'yes' },
        expect: { janus: 'error', code: 467 },
      },
    ],
  },
];
