/**
 * Streaming (janus.plugin.streaming) scripts run against the reference Janus 1.1.2 and our edge: the
 * synchronous API with its errors (450–470), and a viewer's watch → start → pause → switch → stop
 * with a real werift PeerConnection. Refusals of what we do not build are in streamingDeliberate.ts.
 * Left out: `edit` and `disable`, which crash the reference 1.1.2 (it dies on the request), and `kick`,
 * our addition (1.1.2 answers 452): unit-tested instead.
 */
import type { Case } from './cases.js';
import { async_, pluginHandle, sync, withAnswer } from './pluginSteps.js';

const ST = 'janus.plugin.streaming';
const M = 8_890_001;
const av = [
  { type: 'audio', mid: 'a', port: 0, pt: 111, codec: 'opus' },
  { type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' },
];

export const STREAMING_SYNC = 'streaming: synchronous requests, their answers and error codes';
export const STREAMING_WATCH = 'streaming: a viewer watches, starts, pauses, switches and stops';

const syncRequests: Case = {
  name: STREAMING_SYNC,
  steps: [
    ...pluginHandle(ST, 'a'),
    sync('a', 'no request (453)', {}),
    sync('a', 'request not a string (454)', { request: 5 }),
    sync('a', 'unknown request (452)', { request: 'nope' }),
    sync('a', 'list: empty', { request: 'list' }),
    sync('a', 'create', {
      request: 'create',
      type: 'rtp',
      id: M,
      description: 'd',
      metadata: 'm',
      secret: 's',
      media: av,
    }),
    sync('a', 'create: private, with a pin', {
      request: 'create',
      type: 'rtp',
      id: M + 1,
      is_private: true,
      pin: 'p',
      media: av,
    }),
    sync('a', 'create: existing id (456)', { request: 'create', type: 'rtp', id: M, media: av }),
    sync('a', 'create: no media (456)', { request: 'create', type: 'rtp', id: M + 2 }),
    sync('a', 'create: media without mid (453)', {
      request: 'create',
      type: 'rtp',
      id: M + 2,
      media: [{ type: 'audio', port: 0, pt: 111, codec: 'opus' }],
    }),
    sync('a', 'create: id not a number (454)', { request: 'create', type: 'rtp', id: 'x', media: av }),
    sync('a', 'create: unknown type (454)', { request: 'create', type: 'bogus', id: M + 2 }),
    sync('a', 'create: no type (453)', { request: 'create', id: M + 2, media: av }),
    sync('a', 'list', { request: 'list' }),
    sync('a', 'info', { request: 'info', id: M }),
    sync('a', 'info with the secret', { request: 'info', id: M, secret: 's' }),
    sync('a', 'info: unknown (455)', { request: 'info', id: M + 99 }),
    sync('a', 'info: no id (453)', { request: 'info' }),
    sync('a', 'disable: no secret (453)', { request: 'disable', id: M }),
    sync('a', 'enable', { request: 'enable', id: M, secret: 's' }),
    sync('a', 'kick_all: wrong secret (457)', { request: 'kick_all', id: M, secret: 'x' }),
    sync('a', 'kick_all', { request: 'kick_all', id: M, secret: 's' }),
    sync('a', 'recording: unknown mountpoint (455)', { request: 'recording', id: M + 99, action: 'start' }),
    sync('a', 'destroy: no secret (453)', { request: 'destroy', id: M }),
    sync('a', 'destroy: wrong secret (457)', { request: 'destroy', id: M, secret: 'x' }),
    sync('a', 'destroy: unknown (455)', { request: 'destroy', id: M + 99, secret: 's' }),
    sync('a', 'destroy', { request: 'destroy', id: M, secret: 's' }),
    sync('a', 'destroy the private one', { request: 'destroy', id: M + 1 }),
    sync('a', 'list: empty again', { request: 'list' }),
  ],
};

const watchFlow: Case = {
  name: STREAMING_WATCH,
  steps: [
    ...pluginHandle(ST, 'a'),
    sync('a', 'create', { request: 'create', type: 'rtp', id: M + 10, media: av }),
    sync('a', 'create another', { request: 'create', type: 'rtp', id: M + 11, media: av }),
    async_('a', 'start before watch (455)', { request: 'start' }),
    async_('a', 'pause before watch (455)', { request: 'pause' }),
    async_('a', 'switch before watch (455)', { request: 'switch', id: M + 11 }),
    async_('a', 'configure before watch (455)', { request: 'configure', audio: false }),
    async_('a', 'watch: unknown (455)', { request: 'watch', id: M + 99 }),
    async_('a', 'watch', { request: 'watch', id: M + 10 }, { answer: { save: 'ans' } }),
    async_('a', 'watch again (460)', { request: 'watch', id: M + 10 }),
    withAnswer('a', 'start', { request: 'start' }, 'ans', { events: ['event', 'webrtcup'], quietMs: 500 }),
    // an ICE restart (what a WHEP restart of a player that answered our offer asks for): a new offer, `updating`
    async_('a', 'watch with restart', { request: 'watch', id: M + 10, restart: true }, { answer: { save: 'ans2' } }),
    withAnswer('a', 'start after the restart', { request: 'start' }, 'ans2'),
    async_('a', 'pause', { request: 'pause' }),
    async_('a', 'start again (resume)', { request: 'start' }),
    async_('a', 'switch', { request: 'switch', id: M + 11 }),
    async_('a', 'switch: unknown (455)', { request: 'switch', id: M + 99 }),
    async_('a', 'stop', { request: 'stop' }, { events: ['event', 'hangup'], quietMs: 1000, eventsUnordered: true }),
    sync('a', 'destroy', { request: 'destroy', id: M + 10 }),
    sync('a', 'destroy the other', { request: 'destroy', id: M + 11 }),
  ],
};

export const STREAMING_RECORDING = 'streaming: recording a mountpoint, start and stop, and its errors';
/** Relative names: the reference writes into its own working directory, our relay into its recordings directory. */
const rec = (kind: string) => `streaming-diff-${process.pid}-${kind}`;

const recording: Case = {
  name: STREAMING_RECORDING,
  steps: [
    ...pluginHandle(ST, 'a'),
    sync('a', 'create', { request: 'create', type: 'rtp', id: M + 20, secret: 's', media: av }),
    sync('a', 'recording: no action (453)', { request: 'recording', id: M + 20, secret: 's' }),
    sync('a', 'recording: bad action (454)', { request: 'recording', action: 'go', id: M + 20, secret: 's' }),
    sync('a', 'recording: no id (453)', { request: 'recording', action: 'start' }),
    sync('a', 'recording: no secret (453)', { request: 'recording', action: 'start', id: M + 20 }),
    sync('a', 'recording: wrong secret (457)', { request: 'recording', action: 'start', id: M + 20, secret: 'x' }),
    sync('a', 'recording: nothing to start (452)', { request: 'recording', action: 'start', id: M + 20, secret: 's' }),
    sync('a', 'recording: start takes names (454)', {
      request: 'recording',
      action: 'start',
      id: M + 20,
      secret: 's',
      video: true,
    }),
    sync('a', 'recording: start', {
      request: 'recording',
      action: 'start',
      id: M + 20,
      secret: 's',
      media: [
        { mid: 'a', filename: rec('audio') },
        { mid: 'v', filename: rec('video') },
      ],
    }),
    sync('a', 'recording: already started (452)', {
      request: 'recording',
      action: 'start',
      id: M + 20,
      secret: 's',
      media: [{ mid: 'v', filename: rec('video2') }],
    }),
    sync('a', 'info while recording', { request: 'info', id: M + 20, secret: 's' }),
    sync('a', 'recording: nothing to stop (452)', { request: 'recording', action: 'stop', id: M + 20, secret: 's' }),
    sync('a', 'recording: stop', {
      request: 'recording',
      action: 'stop',
      id: M + 20,
      secret: 's',
      media: [{ mid: 'a' }, { mid: 'v' }],
    }),
    sync('a', 'info after the stop', { request: 'info', id: M + 20, secret: 's' }),
    sync('a', 'recording: start the video by kind', {
      request: 'recording',
      action: 'start',
      id: M + 20,
      secret: 's',
      video: rec('video3'),
    }),
    sync('a', 'recording: stop the video by kind', {
      request: 'recording',
      action: 'stop',
      id: M + 20,
      secret: 's',
      video: true,
    }),
    sync('a', 'destroy', { request: 'destroy', id: M + 20, secret: 's' }),
  ],
};

export const streamingCases: Case[] = [syncRequests, watchFlow, recording];
