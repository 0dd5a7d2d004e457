import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { metricValue, spawnRelay, udpPortsOf, type RelayProcess } from './support/process.js';
import { internals, malformedRequests, rawRequest } from '../blackbox/support/rawHttp.js';

const SECRET = 'process-secret-0123456789';
const PORT_MIN = 41300;
const PORT_MAX = 41349;
const SESSION = 3000;

describe('the relay process', () => {
  let edge: TestEdge;
  let relay: RelayProcess;
  let link: RelayLink;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await spawnRelay({
      RELAY_ID: 'proc-relay',
      RELAY_SECRET: SECRET,
      EDGE_URL: `http://127.0.0.1:${edge.port}`,
      RELAY_ICE_PORT_MIN: String(PORT_MIN),
      RELAY_ICE_PORT_MAX: String(PORT_MAX),
      RELAY_STATS_PERIOD: '1',
    });
    link = await edge.nextLink();
    await link.until(() => link.heartbeats.length > 0, 5000, 'first heartbeat');
  });

  afterAll(async () => {
    relay?.kill();
    await edge?.close();
  });

  it('serves /health and /metrics with the right figures while echoing, and binds only ports in range', async () => {
    const idle = await relay.get<Record<string, unknown>>('/health');
    expect(idle.status).toBe(200);
    expect(idle.body).toMatchObject({
      status: 'ok',
      relayId: 'proc-relay',
      peers: 0,
      portsInUse: 0,
      controlConnected: true,
    });
    expect(typeof idle.body.eventLoopLagMs).toBe('number');
    expect(udpPortsOf(relay.pid)).toEqual([]);
    expect((await relay.get('/nope')).status).toBe(404);

    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const video = client.addMedia('video');
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await client.createOffer() },
    });
    if (!('answer' in res)) throw new Error('expected answer');
    await client.acceptAnswer(res.answer.sdp);
    await client.connected();
    client.startSending(audio, 20);
    client.startSending(video, 40);
    await waitFor(() => client.echoedTags.audio.size >= 10 && client.echoedTags.video.size >= 5, 8000, 'echo');

    const ports = udpPortsOf(relay.pid);
    expect(ports.length).toBe(1);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(PORT_MIN);
      expect(p).toBeLessThanOrEqual(PORT_MAX);
    }
    const busy = await relay.get<Record<string, unknown>>('/health');
    expect(busy.body).toMatchObject({ status: 'ok', peers: 1, portsInUse: 1 });
    await link.until(() => link.heartbeats.at(-1)?.peers === 1, 3000, 'heartbeat with the peer');
    expect(link.heartbeats.at(-1)).toMatchObject({ peers: 1, portsInUse: 1, load: 0.002 });

    // stats events (event-handler type 32 subtype 3 fields) arrive every second
    const stats = await link.waitEvent(
      SESSION,
      1,
      'stats',
      (e) => e.streams.some((s) => s['packets-received'] > 0),
      4000,
    );
    expect(stats.streams.map((s) => s.media).sort()).toEqual(['audio', 'video']);

    client.stopSending(audio);
    client.stopSending(video);
    await new Promise((r) => setTimeout(r, 200));
    const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 });
    const sum = (k: 'packetsIn' | 'packetsOut' | 'bytesIn' | 'bytesOut' | 'plisOut') =>
      info.counters.reduce((n, c) => n + c[k], 0);
    const metrics = await relay.get<string>('/metrics');
    expect(metrics.status).toBe(200);
    const m = metrics.text;
    expect(metricValue(m, 'relay_peers')).toBe(1);
    expect(metricValue(m, 'relay_ports_in_use')).toBe(1);
    expect(metricValue(m, 'relay_ports_total')).toBe(PORT_MAX - PORT_MIN + 1);
    expect(metricValue(m, 'relay_rtp_packets_in_total')).toBe(sum('packetsIn'));
    expect(metricValue(m, 'relay_rtp_packets_out_total')).toBe(sum('packetsOut'));
    expect(metricValue(m, 'relay_rtp_bytes_in_total')).toBe(sum('bytesIn'));
    expect(metricValue(m, 'relay_rtp_bytes_out_total')).toBe(sum('bytesOut'));
    expect(metricValue(m, 'relay_plis_out_total')).toBe(sum('plisOut'));
    expect(metricValue(m, 'relay_rtp_packets_in_total')).toBeGreaterThanOrEqual(
      client.echoedTags.audio.size + client.echoedTags.video.size,
    );
    expect(metricValue(m, 'relay_event_loop_lag_ms')).toBeGreaterThanOrEqual(0);
    expect(m).toMatch(/# TYPE relay_nacks_in_total counter/);

    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1, reason: 'Janus API' });
    await client.close();
    const after = (await relay.get<string>('/metrics')).text;
    expect(metricValue(after, 'relay_peers')).toBe(0);
    expect(metricValue(after, 'relay_ports_in_use')).toBe(0);
    // counters of gone peers are kept
    expect(metricValue(after, 'relay_rtp_packets_in_total')).toBe(sum('packetsIn'));
    expect(udpPortsOf(relay.pid)).toEqual([]);
  });

  it('shuts down cleanly on SIGTERM: drains, hangs up every peer, closes everything, exits 0', async () => {
    const clients: EchoClient[] = [];
    for (let h = 10; h < 12; h++) {
      const client = new EchoClient();
      client.addMedia('audio');
      clients.push(client);
      const res = await link.call({
        op: 'peer.create',
        sessionId: SESSION,
        handleId: h,
        plugin: 'janus.plugin.echotest',
        offer: { sdp: await client.createOffer() },
      });
      if (!('answer' in res)) throw new Error('expected answer');
      await client.acceptAnswer(res.answer.sdp);
      await client.connected();
      client.startSending('audio0', 20);
    }
    await link.waitEvent(SESSION, 11, 'webrtcup');
    expect(udpPortsOf(relay.pid).length).toBe(2);
    relay.child.kill('SIGTERM');
    const exit = await relay.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(link.draining).toBe(true);
    for (const h of [10, 11]) {
      const hangup = link.eventsFor(SESSION, h).find((e) => e.kind === 'hangup');
      expect(hangup).toEqual({ kind: 'hangup', reason: 'Relay shutdown' });
    }
    await link.until(() => link.closed, 2000, 'control socket closed');
    // the clients were told (DTLS close_notify)
    await waitFor(
      () => clients.every((c) => c.pc.dtlsTransports[0]?.state === 'closed'),
      3000,
      'clients see the close',
    );
    for (const c of clients) await c.close();
    expect(relay.stderr.filter((l) => /"level":"error"/.test(l))).toEqual([]);
  });
});

describe("the relay's HTTP server", () => {
  let edge: TestEdge;
  let relay: RelayProcess;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    // ICE on another loopback address: the HTTP server must stay on its own (default 127.0.0.1).
    relay = await spawnRelay({
      RELAY_ID: 'http-relay',
      RELAY_SECRET: SECRET,
      EDGE_URL: `http://127.0.0.1:${edge.port}`,
      RELAY_BIND_ADDRESS: '127.0.0.2',
      RELAY_ANNOUNCED_ADDRESS: '127.0.0.2',
      RELAY_ICE_PORT_MIN: '41350',
      RELAY_ICE_PORT_MAX: '41359',
    });
  });

  afterAll(async () => {
    relay?.kill();
    await edge?.close();
  });

  it('listens on RELAY_HTTP_BIND_ADDRESS, not on the ICE address', async () => {
    expect((await relay.get('/health')).status).toBe(200);
    await expect(rawRequest(relay.httpPort, 'GET /health HTTP/1.1\r\nHost: a\r\n\r\n', '127.0.0.2')).rejects.toThrow();
  });

  it('serves /debug/* only for the relay secret as a bearer token', async () => {
    expect((await relay.get('/debug/resources')).status).toBe(401);
    expect((await relay.get('/debug/resources?gc=1', { authorization: 'Bearer wrong-secret-0123456789' })).status).toBe(
      401,
    );
    expect((await relay.get('/debug/resources', { authorization: SECRET })).status).toBe(401);
    const ok = await relay.debug<Record<string, unknown>>('/debug/resources');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ peers: 0 });
    expect((await relay.debug('/debug/nope')).status).toBe(404);
    expect((await relay.get('/debug/nope')).status).toBe(401);
    expect((await relay.get('/nope')).status).toBe(404);
  });

  it('answers every response with the security headers', async () => {
    for (const path of ['/health', '/metrics', '/nope', '/debug/resources']) {
      const { headers } = await relay.get(path);
      expect(headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(headers.get('content-security-policy'), path).toMatch(/default-src 'none'/);
      expect(headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('answers malformed requests 400 (431 for too many headers) with the security headers and no internals', async () => {
    for (const [name, request] of Object.entries(malformedRequests('/health'))) {
      const reply = await rawRequest(relay.httpPort, request);
      expect(reply.status, name).toBe(name === '2,000 headers' ? 431 : 400);
      expect(reply.headers.get('x-content-type-options'), name).toEqual(['nosniff']);
      expect(reply.body, name).not.toMatch(internals);
    }
    // Still serving afterwards.
    expect((await relay.get('/health')).status).toBe(200);
  });
});
