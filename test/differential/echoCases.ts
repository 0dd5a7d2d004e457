/**
 * EchoTest with real offers (the harness's werift PeerConnections) and core `claim`, run against the
 * reference Janus and our edge. ICE completes on both, so `webrtcup` is awaited where it is compared.
 */
import type { Case } from './cases.js';
import type { Step } from './harness.js';

const ECHO = 'janus.plugin.echotest';
const UNKNOWN_SESSION = 987654321012;

const echoHandle = (conn = 'a'): Step[] => [
  { via: 'ws', conn, body: { janus: 'create' }, save: { s: 'data.id' }, expect: { janus: 'success' } },
  {
    via: 'ws',
    conn,
    body: { janus: 'attach', session_id: '$s', plugin: ECHO },
    save: { h: 'data.id' },
    expect: { janus: 'success' },
  },
];

/** `{echotest:"event", result:"done"}`: Janus sends it from the handle's own loop, racing other messages. */
const isEchoDone = (m: Record<string, unknown>) =>
  (m.plugindata as { data?: { result?: unknown } } | undefined)?.data?.result === 'done';

export const echoCases: Case[] = [
  {
    name: 'echotest with an offer: answer, trickle, webrtcup, hangup, a new offer, detach',
    steps: [
      ...echoHandle(),
      {
        name: 'message + offer (ack, event with the answer)',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { audio: true, video: true } },
        offer: { audio: true, video: true },
        events: ['event'],
        expect: { janus: 'ack' },
      },
      {
        name: 'trickle a candidate of the PeerConnection',
        via: 'ws',
        body: { janus: 'trickle', session_id: '$s', handle_id: '$h' },
        trickleFrom: 'a',
        expect: { janus: 'ack' },
      },
      {
        name: 'trickle completed',
        via: 'ws',
        body: { janus: 'trickle', session_id: '$s', handle_id: '$h', candidate: { completed: true } },
        expect: { janus: 'ack' },
      },
      { name: 'webrtcup', via: 'wait', events: ['webrtcup'] },
      {
        name: 'message without jsep on a live PeerConnection',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { bitrate: 128000 } },
        events: ['event'],
        expect: { janus: 'ack' },
      },
      {
        name: 'hangup (success, done, hangup)',
        via: 'ws',
        body: { janus: 'hangup', session_id: '$s', handle_id: '$h' },
        events: ['hangup'],
        quietMs: 500,
        expect: { janus: 'success' },
      },
      {
        name: 'a new offer from a new PeerConnection',
        via: 'ws',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { audio: true } },
        offer: { audio: true, fresh: true },
        events: ['event'],
        expect: { janus: 'ack' },
      },
      { name: 'webrtcup again', via: 'wait', events: ['webrtcup'] },
      {
        name: 'detach with a PeerConnection',
        via: 'ws',
        body: { janus: 'detach', session_id: '$s', handle_id: '$h' },
        events: ['detached'],
        quietMs: 500,
        racyExtra: isEchoDone,
        expect: { janus: 'success' },
      },
    ],
  },
  {
    name: 'claim: another WebSocket takes the session over',
    steps: [
      ...echoHandle('a'),
      {
        name: 'claim on b',
        via: 'ws',
        conn: 'b',
        body: { janus: 'claim', session_id: '$s' },
        expect: { janus: 'success' },
      },
      {
        name: 'message on b (its event comes to b)',
        via: 'ws',
        conn: 'b',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { audio: true } },
        events: ['event'],
        expect: { janus: 'ack' },
      },
      {
        name: 'message on a (the ack to a, the event to b)',
        via: 'ws',
        conn: 'a',
        body: { janus: 'message', session_id: '$s', handle_id: '$h', body: { video: true } },
        on: { b: ['event'] },
        quietMs: 300,
        expect: { janus: 'ack' },
      },
      {
        name: 'claim again on b',
        via: 'ws',
        conn: 'b',
        body: { janus: 'claim', session_id: '$s' },
        expect: { janus: 'success' },
      },
      {
        name: 'claim unknown session (458)',
        via: 'ws',
        conn: 'b',
        body: { janus: 'claim', session_id: UNKNOWN_SESSION },
        expect: { janus: 'error', code: 458 },
      },
      {
        name: 'claim over HTTP',
        via: 'http',
        path: '/$s',
        body: { janus: 'claim' },
        expect: { janus: 'success' },
      },
      { via: 'http', path: '/$s', body: { janus: 'destroy' }, expect: { janus: 'success' } },
    ],
  },
];
