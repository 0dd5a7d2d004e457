import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { sendCloseNotify } from '../../../relay/peer/werift.js';
import { waitFor } from '../support/client.js';
import { TestEdge, type RelayLink } from '../support/edge.js';
import { spawnRelay, udpPortsOf, type RelayProcess } from '../support/process.js';
import { joinWebRtc, mixerSettings, SESSION } from './support/join.js';
import { PlainRtpVoice, WebRtcVoice } from './support/voiceClient.js';

const SECRET = 'ab-symmetry-secret-0123456789';
const CYCLES = 50;
const CONCURRENCY = 3;

interface Resources {
  udpHandles: number;
  socketFds: number;
  timers: number;
  heapUsedBytes: number;
  portsInUse: number;
  remotePortsInUse: number;
  peers: number;
  audiobridge: {
    mixers: number;
    participants: number;
    decoders: number;
    encoders: number;
    rtpSockets: number;
    framesMixed: number;
  };
}

describe('AudioBridge resource symmetry', () => {
  let edge: TestEdge;
  let relay: RelayProcess;
  let link: RelayLink;
  const resources = async () => (await relay.debug<Resources>('/debug/resources?gc=1')).body;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await spawnRelay(
      {
        RELAY_ID: 'ab-symmetry',
        RELAY_SECRET: SECRET,
        EDGE_URL: edge.url,
        RELAY_ICE_PORT_MIN: '46100',
        RELAY_ICE_PORT_MAX: '46199',
        RELAY_REMOTE_PORT_MIN: '36100',
        RELAY_REMOTE_PORT_MAX: '36199',
        RELAY_STATS_PERIOD: '0',
      },
      ['--expose-gc'],
    );
    link = await edge.nextLink();
    await link.until(() => link.heartbeats.length > 0, 5000, 'first heartbeat');
  });

  afterAll(async () => {
    relay?.kill();
    await edge?.close();
  });

  /** A WebRTC participant that hears the mixer, then leaves (by the client closing its PeerConnection every 4th time). */
  async function webrtcCycle(i: number): Promise<void> {
    const v = new WebRtcVoice(440);
    try {
      await joinWebRtc(link, v, 1000 + i, `ab:sym${i % 4}`, { room: i % 4 });
      await waitFor(() => v.packetsReceived > 0, 10_000, `mix on cycle ${i}`);
      if (i % 8 === 0) {
        for (const dtls of v.pc.dtlsTransports) await sendCloseNotify(dtls); // what a browser does on pc.close()
        await new Promise((r) => setTimeout(r, 20));
        await v.close();
        await link.waitEvent(SESSION, 1000 + i, 'hangup');
      } else await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1000 + i });
    } finally {
      await v.close();
    }
  }

  /** A plain-RTP participant (Opus payload type 100 or PCMU) that sends, hears, and hangs up. */
  async function rtpCycle(i: number): Promise<void> {
    const codec = i % 4 === 1 ? 'opus' : 'pcmu';
    const v = new PlainRtpVoice(660, 8000, 0, codec);
    try {
      const port = await v.bind();
      const res = await link.call({
        op: 'ab.rtpJoin',
        sessionId: SESSION,
        handleId: 1000 + i,
        mixer: `ab:sym${i % 4}`,
        mixerSettings: mixerSettings(i % 4),
        participant: 1000 + i,
        codec,
        rtp: { ip: '127.0.0.1', port },
      } as Extract<CommandInput, { op: 'ab.rtpJoin' }>);
      v.sendTo(res.ip, res.port);
      v.start();
      await waitFor(() => v.packetsReceived > 0, 10_000, `mix on RTP cycle ${i}`);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1000 + i });
    } finally {
      await v.close();
    }
  }

  async function run(n: number, offset: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = offset + next++;
        await (i % 2 === 0 ? webrtcCycle(i) : rtpCycle(i));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  it(
    `${CYCLES} join/leave cycles (WebRTC and plain RTP) leave no mixer, codec, timer or socket behind`,
    { timeout: 240_000 },
    async () => {
      await run(4, 0); // warm-up (certificates, the WASM module, JIT)
      await new Promise((r) => setTimeout(r, 1000));
      const base = await resources();
      expect(base.audiobridge).toMatchObject({ mixers: 0, participants: 0, decoders: 0, encoders: 0, rtpSockets: 0 });
      const started = Date.now();
      await run(CYCLES, 4);
      const elapsed = Date.now() - started;
      await new Promise((r) => setTimeout(r, 1500));
      const after = await resources();
      console.info(
        `[ab-symmetry] ${CYCLES} cycles in ${elapsed} ms; baseline ${JSON.stringify(base)}; after ${JSON.stringify(after)}`,
      );
      expect(after.audiobridge.framesMixed).toBeGreaterThan(base.audiobridge.framesMixed);
      expect(after.audiobridge).toMatchObject({ mixers: 0, participants: 0, decoders: 0, encoders: 0, rtpSockets: 0 });
      expect(after.peers).toBe(0);
      expect(after.portsInUse).toBe(0);
      expect(after.remotePortsInUse).toBe(0);
      expect(after.udpHandles).toBe(base.udpHandles);
      expect(after.socketFds).toBe(base.socketFds);
      expect(udpPortsOf(relay.pid)).toEqual([]);
      expect(after.timers).toBeLessThanOrEqual(base.timers + 2);
    },
  );
});
