import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { resources, until, type StreamingResources } from './support/census.js';
import { RtpSender } from './support/rtpSender.js';
import { avMedia, StreamingHandle, watch } from './support/viewer.js';

const CYCLES = Number(process.env.STREAMING_CYCLES ?? 500);
/** Every this many cycles a viewer in the far region watches (a cascade opens and closes with it). */
const VIEWER_EVERY = 50;

const pick = (r: StreamingResources) => ({
  udpHandles: r.udpHandles,
  socketFds: r.socketFds,
  timers: r.timers,
  peers: r.peers,
  remotePublishers: r.remotePublishers,
  remotePortsInUse: r.remotePortsInUse,
  forwarderSockets: r.forwarderSockets,
  mountpoints: r.streaming.mountpoints,
  streamingSockets: r.streaming.sockets,
});

/**
 * Mountpoint create/destroy cycles with media: each mountpoint receives RTP on both ports, and every
 * 50th is watched from the other region (its cascade opens and closes). Afterwards both relays'
 * sockets, ports, timers, peers, remote publishers and forwarders are back to the baseline, counted.
 */
describe('Streaming mountpoint cycles', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    `${CYCLES} create → RTP in → (watch from afar) → destroy cycles end at baseline`,
    { timeout: 300_000 },
    async () => {
      const admin = await StreamingHandle.connect(stack, 'eu');
      const sender = new RtpSender();
      const base = { eu: pick(await resources(stack, 'eu')), us: pick(await resources(stack, 'us')) };
      const started = Date.now();
      let watched = 0;
      for (let i = 0; i < CYCLES; i++) {
        const id = 3_000_000 + i;
        const created = await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia });
        expect(created.streaming, JSON.stringify(created)).toBe('created');
        const [audio, video] = (created.stream.ports as Array<{ port: number }>).map((p) => p.port);
        if (i === 0) {
          // the census sees a live mountpoint: what must come back to the baseline is counted
          const live = pick(await resources(stack, 'eu'));
          expect(live.streamingSockets).toBe(2);
          expect(live.remotePortsInUse).toBe(base.eu.remotePortsInUse + 2);
          expect(live.socketFds).toBe(base.eu.socketFds + 2);
        }
        if (i % VIEWER_EVERY === 0) {
          const v = await watch(stack, id, 'us');
          sender.send('video', video!, true);
          for (let k = 0; k < 20; k++) {
            sender.send('audio', audio!);
            sender.send('video', video!);
          }
          await waitFor(() => v.client.received.video >= 20 && v.client.received.audio >= 20, 5000, 'far viewer media');
          watched++;
          await v.client.close();
          await v.h.close();
        } else {
          for (let k = 0; k < 5; k++) {
            sender.send('audio', audio!);
            sender.send('video', video!, k === 0);
          }
        }
        expect((await admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
      }
      const elapsed = Date.now() - started;
      sender.close();
      let now = { eu: base.eu, us: base.us };
      await until(
        async () => {
          now = { eu: pick(await resources(stack, 'eu')), us: pick(await resources(stack, 'us')) };
          return JSON.stringify(now) === JSON.stringify(base);
        },
        20_000,
        'baseline',
      ).catch(() => undefined);
      console.info(
        `[streaming-cycles] ${CYCLES} cycles (${watched} watched from afar) in ${(elapsed / 1000).toFixed(1)} s; ${JSON.stringify(base)} → ${JSON.stringify(now)}`,
      );
      expect(now).toEqual(base);
      expect((await admin.sync({ request: 'list' })).list).toEqual([]);
      await admin.close();
    },
  );
});
