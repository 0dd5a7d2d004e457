/** VideoRoom participants for tests: a Janus WS session with one videoroom handle, and werift media. */
import { expect } from 'vitest';
import { EchoClient } from '../../relay/support/client.js';
import { PluginHandle } from '../../support/pluginHandle.js';
import type { Stack } from '../../support/stack.js';

export const VR = 'janus.plugin.videoroom';

export class Participant extends PluginHandle {
  /** `region` places its PeerConnections on a relay of that region (`?region=`). */
  static async connect(stack: Stack, region?: string): Promise<Participant> {
    return new Participant(...(await PluginHandle.open(stack, VR, region)));
  }

  /** Swaps this handle for a new one: as in Janus, a publisher that left cannot join again on its handle. */
  async newHandle(): Promise<void> {
    await this.janus.request({ janus: 'detach', session_id: this.sessionId, handle_id: this.handleId });
    this.handleId = await this.janus.attach(this.sessionId, VR);
  }
}

/** Joins `room` as publisher `id` and publishes audio+video from a werift client. */
export async function publish(stack: Stack, room: number, id: number, p?: Participant) {
  p ??= await Participant.connect(stack);
  const joined = await p.ask({ request: 'join', ptype: 'publisher', room, id, display: `pub${id}` });
  expect(joined.plugindata?.data?.videoroom, JSON.stringify(joined)).toBe('joined');
  const client = new EchoClient();
  const audio = client.addMedia('audio');
  const video = client.addMedia('video');
  const ev = await p.ask(
    { request: 'configure', audio: true, video: true },
    { type: 'offer', sdp: await client.createOffer() },
  );
  expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({ videoroom: 'event', configured: 'ok' });
  await client.acceptAnswer(ev.jsep.sdp);
  await p.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === p!.handleId, 15_000, 'publisher webrtcup');
  return { p, client, audio, video };
}

/** {@link publish}, then audio every 20 ms and video at 60 frames/s: a publisher with media flowing. */
export async function publishSending(stack: Stack, room: number, id: number) {
  const pub = await publish(stack, room, id);
  pub.client.startSending(pub.audio, 20);
  pub.client.startSending(pub.video, 1000 / 60);
  return pub;
}

/** Subscribes a new participant to every stream of `feeds` and completes the negotiation. */
export async function subscribe(stack: Stack, room: number, feeds: number[], s?: Participant) {
  s ??= await Participant.connect(stack);
  const ev = await s.ask({ request: 'join', ptype: 'subscriber', room, streams: feeds.map((feed) => ({ feed })) });
  expect(ev.plugindata?.data?.videoroom, JSON.stringify(ev)).toBe('attached');
  expect(ev.jsep?.type).toBe('offer');
  const client = new EchoClient();
  const answer = await client.acceptOffer(ev.jsep.sdp);
  const started = await s.ask({ request: 'start' }, { type: 'answer', sdp: answer });
  expect(started.plugindata?.data).toMatchObject({ started: 'ok' });
  await s.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === s!.handleId, 15_000, 'subscriber webrtcup');
  return { s, client, streams: ev.plugindata.data.streams as Array<Record<string, any>> };
}
