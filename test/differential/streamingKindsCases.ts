/**
 * Streaming mountpoint kinds against the reference Janus 1.1.2: H.264 with its fmtp, SRTP ingest,
 * data streams (two in one mountpoint too) and simulcast, as `create` answers them and `info` shows them, and the codes of bad
 * options. (Multicast is left out: the reference binds its groups on this host's interfaces.)
 */
import type { Case } from './cases.js';
import { pluginHandle, sync } from './pluginSteps.js';

const ST = 'janus.plugin.streaming';
const M = 8_890_100;
const CRYPTO = 'WbTBosdVUZqEb6Htqhn+m3z7wUh4RJVR8nE15GbN';

export const STREAMING_KINDS = 'streaming: H.264, SRTP, data and simulcast mountpoints, and their bad options';

const h264 = {
  type: 'video',
  mid: 'v',
  port: 0,
  pt: 96,
  codec: 'h264',
  fmtp: 'profile-level-id=42e01f;packetization-mode=1',
};
const vp8 = { type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' };

const kinds: Case = {
  name: STREAMING_KINDS,
  steps: [
    ...pluginHandle(ST, 'a'),
    sync('a', 'create: H.264 with fmtp', { request: 'create', type: 'rtp', id: M, media: [h264] }),
    sync('a', 'info: H.264', { request: 'info', id: M }),
    sync('a', 'create: SRTP', {
      request: 'create',
      type: 'rtp',
      id: M + 1,
      srtpsuite: 80,
      srtpcrypto: CRYPTO,
      media: [vp8],
    }),
    sync('a', 'info: SRTP', { request: 'info', id: M + 1 }),
    sync('a', 'create: data', {
      request: 'create',
      type: 'rtp',
      id: M + 2,
      media: [vp8, { type: 'data', mid: 'd', port: 0, datatype: 'binary', buffermsg: true }],
    }),
    sync('a', 'info: data', { request: 'info', id: M + 2 }),
    sync('a', 'create: simulcast', {
      request: 'create',
      type: 'rtp',
      id: M + 3,
      media: [{ ...vp8, simulcast: true, port2: 0, port3: 0 }],
    }),
    sync('a', 'info: simulcast', { request: 'info', id: M + 3 }),
    sync('a', 'create: SRTP suite 33 (456)', {
      request: 'create',
      type: 'rtp',
      id: M + 4,
      srtpsuite: 33,
      srtpcrypto: CRYPTO,
      media: [vp8],
    }),
    sync('a', 'create: SRTP crypto too short (456)', {
      request: 'create',
      type: 'rtp',
      id: M + 4,
      srtpsuite: 32,
      srtpcrypto: 'YWJj',
      media: [vp8],
    }),
    sync('a', 'create: SRTP suite a string (454)', {
      request: 'create',
      type: 'rtp',
      id: M + 4,
      srtpsuite: '80',
      srtpcrypto: CRYPTO,
      media: [vp8],
    }),
    sync('a', 'create: mcast a number (454)', {
      request: 'create',
      type: 'rtp',
      id: M + 4,
      media: [{ ...vp8, mcast: 5 }],
    }),
    // Janus 1.1.2 takes several data streams, each on its own port
    sync('a', 'create: two data streams', {
      request: 'create',
      type: 'rtp',
      id: M + 5,
      media: [
        { type: 'data', mid: 'd1', port: 0 },
        { type: 'data', mid: 'd2', port: 0, datatype: 'binary' },
      ],
    }),
    sync('a', 'info: two data streams', { request: 'info', id: M + 5 }),
    sync('a', 'create: top-level datatype json (454)', {
      request: 'create',
      type: 'rtp',
      id: M + 4,
      datatype: 'json',
      media: [{ type: 'data', mid: 'd', port: 0 }],
    }),
    sync('a', 'list', { request: 'list' }),
    ...[0, 1, 2, 3, 5].map((i) => sync('a', `destroy ${i}`, { request: 'destroy', id: M + i })),
  ],
};

export const streamingKindsCases: Case[] = [kinds];
