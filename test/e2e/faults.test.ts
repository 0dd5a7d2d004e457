/**
 * The fault suite: what `npm start` and the edge do when a process dies, freezes or loses its
 * control socket mid-command. Each case ends by counting: no PeerConnection left on the relay or at
 * the edge, the sessions exactly those the test still holds, and the same handle negotiating again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

const ECHO = 'janus.plugin.echotest';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ RELAY_REGIONS: 'local' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function adminPost(body: Record<string, unknown>): Promise<any> {
  const res = await fetch(stack.adminUrl, {
    method: 'POST',
    body: JSON.stringify({ transaction: 'a', admin_secret: 'janusoverlord', ...body }),
  });
  return res.json();
}

async function edgeHealth(): Promise<{ relays: Array<{ relayId: string }>; peerconnections: number }> {
  return (await fetch(`${stack.baseUrl}/health?counts=1`, { signal: AbortSignal.timeout(3000) })).json() as any;
}

async function offer(janus: JanusWs, sessionId: number, handleId: number, client: EchoClient) {
  return janus.request({
    janus: 'message',
    session_id: sessionId,
    handle_id: handleId,
    body: { audio: true },
    jsep: { type: 'offer', sdp: await client.createOffer() },
  });
}

/** A full EchoTest call on `handleId`: answer, connected, audio echoed back. */
async function echoCall(janus: JanusWs, sessionId: number, handleId: number): Promise<EchoClient> {
  const client = new EchoClient();
  const key = client.addMedia('audio');
  const ack = await offer(janus, sessionId, handleId, client);
  const ev = await janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction, 20_000, 'answer');
  expect(ev.jsep?.type).toBe('answer');
  await client.acceptAnswer(ev.jsep.sdp);
  await client.connected(15_000);
  client.startSending(key, 20);
  await waitFor(() => client.echoedTags.audio.size > 5, 10_000, 'echo');
  return client;
}

/** Polls an async condition (the HTTP probes of this file). */
async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the supervisor has restarted the relay (new pid) and it registered again. */
async function relayBack(oldPid: number): Promise<void> {
  const relay = stack.relays[0]!;
  await waitFor(() => relay.pid !== oldPid, 30_000, 'relay restarted');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const h = await edgeHealth().catch(() => undefined);
    if (h?.relays.some((r) => r.relayId === relay.id)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the restarted relay did not register again');
}

/** Nothing left over: no peer on the relay, none counted at the edge, only `sessions` listed. */
async function expectClean(sessions: number[]): Promise<void> {
  // The relay closes its peer a moment after the edge forgets it.
  await until(
    async () => ((await (await fetch(`${stack.relays[0]!.httpUrl}/health`)).json()) as { peers: number }).peers === 0,
    5_000,
    'no peer left on the relay',
  );
  expect((await edgeHealth()).peerconnections).toBe(0);
  expect(((await adminPost({ janus: 'list_sessions' })).sessions as number[]).sort()).toEqual([...sessions].sort());
}

/** The workerd processes under `npm start` (children of wrangler dev or Miniflare). */
function workerdPids(): number[] {
  const parentOf = new Map<number, number>();
  const isWorkerd = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      parentOf.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
      if (stat.slice(stat.indexOf('(') + 1, close) === 'workerd') isWorkerd.add(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === stack.pid) return true;
    return false;
  };
  return [...isWorkerd].filter(descends);
}

describe('faults: processes that die, freeze or drop their socket', () => {
  it('a relay killed with SIGKILL: its call hangs up, the relay comes back under its id, the handle calls again', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const first = await echoCall(janus, sessionId, handleId);
    const pid = stack.relays[0]!.pid;
    process.kill(pid, 'SIGKILL');
    await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 6_000, 'hangup after relay loss');
    await first.close();
    await relayBack(pid);
    expect(stack.output()).toMatch(/relay \S+ exited \(SIGKILL\): restarting it/);
    const second = await echoCall(janus, sessionId, handleId);
    await second.close();
    await janus.request({ janus: 'hangup', session_id: sessionId, handle_id: handleId });
    await until(async () => (await edgeHealth()).peerconnections === 0, 5_000, 'peer released');
    await expectClean([sessionId]);
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
    await expectClean([]);
  }, 120_000);

  it('a frozen relay (SIGSTOP): its call hangs up within 5 s, the supervisor kills and restarts it', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const first = await echoCall(janus, sessionId, handleId);
    const pid = stack.relays[0]!.pid;
    const frozenAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 6_000, 'hangup after heartbeat loss');
    expect(Date.now() - frozenAt).toBeLessThan(5_000);
    await first.close();
    await relayBack(pid);
    expect(stack.output()).toMatch(/relay \S+ stopped answering \/health .*: killing it to restart it/);
    const second = await echoCall(janus, sessionId, handleId);
    await second.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
    await until(async () => (await edgeHealth()).peerconnections === 0, 5_000, 'peer released');
    await expectClean([]);
  }, 120_000);

  it('the relay dies while a command is in flight: the offer gets an error or a hangup, never silence', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const pid = stack.relays[0]!.pid;
    const client = new EchoClient();
    client.addMedia('audio');
    const sdp = await client.createOffer();
    // Freeze first so that the command is surely sent and unanswered, then cut the socket.
    process.kill(pid, 'SIGSTOP');
    const pending = janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: { audio: true },
      jsep: { type: 'offer', sdp },
    });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');
    const ack = await pending;
    const outcome = await janus.waitEvent(
      (m) =>
        (m.janus === 'event' && m.transaction === ack.transaction) ||
        (m.janus === 'hangup' && m.sender === handleId) ||
        (m.janus === 'error' && m.transaction === ack.transaction),
      10_000,
      'an outcome for the in-flight offer',
    );
    expect(outcome.jsep).toBeUndefined();
    await client.close();
    await relayBack(pid);
    const again = await echoCall(janus, sessionId, handleId);
    await again.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
    await until(async () => (await edgeHealth()).peerconnections === 0, 5_000, 'peer released');
    await expectClean([]);
  }, 120_000);

  it('workerd killed with SIGKILL: npm start restarts the edge, the relay registers again, calls work', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    await janus.createSession();
    const closed = new Promise<void>((r) => janus.onClose(() => r()));
    const pids = workerdPids();
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await closed;
    await waitFor(() => /the edge is back on/.test(stack.output()), 60_000, 'edge restarted');
    expect(stack.output()).toMatch(/the edge failed: .*; restarting it/);
    const relayId = stack.relays[0]!.id;
    await until(
      async () => (await edgeHealth()).relays.some((r) => r.relayId === relayId),
      30_000,
      'relay registered with the new edge',
    );
    const fresh = await JanusWs.connect(stack.wsUrl);
    const sessionId = await fresh.createSession();
    const handleId = await fresh.attach(sessionId, ECHO);
    const call = await echoCall(fresh, sessionId, handleId);
    await call.close();
    await fresh.request({ janus: 'destroy', session_id: sessionId });
    await fresh.close();
    await until(async () => (await edgeHealth()).peerconnections === 0, 5_000, 'peer released');
    await expectClean([]);
  }, 150_000);
});
