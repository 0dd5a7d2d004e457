import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { STREAMING_PLUGIN } from '../../../shared/control/streaming.js';
import { spawnedRelayFixture } from '../support/spawnedRelayFixture.js';
import { handleId, sleep, SubClient } from '../sfu/support.js';

/**
 * RELAY_WORKER_THREADS=2 and a Streaming mountpoint's data stream with `buffermsg`: the kept message
 * reaches a viewer whose DataChannel is not open yet when the message arrives, and a viewer that
 * joins after it. Today Streaming viewers stay on the main thread (only VideoRoom subscribers are
 * placed on threads, relay/threads/threadPool.ts), and this guards that whatever places them keeps
 * `buffermsg` whole: a thread's mirror forwards data messages without keeping them. Real werift
 * viewers, real UDP datagrams into the mountpoint's data port, the relay as `npm start` runs it.
 */
const SECRET = 'threads-kept-secret-0123456789';
const SESSION = 9300;

const fx = spawnedRelayFixture({
  RELAY_SECRET: SECRET,
  RELAY_WORKER_THREADS: '2',
  RELAY_ICE_PORT_MIN: '44400',
  RELAY_ICE_PORT_MAX: '44699',
  RELAY_STATS_PERIOD: '0',
});

const udp = createSocket('udp4');
afterAll(() => udp.close());

/** A viewer created (the relay offers) but not answered yet: its DataChannel cannot be open. */
async function createViewer(mountKey: string) {
  const sub = new SubClient();
  const handle = handleId();
  const created = await fx.link.call({
    op: 'peer.create',
    sessionId: SESSION,
    handleId: handle,
    plugin: STREAMING_PLUGIN,
    options: { role: 'subscriber', streams: [{ feedId: 1, feedKey: mountKey, feedMid: 'd', type: 'data' }] },
  } as CommandInput);
  const offer = (created as { offer: { sdp: string } }).offer.sdp;
  return {
    sub,
    handle,
    /** Answers and waits for the connection (the relay opens the channel after it). */
    async start() {
      await fx.link.call({ op: 'peer.answer', sessionId: SESSION, handleId: handle, sdp: await sub.answer(offer) });
      await sub.connected();
    },
    async close() {
      await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: handle, reason: 'Janus API' });
      await sub.close();
    },
  };
}

describe('relay threads and a Streaming data stream with buffermsg', () => {
  it('a viewer whose channel opens after the message, and a viewer that joins later, each get the kept message once', async () => {
    const mount = handleId();
    const mountKey = `${SESSION}:${mount}`;
    const created = await fx.link.call({
      op: 'streaming.create',
      sessionId: SESSION,
      handleId: mount,
      media: [],
      data: [{ mid: 'd', mindex: 0, port: 0, binary: false, bufferMessage: true }],
    } as CommandInput);
    const port = (created as { media: Array<{ mid: string; port: number }> }).media[0]!.port;

    const early = await createViewer(mountKey);
    // the message arrives while the viewer's channel is still closed
    udp.send('kept', port, '127.0.0.1');
    await sleep(300);
    await early.start();
    await fx.link.until(() => early.sub.data.length > 0, 5000, 'the kept message at the early viewer');

    const late = await createViewer(mountKey);
    await late.start();
    await fx.link.until(() => late.sub.data.length > 0, 5000, 'the kept message at the late viewer');
    // a few more relay ticks: nobody gets it twice
    await sleep(600);
    expect({ early: early.sub.data, late: late.sub.data }).toEqual({ early: ['kept'], late: ['kept'] });

    udp.send('live', port, '127.0.0.1');
    await fx.link.until(() => early.sub.data.length > 1 && late.sub.data.length > 1, 5000, 'the live message');
    expect({ early: early.sub.data, late: late.sub.data }).toEqual({
      early: ['kept', 'live'],
      late: ['kept', 'live'],
    });

    await early.close();
    await late.close();
    await fx.link.call({ op: 'streaming.destroy', sessionId: SESSION, handleId: mount } as CommandInput);
  });
});
