/**
 * VideoRoom with real PeerConnections (§5.3–5.6) against the reference Janus and our edge: publishers
 * joinandconfigure/configure/publish/unpublish with offers, a subscriber joins (the `attached` event
 * with an offer), starts with its answer, pauses, configures, switches, updates and leaves; room
 * administration with live publishers (moderate, recording, forwarders) and remote publishers.
 * Notifications to the other participants are collected on their connections (`on`).
 */
import type { Case } from './cases.js';
import { async_, pluginHandle, sync, withAnswer } from './pluginSteps.js';

const VR = 'janus.plugin.videoroom';
const ROOM = 7_770_100;

/** A session on connection `conn` with a VideoRoom handle, saved as $s<conn> and $h<conn>. */
const vrHandle = (conn: string) => pluginHandle(VR, conn);

const R = ROOM;
const media: Case = {
  name: 'videoroom with PeerConnections: publish, subscribe, start, pause, configure, switch, update, leave',
  steps: [
    ...vrHandle('x'),
    ...vrHandle('p'),
    ...vrHandle('q'),
    ...vrHandle('s'),
    sync('x', 'create', { request: 'create', room: R, secret: 'sec', publishers: 6 }),
    async_(
      'p',
      'joinandconfigure with an offer',
      { request: 'joinandconfigure', ptype: 'publisher', room: R, id: 301, display: 'alice' },
      { offer: { audio: true, video: true } },
    ),
    { name: 'publisher webrtcup', via: 'wait', conn: 'p', events: ['webrtcup'] },
    async_(
      'q',
      'join publisher (sees alice)',
      { request: 'join', ptype: 'publisher', room: R, id: 302, display: 'bob' },
      { on: { p: [] }, quietMs: 300 },
    ),
    async_(
      'q',
      'configure with an offer (publishes)',
      { request: 'configure', audio: true },
      { offer: { audio: true } },
    ),
    // Janus tells the others of a new publisher once its PeerConnection is up (see deliberate.ts).
    { name: 'bob webrtcup, alice hears of him', via: 'wait', conn: 'q', events: ['webrtcup'], on: { p: ['event'] } },
    async_(
      'p',
      'configure with an offer (renegotiation)',
      { request: 'configure', bitrate: 256000 },
      { offer: { audio: true, video: true }, on: { q: [] }, quietMs: 300 },
    ),
    async_(
      's',
      'subscriber join (attached with an offer)',
      { request: 'join', ptype: 'subscriber', room: R, streams: [{ feed: 301 }] },
      { answer: { save: 'ans' } },
    ),
    withAnswer('s', 'start with the answer', { request: 'start' }, 'ans'),
    { name: 'subscriber webrtcup', via: 'wait', conn: 's', events: ['webrtcup'] },
    async_('s', 'pause', { request: 'pause' }),
    async_('s', 'start again (no jsep)', { request: 'start' }),
    async_('s', 'configure (subscriber)', { request: 'configure', streams: [{ mid: '0', send: false }] }),
    async_('s', 'switch to bob', { request: 'switch', streams: [{ feed: 302, mid: '0', sub_mid: '0' }] }),
    async_(
      's',
      'update: subscribe to bob',
      { request: 'update', subscribe: [{ feed: 302 }] },
      { answer: { save: 'ans2' }, quietMs: 300 },
    ),
    withAnswer('s', 'start with the renegotiated answer', { request: 'start' }, 'ans2'),
    async_(
      's',
      'update: unsubscribe from bob',
      { request: 'update', unsubscribe: [{ feed: 302 }] },
      { answer: { save: 'ans3' }, quietMs: 300 },
    ),
    withAnswer('s', 'start after unsubscribing', { request: 'start' }, 'ans3'),
    async_(
      's',
      'subscribe (the request) to bob',
      { request: 'subscribe', streams: [{ feed: 302 }] },
      { answer: { save: 'ans4' }, quietMs: 300 },
    ),
    withAnswer('s', 'start after subscribe', { request: 'start' }, 'ans4'),
    async_(
      's',
      'unsubscribe (the request) from bob',
      { request: 'unsubscribe', streams: [{ feed: 302 }] },
      { answer: { save: 'ans5' }, quietMs: 300 },
    ),
    withAnswer('s', 'start after unsubscribe', { request: 'start' }, 'ans5'),
    sync(
      'x',
      'moderate: mute alice audio',
      { request: 'moderate', room: R, secret: 'sec', id: 301, mid: '0', mute: true },
      { on: { p: [], q: [], s: [] }, quietMs: 300 },
    ),
    sync('x', 'listforwarders (none)', { request: 'listforwarders', room: R, secret: 'sec' }),
    sync(
      'x',
      'rtp_forward',
      {
        request: 'rtp_forward',
        room: R,
        secret: 'sec',
        publisher_id: 301,
        host: '127.0.0.1',
        streams: [{ mid: '0', port: 45004 }],
      },
      { save: { fw: 'plugindata.data.forwarders.0.stream_id' } },
    ),
    sync('x', 'listforwarders (one)', { request: 'listforwarders', room: R, secret: 'sec' }),
    sync('x', 'stop_rtp_forward', {
      request: 'stop_rtp_forward',
      room: R,
      secret: 'sec',
      publisher_id: 301,
      stream_id: '$fw',
    }),
    sync('x', 'enable_recording', { request: 'enable_recording', room: R, secret: 'sec', record: false }),
    // The reference's `unpublished` event and its `hangup` race (handler thread vs ICE thread).
    async_(
      'q',
      'unpublish',
      { request: 'unpublish' },
      { events: ['event', 'hangup'], on: { p: ['event'] }, eventsUnordered: true },
    ),
    // Janus 1.1.2 tells the others `unpublished` twice: on the request and again when the PeerConnection closes.
    { name: 'alice hears unpublished again (reference)', via: 'wait', conn: 'p', quietMs: 500 },
    async_(
      'q',
      'publish with a new offer',
      { request: 'publish', audio: true },
      { offer: { audio: true, fresh: true } },
    ),
    {
      name: 'bob webrtcup again, alice hears of him',
      via: 'wait',
      conn: 'q',
      events: ['webrtcup'],
      on: { p: ['event'] },
    },
    async_('s', 'subscriber leave', { request: 'leave' }, { events: ['event', 'hangup'], eventsUnordered: true }),
    sync(
      'x',
      'kick bob (publishing)',
      { request: 'kick', room: R, secret: 'sec', id: 302 },
      { on: { q: ['event'], p: ['event'] }, quietMs: 500 },
    ),
    async_('p', 'publisher leave', { request: 'leave' }, { on: { q: ['event'] }, quietMs: 300 }),
    sync('x', 'destroy', { request: 'destroy', room: R, secret: 'sec' }, { on: { q: ['event', 'hangup'] } }),
  ],
};

const RR = ROOM + 1;
const remote: Case = {
  name: 'videoroom remote publishers: add/update/remove_remote_publisher, publish_remotely, list_remotes',
  steps: [
    ...vrHandle('x'),
    ...vrHandle('p'),
    sync('x', 'create', { request: 'create', room: RR, secret: 'sec' }),
    sync('x', 'add_remote_publisher', {
      request: 'add_remote_publisher',
      room: RR,
      secret: 'sec',
      id: 401,
      display: 'remote',
      streams: [{ type: 'video', mid: '0', mindex: 0, codec: 'vp8' }],
    }),
    // Janus adds the remote publisher to the room from the thread it starts for it: give it a moment.
    { via: 'sleep', ms: 300 },
    sync('x', 'listparticipants (with the remote one)', { request: 'listparticipants', room: RR }),
    sync('x', 'update_remote_publisher', {
      request: 'update_remote_publisher',
      room: RR,
      secret: 'sec',
      id: 401,
      streams: [
        { type: 'video', mid: '0', mindex: 0, codec: 'vp8' },
        { type: 'audio', mid: '1', mindex: 1, codec: 'opus' },
      ],
    }),
    sync('x', 'remove_remote_publisher', { request: 'remove_remote_publisher', room: RR, secret: 'sec', id: 401 }),
    async_(
      'p',
      'joinandconfigure with an offer',
      { request: 'joinandconfigure', ptype: 'publisher', room: RR, id: 402 },
      { offer: { audio: true, video: true } },
    ),
    sync('x', 'publish_remotely', {
      request: 'publish_remotely',
      room: RR,
      secret: 'sec',
      publisher_id: 402,
      remote_id: 'r1',
      host: '127.0.0.1',
      port: 45010,
    }),
    sync('x', 'listremotes', { request: 'listremotes', room: RR, secret: 'sec', publisher_id: 402 }),
    sync('x', 'list_remotes', { request: 'list_remotes', room: RR, secret: 'sec', publisher_id: 402 }),
    sync('x', 'unpublish_remotely', {
      request: 'unpublish_remotely',
      room: RR,
      secret: 'sec',
      publisher_id: 402,
      remote_id: 'r1',
    }),
    sync('x', 'destroy', { request: 'destroy', room: RR, secret: 'sec' }, { on: { p: ['event', 'hangup'] } }),
  ],
};

const RF = ROOM + 2;
/**
 * What a publisher's streams say of their formats, offered as a browser offers: Opus with in-band FEC
 * (`fec`), several H.264 and VP9 profiles (`h264_profile`/`vp9_profile`, the room's preferred one
 * when it names one), in the publisher's answer, in `joined` and in `publishers` events.
 */
const formats: Case = {
  name: 'videoroom stream formats: opus fec, h264_profile and vp9_profile (room profiles, browser offers)',
  steps: [
    ...vrHandle('x'),
    ...vrHandle('a'),
    ...vrHandle('b'),
    ...vrHandle('c'),
    ...vrHandle('w'),
    sync('x', 'create (h264, h264_profile)', {
      request: 'create',
      room: RF,
      secret: 'sec',
      publishers: 6,
      videocodec: 'h264',
      h264_profile: '42e01f',
    }),
    sync('x', 'create (vp9 first, vp9_profile, no opus_fec)', {
      request: 'create',
      room: RF + 1,
      secret: 'sec',
      videocodec: 'vp9,h264',
      vp9_profile: '2',
      opus_fec: false,
    }),
    sync('x', 'create (h264, a vp9_profile it does not keep)', {
      request: 'create',
      room: RF + 2,
      secret: 'sec',
      videocodec: 'h264',
      vp9_profile: '2',
    }),
    async_(
      'a',
      'publish to the h264_profile room',
      { request: 'joinandconfigure', ptype: 'publisher', room: RF, id: 501 },
      { offer: { audio: true, video: true, browser: true } },
    ),
    { name: 'a webrtcup', via: 'wait', conn: 'a', events: ['webrtcup'] },
    async_('w', 'join (sees the formats of a)', { request: 'join', ptype: 'publisher', room: RF, id: 502 }),
    async_(
      'b',
      'publish to the vp9_profile room',
      { request: 'joinandconfigure', ptype: 'publisher', room: RF + 1, id: 511 },
      { offer: { audio: true, video: true, browser: true } },
    ),
    async_(
      'c',
      'publish to the room without a profile',
      { request: 'joinandconfigure', ptype: 'publisher', room: RF + 2, id: 521 },
      { offer: { audio: true, video: true, browser: true } },
    ),
    sync(
      'x',
      'add_remote_publisher (formats given and the room profile)',
      {
        request: 'add_remote_publisher',
        room: RF,
        secret: 'sec',
        id: 503,
        streams: [
          { type: 'audio', mid: '0', mindex: 0, codec: 'opus', stereo: true, fec: true },
          { type: 'video', mid: '1', mindex: 1, codec: 'h264' },
        ],
      },
      { on: { w: ['event'] } },
    ),
    sync(
      'x',
      'update_remote_publisher (a stream with a profile of its own)',
      {
        request: 'update_remote_publisher',
        room: RF,
        secret: 'sec',
        id: 503,
        streams: [{ type: 'video', mid: '2', mindex: 2, codec: 'h264', h264_profile: '640c1f' }],
      },
      { on: { w: ['event'] } },
    ),
    ...[RF, RF + 1, RF + 2].map((room, i) =>
      sync('x', `destroy ${i + 1}`, { request: 'destroy', room, secret: 'sec' }, { quietMs: 300 }),
    ),
  ],
};

export const videoroomMediaCases: Case[] = [media, remote, formats];
