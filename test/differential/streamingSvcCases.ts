/**
 * VP9 SVC mountpoints against the reference Janus 1.1.2: `create` with `svc: true` on VP9 video,
 * what `info` shows (`videosvc`), and a malformed `svc`. (SVC on another codec is left out: the
 * reference warns and creates the mountpoint without SVC, we refuse it with 456.)
 */
import type { Case } from './cases.js';
import { pluginHandle, sync } from './pluginSteps.js';

const ST = 'janus.plugin.streaming';
const M = 8_890_200;

export const STREAMING_SVC = 'streaming: VP9 SVC mountpoints';

const vp9 = { type: 'video', mid: 'v', port: 0, pt: 98, codec: 'vp9' };

export const streamingSvcCases: Case[] = [
  {
    name: STREAMING_SVC,
    steps: [
      ...pluginHandle(ST, 'a'),
      sync('a', 'create: svc', { request: 'create', type: 'rtp', id: M, media: [{ ...vp9, svc: true }] }),
      sync('a', 'info: svc', { request: 'info', id: M }),
      sync('a', 'create: svc a string (454)', {
        request: 'create',
        type: 'rtp',
        id: M + 1,
        media: [{ ...vp9, svc: 'yes' }],
      }),
      sync('a', 'destroy', { request: 'destroy', id: M }),
    ],
  },
];
