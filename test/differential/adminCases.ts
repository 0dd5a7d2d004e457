/**
 * Admin API requests not covered by cases.ts, against the reference Janus and our edge: packet
 * captures, hangup_webrtc and detach_handle on a handle with a live PeerConnection (the client's events awaited on its
 * WebSocket), message_plugin to the VideoRoom, the token requests (both servers run without token
 * auth), and the global setters and queries of §3 (set to the values both start with).
 */
import type { Case } from './cases.js';
import type { Step } from './harness.js';

const ECHO = 'janus.plugin.echotest';
const VR = 'janus.plugin.videoroom';
const ROOM = 7_770_200;

const admin = (name: string, body: Record<string, unknown>, extra: Partial<Step> = {}): Step => ({
  name,
  via: 'admin',
  body: body as never,
  ...extra,
});

export const adminCases: Case[] = [
  {
    name: 'admin: hangup_webrtc and detach_handle on a live PeerConnection',
    steps: [
      { via: 'ws', body: { janus: 'create' }, save: { s: 'data.id' }, expect: { janus: 'success' } },
      {
        via: 'ws',
        body: { janus: 'attach', session_id: '$s', plugin: ECHO },
        save: { h: 'data.id' },
        expect: { janus: 'success' },
      },
      {
        name: 'message + offer',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { audio: true } },
        offer: { audio: true, video: true },
        events: ['event'],
        expect: { janus: 'ack' },
      },
      { name: 'webrtcup', via: 'wait', events: ['webrtcup'] },
      admin(
        'start_pcap on a live PeerConnection',
        { janus: 'start_pcap', folder: '/tmp/janus-diff-capture', filename: 'live.pcap', truncate: 64 },
        { path: '/$s/$h', expect: { janus: 'success' } },
      ),
      admin(
        'start_text2pcap while a capture runs (490)',
        { janus: 'start_text2pcap' },
        { path: '/$s/$h', expect: { janus: 'error', code: 490 } },
      ),
      admin(
        'stop_text2pcap stops the pcap',
        { janus: 'stop_text2pcap' },
        { path: '/$s/$h', expect: { janus: 'success' } },
      ),
      admin(
        'stop_pcap with none running (490)',
        { janus: 'stop_pcap' },
        { path: '/$s/$h', expect: { janus: 'error', code: 490 } },
      ),
      admin('hangup_webrtc', { janus: 'hangup_webrtc' }, { path: '/$s/$h', expect: { janus: 'success' } }),
      { name: 'the client hears: done, hangup', via: 'wait', events: ['event', 'hangup'], quietMs: 300 },
      admin('hangup_webrtc without a PeerConnection', { janus: 'hangup_webrtc' }, { path: '/$s/$h' }),
      { name: 'nothing more for the client', via: 'wait', quietMs: 300 },
      admin('start_pcap', { janus: 'start_pcap', folder: '/tmp', filename: 'diff.pcap' }, { path: '/$s/$h' }),
      admin('stop_pcap', { janus: 'stop_pcap' }, { path: '/$s/$h' }),
      admin('stop_text2pcap (not started)', { janus: 'stop_text2pcap' }, { path: '/$s/$h' }),
      admin('detach_handle', { janus: 'detach_handle' }, { path: '/$s/$h', expect: { janus: 'success' } }),
      { name: 'the client hears: detached', via: 'wait', events: ['detached'], quietMs: 300 },
      admin(
        'detach_handle again (459)',
        { janus: 'detach_handle' },
        { path: '/$s/$h', expect: { janus: 'error', code: 459 } },
      ),
      admin(
        'hangup_webrtc unknown handle (459)',
        { janus: 'hangup_webrtc' },
        {
          path: '/$s/123456789098',
          expect: { janus: 'error', code: 459 },
        },
      ),
    ],
  },
  {
    name: 'admin: message_plugin to the videoroom',
    steps: [
      admin(
        'create',
        { janus: 'message_plugin', plugin: VR, request: { request: 'create', room: ROOM, secret: 'sec' } },
        { expect: { janus: 'success' } },
      ),
      admin('exists', { janus: 'message_plugin', plugin: VR, request: { request: 'exists', room: ROOM } }),
      admin(
        'list (keys)',
        { janus: 'message_plugin', plugin: VR, request: { request: 'list' } },
        { at: 'response', compare: 'keys' },
      ),
      admin('listparticipants', {
        janus: 'message_plugin',
        plugin: VR,
        request: { request: 'listparticipants', room: ROOM },
      }),
      admin('an asynchronous request (join)', {
        janus: 'message_plugin',
        plugin: VR,
        request: { request: 'join', ptype: 'publisher', room: ROOM },
      }),
      admin('request missing', { janus: 'message_plugin', plugin: VR }),
      admin('request not an object', { janus: 'message_plugin', plugin: VR, request: 'list' }),
      admin('destroy', {
        janus: 'message_plugin',
        plugin: VR,
        request: { request: 'destroy', room: ROOM, secret: 'sec' },
      }),
      admin('echotest answers an empty request', { janus: 'message_plugin', plugin: ECHO, request: {} }),
      admin('echotest sends back what it got', {
        janus: 'message_plugin',
        plugin: ECHO,
        request: { request: 'anything', n: 1, nested: { ok: true } },
      }),
    ],
  },
  {
    name: 'admin: token requests without token auth',
    steps: [
      admin('add_token', { janus: 'add_token', token: 'diff-token' }),
      admin('list_tokens', { janus: 'list_tokens' }),
      admin('allow_token', { janus: 'allow_token', token: 'diff-token', plugins: [ECHO] }),
      admin('disallow_token', { janus: 'disallow_token', token: 'diff-token', plugins: [ECHO] }),
      admin('remove_token', { janus: 'remove_token', token: 'diff-token' }),
    ],
  },
  {
    name: 'admin: setters and queries',
    steps: [
      admin('set_log_level', { janus: 'set_log_level', level: 4 }, { expect: { janus: 'success' } }),
      admin('set_log_level out of range', { janus: 'set_log_level', level: 9 }, { expect: { janus: 'error' } }),
      admin('set_log_level not a number', { janus: 'set_log_level', level: 'loud' }, { expect: { janus: 'error' } }),
      admin('set_log_timestamps', { janus: 'set_log_timestamps', timestamps: false }),
      admin('set_log_colors', { janus: 'set_log_colors', colors: false }),
      admin('set_locking_debug', { janus: 'set_locking_debug', debug: false }),
      admin('set_refcount_debug', { janus: 'set_refcount_debug', debug: false }),
      admin('set_min_nack_queue', { janus: 'set_min_nack_queue', min_nack_queue: 200 }),
      admin('set_nack_optimizations', { janus: 'set_nack_optimizations', nack_optimizations: false }),
      admin('set_no_media_timer', { janus: 'set_no_media_timer', no_media_timer: 1 }),
      admin('set_slowlink_threshold', { janus: 'set_slowlink_threshold', slowlink_threshold: 0 }),
      admin('get_status after the setters', { janus: 'get_status' }, { compare: 'keys' }),
      admin('query_transport', { janus: 'query_transport', transport: 'janus.transport.http', request: {} }),
      admin('query_eventhandler', {
        janus: 'query_eventhandler',
        handler: 'janus.eventhandler.sampleevh',
        request: {},
      }),
      admin('query_logger unknown', { janus: 'query_logger', logger: 'janus.logger.nosuch', request: {} }),
      admin('custom_logline', { janus: 'custom_logline', line: 'differential test' }),
      admin('resolve_address', { janus: 'resolve_address', address: 'localhost' }),
      admin('loops_info', { janus: 'loops_info' }),
    ],
  },
];
