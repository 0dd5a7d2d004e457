import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.js';
import { udpPortsOf } from '../support/process.js';
import { spawnedRelayFixture } from '../support/spawnedRelayFixture.js';
import { PubClient, publish, SubClient, subscribe } from './support.js';

const SECRET = 'sfu-symmetry-secret-0123456789';
const PORT_MIN = 42200;
const PORT_MAX = 42299;
const SESSION = 7200;
const CYCLES = 100;
const CONCURRENCY = 4;

describe('VideoRoom resource symmetry', () => {
  const fx = spawnedRelayFixture({
    RELAY_ID: 'sfu-symmetry',
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: String(PORT_MIN),
    RELAY_ICE_PORT_MAX: String(PORT_MAX),
    RELAY_STATS_PERIOD: '0',
  });

  /** Publish, subscribe, see a packet arrive, hang up (publisher first on odd cycles, by the client's DTLS alert every 5th). */
  async function cycle(i: number): Promise<void> {
    const pub = new PubClient(1 + (i % 200), { audio: i % 2 === 0, data: i % 5 === 0 });
    const sub = new SubClient();
    try {
      const p = await publish(fx.link, SESSION, pub);
      const streams = p.streams.map((s) => ({
        feedId: i,
        feedKey: p.key,
        feedMid: s.mid,
        type: s.type as 'audio' | 'video' | 'data',
      }));
      const s = await subscribe(fx.link, SESSION, sub, streams);
      const vmid = s.streams.find((x) => x.type === 'video')!.mid;
      await waitFor(
        () => {
          pub.sendVideo(0);
          return sub.rec(vmid).packets > 0;
        },
        10_000,
        `media on cycle ${i}`,
      );
      const order = i % 2 === 0 ? [s.handle, p.handle] : [p.handle, s.handle];
      for (const h of order)
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
      await fx.link.waitEvent(SESSION, p.handle, 'hangup');
      await fx.link.waitEvent(SESSION, s.handle, 'hangup');
    } finally {
      await pub.close();
      await sub.close();
    }
  }

  async function run(n: number, offset: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < n) await cycle(offset + next++);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  it(
    `${CYCLES} publish/subscribe/hangup cycles return peers, UDP sockets and timers to baseline`,
    { timeout: 240_000 },
    async () => {
      await run(4, 0); // warm-up (certificates, JIT, lazily created module state)
      await new Promise((r) => setTimeout(r, 1000));
      const base = await fx.resources();
      expect(base.peers).toBe(0);
      expect(base.portsInUse).toBe(0);
      const started = Date.now();
      let peak = 0;
      const probe = setInterval(() => {
        peak = Math.max(peak, fx.link.heartbeats.at(-1)?.peers ?? 0);
      }, 250);
      try {
        await run(CYCLES, 4);
      } finally {
        clearInterval(probe);
      }
      const elapsed = Date.now() - started;
      await new Promise((r) => setTimeout(r, 1500));
      const after = await fx.resources();
      console.info(
        `[sfu-symmetry] ${CYCLES} cycles in ${elapsed} ms (peak ${peak} peers); baseline ${JSON.stringify({ ...base, ports: undefined })}; after ${JSON.stringify({ ...after, ports: undefined })}`,
      );
      expect(peak).toBeGreaterThan(0);
      expect(after.peers).toBe(0);
      expect(after.portsInUse).toBe(0);
      expect(after.ports).toEqual([]);
      expect(after.udpHandles).toBe(base.udpHandles);
      expect(after.socketFds).toBe(base.socketFds);
      expect(udpPortsOf(fx.relay.pid)).toEqual([]);
      expect(after.timers).toBeLessThanOrEqual(base.timers + 2);
      expect(after.heapUsedBytes - base.heapUsedBytes).toBeLessThan(24 * 1024 * 1024);
    },
  );
});
