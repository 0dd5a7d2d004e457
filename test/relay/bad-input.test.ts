import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../relay/relay.js';
import { EchoClient, waitFor } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 2000;
let handle = 1;

async function clientOffer(): Promise<{ client: EchoClient; sdp: string }> {
  const client = new EchoClient();
  client.addMedia('audio');
  return { client, sdp: await client.createOffer() };
}

async function echoWorks(link: RelayLink): Promise<void> {
  const { client, sdp } = await clientOffer();
  const handleId = handle++;
  const res = await link.call({
    op: 'peer.create',
    sessionId: SESSION,
    handleId,
    plugin: 'janus.plugin.echotest',
    offer: { sdp },
    options: {},
  });
  if (!('answer' in res)) throw new Error('expected answer');
  await client.acceptAnswer(res.answer.sdp);
  await client.connected();
  client.startSending('audio0', 20);
  await waitFor(() => client.echoedTags.audio.size >= 3, 5000, 'echo');
  await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
  await client.close();
}

describe('bad commands are answered with Janus errors and the relay keeps serving', () => {
  let edge: TestEdge;
  let relay: Relay;
  let link: RelayLink;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await startRelay(edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: '41100',
      RELAY_ICE_PORT_MAX: '41199',
    });
    link = await edge.nextLink();
    await relay.control.whenReady();
  });
  afterAll(async () => {
    await relay?.stop();
    await edge?.close();
  });

  const expectError = async (cmd: Record<string, unknown>, code: number) => {
    const reply = await link.request(cmd);
    expect(reply.ok, JSON.stringify(reply)).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe(code);
    return reply;
  };

  it('garbage SDP -> 465 and no peer is left behind', async () => {
    for (const sdp of [
      'garbage',
      'v=0\r\nthis is not sdp\r\n',
      'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n',
      'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n',
    ]) {
      await expectError(
        { op: 'peer.create', sessionId: SESSION, handleId: handle++, plugin: 'janus.plugin.echotest', offer: { sdp } },
        465,
      );
    }
    expect(relay.registry.size).toBe(0);
    expect(relay.ports.inUse).toBe(0);
  });

  it('answer without an offer -> 469, unknown peer -> 459, unknown mid -> 466, duplicate create -> 471', async () => {
    await expectError({ op: 'peer.answer', sessionId: SESSION, handleId: 99999, sdp: 'v=0' }, 459);
    const { client, sdp } = await clientOffer();
    const handleId = handle++;
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId,
      plugin: 'janus.plugin.echotest',
      offer: { sdp },
    });
    if (!('answer' in res)) throw new Error('expected answer');
    // the relay answered: there is no relay offer for an answer to answer
    await expectError({ op: 'peer.answer', sessionId: SESSION, handleId, sdp }, 469);
    await expectError(
      {
        op: 'peer.trickle',
        sessionId: SESSION,
        handleId,
        candidate: {
          candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host',
          sdpMid: 'nope',
          sdpMLineIndex: null,
        },
      },
      466,
    );
    await expectError(
      {
        op: 'peer.trickle',
        sessionId: SESSION,
        handleId,
        candidate: { candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host', sdpMLineIndex: 7 },
      },
      466,
    );
    await expectError(
      { op: 'peer.create', sessionId: SESSION, handleId, plugin: 'janus.plugin.echotest', offer: { sdp } },
      471,
    );
    await expectError({ op: 'peer.offer', sessionId: SESSION, handleId, sdp: 'nonsense' }, 465);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    await client.close();
  });

  it('wrong schemas get error replies when they carry an id, and are ignored otherwise', async () => {
    await expectError({ op: 'peer.create', sessionId: 'one', handleId: 1, plugin: 'janus.plugin.echotest' }, 467);
    await expectError({ op: 'peer.create', handleId: 1, plugin: 'janus.plugin.echotest' }, 456);
    await expectError({ op: 'peer.create', sessionId: 1, handleId: 1, plugin: 'janus.plugin.textroom' }, 467);
    await expectError({ op: 'peer.create', sessionId: 1, handleId: 1, plugin: 'janus.plugin.videoroom' }, 456);
    await expectError({ op: 'peer.explode', sessionId: 1, handleId: 1 }, 453);
    await expectError({ op: 'echo.configure', sessionId: 1, handleId: 1, substream: 7 }, 467);
    const noCmd = await link.requestRaw('raw1', { type: 'cmd', id: 'raw1' });
    expect(noCmd.ok).toBe(false);
    // no id: nothing to answer; must not crash
    link.sendRaw('{not json');
    link.sendRaw('[1,2,3]');
    link.sendRaw({ type: 'cmd', cmd: { op: 'peer.info', sessionId: 1, handleId: 1 } });
    link.sendRaw({ type: 'party' });
    link.ws.send(Buffer.from([1, 2, 3]));
    await new Promise((r) => setTimeout(r, 100));
    expect(link.closed).toBe(false);
    expect(link.invalid).toEqual([]);
    await echoWorks(link);
  });
});

describe('the control socket authenticates both ways', () => {
  const relays: Relay[] = [];
  const edges: TestEdge[] = [];
  afterEach(async () => {
    for (const r of relays.splice(0)) await r.stop();
    for (const e of edges.splice(0)) await e.close();
  });
  const setup = async (opts: ConstructorParameters<typeof TestEdge>[0], relaySecret = SECRET) => {
    const edge = await new TestEdge(opts).start();
    edges.push(edge);
    const relay = await startRelay(edge.url, {
      RELAY_SECRET: relaySecret,
      RELAY_ICE_PORT_MIN: '41200',
      RELAY_ICE_PORT_MAX: '41299',
    });
    relays.push(relay);
    return { edge, relay };
  };

  it('registers with a nonce and executes nothing before a valid welcome', async () => {
    const { edge, relay } = await setup({ secret: SECRET, manualWelcome: true });
    const link = await edge.nextLink();
    const reg = await link.whenRegistered();
    expect(reg).toMatchObject({ relayId: 'test-relay', region: 'local', address: '127.0.0.1', capacity: 500, load: 0 });
    expect(reg.nonce.length).toBeGreaterThanOrEqual(16);
    const { client, sdp } = await clientOffer();
    const early = await link.request({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: 'janus.plugin.echotest',
      offer: { sdp },
    });
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.error.code).toBe(403);
    expect(relay.registry.created).toBe(0);
    expect(link.heartbeats).toEqual([]);
    await link.welcome();
    await relay.control.whenReady();
    // heartbeats start once welcomed
    await link.until(() => link.heartbeats.length >= 2, 3500, 'heartbeats');
    expect(link.heartbeats[0]).toMatchObject({ peers: 0, portsInUse: 0, load: 0 });
    await client.close();
    await echoWorks(link);
  });

  it('drops the connection on a bad proof and never executes commands sent with it', async () => {
    const { edge, relay } = await setup({ secret: SECRET, proofSecret: 'some-other-secret', manualWelcome: true });
    const link = await edge.nextLink();
    await link.whenRegistered();
    const { client, sdp } = await clientOffer();
    await link.welcome();
    const reply = link
      .request(
        { op: 'peer.create', sessionId: SESSION, handleId: 1, plugin: 'janus.plugin.echotest', offer: { sdp } },
        2000,
      )
      .catch(() => undefined);
    await link.until(() => link.closed, 3000, 'relay closes the socket');
    const r = await reply;
    if (r) expect(r.ok).toBe(false);
    expect(relay.registry.created).toBe(0);
    expect(relay.control.ready).toBe(false);
    // it reconnects (with backoff) and registers again with a fresh nonce
    const again = await waitFor(() => edge.links[1], 5000, 'reconnect');
    const reg2 = await again.whenRegistered();
    expect(reg2.nonce).not.toBe(link.register!.nonce);
    expect(relay.registry.created).toBe(0);
    await client.close();
  });

  it('a relay with the wrong secret is refused by the edge and keeps retrying with backoff', async () => {
    const { edge, relay } = await setup({ secret: SECRET }, 'wrong-secret-000000');
    await waitFor(() => edge.rejected >= 3, 5000, 'retries');
    expect(edge.links).toEqual([]);
    expect(relay.control.ready).toBe(false);
  });

  it('reconnects after the edge drops the socket', async () => {
    const { edge, relay } = await setup({ secret: SECRET });
    const first = await edge.nextLink();
    await relay.control.whenReady();
    first.ws.terminate();
    const second = await edge.nextLink(true);
    await second.whenRegistered();
    await waitFor(() => relay.control.ready && relay.control.welcomes === 2, 5000, 'welcomed again');
    await echoWorks(second);
  });
});
