import { describe, expect, it } from 'vitest';
import { sendCloseNotify } from '../../relay/peer/werift.js';
import { EchoClient } from './support/client.js';
import { udpPortsOf } from './support/process.js';
import { spawnedRelayFixture } from './support/spawnedRelayFixture.js';

const SECRET = 'symmetry-secret-0123456789';
const PORT_MIN = 41400;
const PORT_MAX = 41499;
const SESSION = 4000;
const CALLS = 200;
const CONCURRENCY = 8;

describe('resource symmetry', () => {
  let handle = 1;
  let peakSeen = 0;

  const fx = spawnedRelayFixture({
    RELAY_ID: 'symmetry-relay',
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: String(PORT_MIN),
    RELAY_ICE_PORT_MAX: String(PORT_MAX),
    RELAY_STATS_PERIOD: '1',
    // RELAY_DEBUG=werift-dtls*err* passes werift's debug namespaces to the relay (shown on failure)
    ...(process.env.RELAY_DEBUG ? { DEBUG: process.env.RELAY_DEBUG } : {}),
  });

  /** One full EchoTest call: offer/answer, ICE+DTLS up, a packet echoed, hangup from one side. */
  async function oneCall(i: number): Promise<void> {
    const handleId = handle++;
    const client = new EchoClient();
    const key = client.addMedia(i % 3 === 0 ? 'video' : 'audio');
    if (i % 5 === 0) client.addDataChannel();
    try {
      const res = await fx.link.call({
        op: 'peer.create',
        sessionId: SESSION,
        handleId,
        plugin: 'janus.plugin.echotest',
        offer: { sdp: await client.createOffer() },
      });
      if (!('answer' in res)) throw new Error('expected answer');
      await client.acceptAnswer(res.answer.sdp);
      await client.connected(15_000);
      await fx.link.waitEvent(SESSION, handleId, 'webrtcup', () => true, 15_000);
      for (let tries = 0; client.echoedTags.audio.size + client.echoedTags.video.size === 0; tries++) {
        if (tries > 100) throw new Error(`no echo on call ${i}`);
        client.sendOne(key);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (i % 2 === 0) {
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
      } else {
        await sendCloseNotify(client.pc.dtlsTransports[0]!);
        await new Promise((r) => setTimeout(r, 20));
      }
      await fx.link.waitEvent(SESSION, handleId, 'hangup', () => true, 10_000);
    } catch (err) {
      const events = fx.link
        .eventsFor(SESSION, handleId)
        .map((e) => e.kind + ('state' in e ? `:${e.state}` : '') + ('reason' in e ? `:${e.reason}` : ''));
      throw new Error(
        `call ${i} (handle ${handleId}) failed: ${(err as Error).message}; client ice=${client.pc.iceConnectionState} conn=${client.pc.connectionState}; relay events: ${events.join(',')}; relay log: ${fx.relay.stderr
          .filter((l) => !/retransmit/.test(l))
          .slice(-8)
          .join(' | ')}`,
        { cause: err },
      );
    } finally {
      await client.close();
    }
  }

  async function runCalls(n: number, offset: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = offset + next++;
        await oneCall(i);
        peakSeen = Math.max(peakSeen, fx.link.heartbeats.at(-1)?.peers ?? 0);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  it(`opens and closes ${CALLS} EchoTest calls and returns to baseline`, { timeout: 240_000 }, async () => {
    // warm up (lazy module state, JIT, certificate) before taking the baseline
    await runCalls(4, 0);
    await new Promise((r) => setTimeout(r, 500));
    const base = await fx.resources();
    expect(base.peers).toBe(0);
    expect(base.portsInUse).toBe(0);
    expect(base.udpHandles).toBe(0);

    // cross-check the port accounting against the process's own handles and fds mid-run
    let checked = 0;
    const violations: string[] = [];
    const probe = setInterval(async () => {
      const r = await fx.resources(false).catch(() => undefined);
      if (!r) return;
      // sockets opened/closed between the two reads can differ by a few; a leak would grow
      if (Math.abs(r.udpHandles - r.portsInUse) > CONCURRENCY)
        violations.push(`udp handles ${r.udpHandles} vs accounted ports ${r.portsInUse}`);
      if (Math.abs(r.socketFds - base.socketFds - r.portsInUse) > CONCURRENCY)
        violations.push(`socket fds ${r.socketFds} (baseline ${base.socketFds}) vs accounted ports ${r.portsInUse}`);
      for (const p of [...r.ports, ...udpPortsOf(fx.relay.pid)]) {
        if (p < PORT_MIN || p > PORT_MAX) violations.push(`UDP port ${p} outside ${PORT_MIN}-${PORT_MAX}`);
      }
      checked++;
    }, 500);
    const started = Date.now();
    try {
      await runCalls(CALLS, 4);
    } finally {
      clearInterval(probe);
    }
    const elapsed = Date.now() - started;
    expect(checked).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    expect(fx.link.eventsFor(SESSION, 1).some((e) => e.kind === 'webrtcup')).toBe(true);
    expect(fx.link.events.filter((e) => e.event.kind === 'hangup').length).toBe(CALLS + 4);

    // settle: werift finishes async teardown (SCTP, DTLS timers) shortly after close
    await new Promise((r) => setTimeout(r, 1500));
    const after = await fx.resources();
    console.info(
      `[symmetry] ${CALLS} calls in ${elapsed} ms; baseline ${JSON.stringify(base)}; after ${JSON.stringify(after)}`,
    );
    expect(after.peers).toBe(0);
    expect(after.portsInUse).toBe(0);
    expect(after.ports).toEqual([]);
    expect(after.udpHandles).toBe(base.udpHandles);
    expect(after.socketFds).toBe(base.socketFds);
    expect(udpPortsOf(fx.relay.pid)).toEqual([]);
    expect(after.timers).toBeLessThanOrEqual(base.timers + 2);
    expect(after.heapUsedBytes - base.heapUsedBytes).toBeLessThan(24 * 1024 * 1024);
    const health = (await fx.relay.get<Record<string, unknown>>('/health')).body;
    expect(health).toMatchObject({ status: 'ok', peers: 0, portsInUse: 0 });
  });
});
