/**
 * SIGTERM drains a relay (issue 16): the edge learns it at once and places no new PeerConnection
 * there while clients keep calling, the calls on it go on until they end or RELAY_DRAIN_GRACE_SEC
 * passed, then get `hangup` ("Relay shutdown"), and the relay exits 0. Two relays of our own (the
 * real process, as `npm start` runs it) share a region of the real stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuLoad } from '../../relay/lifecycle/cpuLoad.js';
import { EchoClient, waitFor } from './support/client.js';
import { spawnRelay, type RelayProcess } from './support/process.js';
import { adminPost, echoCall } from '../support/echoCall.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

const REGION = 'drain';
const GRACE_S = 4;

interface Call {
  janus: JanusWs;
  sessionId: number;
  handleId: number;
  client: EchoClient;
  relay: string;
}

/** Polls an asynchronous condition every 50 ms; rejects after `timeoutMs`. */
async function until(pred: () => Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface HealthRelay {
  relayId: string;
  draining?: boolean;
  cpu?: number;
}

describe('SIGTERM drains a relay', () => {
  let stack: Stack;
  let draining: RelayProcess;
  let staying: RelayProcess;
  let fresh: RelayProcess | undefined;
  const calls: Call[] = [];

  const relays = async () =>
    ((await (await fetch(`${stack.baseUrl}/health`)).json()) as { relays: HealthRelay[] }).relays;

  /** An EchoTest call from a new session in REGION, echoing audio; which relay holds it. */
  async function call(): Promise<Call> {
    const janus = await JanusWs.connect(`${stack.wsUrl}?region=${REGION}`);
    const sessionId = await janus.createSession();
    const { handleId, client } = await echoCall(janus, sessionId);
    const info = await adminPost(stack, { janus: 'handle_info', session_id: sessionId, handle_id: handleId });
    const c = { janus, sessionId, handleId, client, relay: info.info.relay as string };
    calls.push(c);
    return c;
  }

  const relayEnv = (id: string, ice: number, extra: Record<string, string> = {}) => ({
    RELAY_ID: id,
    RELAY_REGION: REGION,
    RELAY_SECRET: stack.relaySecret,
    EDGE_URL: stack.baseUrl,
    RELAY_ICE_PORT_MIN: String(ice),
    RELAY_ICE_PORT_MAX: String(ice + 49),
    RELAY_REMOTE_PORT_MIN: String(ice + 50),
    RELAY_REMOTE_PORT_MAX: String(ice + 69),
    ...extra,
  });

  beforeAll(async () => {
    stack = await startStack();
    draining = await spawnRelay(relayEnv('drain-a', 48300, { RELAY_DRAIN_GRACE_SEC: String(GRACE_S) }));
    staying = await spawnRelay(relayEnv('drain-b', 48400));
    await until(async () => (await relays()).filter((r) => r.relayId.startsWith('drain-')).length === 2, 10_000);
  }, 120_000);

  afterAll(async () => {
    for (const c of calls) {
      await c.client.close();
      await c.janus.close();
    }
    draining?.kill();
    staying?.kill();
    fresh?.kill();
    await stack?.stop();
  });

  it('stops placing peers there at once, lets calls finish up to the grace, hangs up the rest, exits 0', async () => {
    // load-aware placement spreads calls over both relays: get two onto the one to drain
    while (calls.filter((c) => c.relay === 'drain-a').length < 2) {
      await call();
      expect(calls.length).toBeLessThan(8);
    }
    // idle relays: placement by peer count spreads calls over both
    expect(calls.some((c) => c.relay === 'drain-b')).toBe(true);
    const [finishing, lasting] = calls.filter((c) => c.relay === 'drain-a') as [Call, Call];

    const sigterm = Date.now();
    draining.child.kill('SIGTERM');
    // the edge knows at once
    await expect
      .poll(async () => (await relays()).find((r) => r.relayId === 'drain-a')?.draining, {
        timeout: 1000,
        interval: 50,
      })
      .toBe(true);
    // clients keep calling: every new call lands on the other relay, and works
    const during: Call[] = [];
    while (Date.now() - sigterm < (GRACE_S - 1.5) * 1000) during.push(await call());
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during.map((c) => c.relay)).toEqual(during.map(() => 'drain-b'));

    // a call on the draining relay goes on, echoing, and ends when its client hangs up
    const echoed = finishing.client.echoedTags.audio.size;
    await waitFor(() => finishing.client.echoedTags.audio.size > echoed + 10, 3000, 'still echoing while draining');
    await finishing.janus.request({ janus: 'hangup', session_id: finishing.sessionId, handle_id: finishing.handleId });
    const ended = await finishing.janus.waitEvent((m) => m.janus === 'hangup' && m.sender === finishing.handleId);
    expect(ended.reason).not.toBe('Relay shutdown');

    // the other gets hangup at the grace limit, not before
    const hangup = await lasting.janus.waitEvent(
      (m) => m.janus === 'hangup' && m.sender === lasting.handleId,
      (GRACE_S + 5) * 1000,
      'hangup at the grace limit',
    );
    const at = (Date.now() - sigterm) / 1000;
    expect(hangup.reason).toBe('Relay shutdown');
    expect(at).toBeGreaterThanOrEqual(GRACE_S - 0.5);
    expect(at).toBeLessThan(GRACE_S + 3);
    expect(await draining.exited).toEqual({ code: 0, signal: null });
    expect(draining.stderr.filter((l) => /"level":"error"/.test(l))).toEqual([]);

    // nothing left of it: the edge forgot the relay and counts only the calls on the other one
    await expect.poll(async () => (await relays()).some((r) => r.relayId === 'drain-a'), { timeout: 5000 }).toBe(false);
    const health = (await (await fetch(`${stack.baseUrl}/health?counts=1`)).json()) as { peerconnections: number };
    expect(health.peerconnections).toBe(calls.filter((c) => c.relay === 'drain-b').length);
    // the hung-up call's session lives on
    expect((await lasting.janus.request({ janus: 'keepalive', session_id: lasting.sessionId })).janus).toBe('ack');
  }, 120_000);

  it('load-aware placement: a relay that joins the region takes the new peers at once', async () => {
    const onStaying = calls.filter((c) => c.relay === 'drain-b').length;
    expect(onStaying).toBeGreaterThanOrEqual(3);
    fresh = await spawnRelay(relayEnv('drain-c', 48500));
    await until(async () => (await relays()).some((r) => r.relayId === 'drain-c'), 10_000, 'new relay registered');
    const next = [await call(), await call()];
    expect(next.map((c) => c.relay)).toEqual(['drain-c', 'drain-c']);
  }, 60_000);
});

describe('the CPU a relay reports for placement', () => {
  const busy = (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end);
  };

  it('is the process CPU per wall-clock time since the last sample, 0 while warming up', async () => {
    const warm = new CpuLoad();
    busy(150);
    expect(warm.sample()).toBe(0);
    const load = new CpuLoad(0);
    busy(300);
    const working = load.sample();
    // a busy loop is a whole core, less what other processes of a shared machine take
    expect(working).toBeGreaterThan(0.25);
    // idle windows: the process's CPU also counts other test threads, so the quietest of a few is taken
    const idle: number[] = [];
    for (let i = 0; i < 5 && !(idle.length && Math.min(...idle) < 0.1); i++) {
      await new Promise((r) => setTimeout(r, 300));
      idle.push(load.sample());
    }
    expect(Math.min(...idle)).toBeLessThan(Math.min(0.15, working / 2));
  });
});
