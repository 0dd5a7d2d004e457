/** Streaming test helpers: a Janus session on the Streaming plugin, werift viewers, an ffmpeg sender. */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import type { RtpPacket } from 'werift';
import { EchoClient } from '../../relay/support/client.js';
import { adminPost } from '../../support/echoCall.js';
import { PluginHandle } from '../../support/pluginHandle.js';
import type { Stack } from '../../support/stack.js';

export class StreamingHandle extends PluginHandle {
  static async connect(stack: Stack, region?: string): Promise<StreamingHandle> {
    const [janus, sessionId, handleId] = await PluginHandle.open(stack, 'janus.plugin.streaming', region);
    return new StreamingHandle(janus, sessionId, handleId);
  }
}

/** Admin `handle_info`'s `plugin_specific` of a Streaming handle (Janus's query_session). */
export async function pluginInfo(stack: Stack, h: StreamingHandle): Promise<Record<string, any>> {
  const r = await adminPost(stack, { janus: 'handle_info', session_id: h.sessionId, handle_id: h.handleId });
  expect(r.janus, JSON.stringify(r)).toBe('success');
  return r.info.plugin_specific;
}

/** Creates an `rtp` mountpoint (`extra`: more create options); its answer's stream (host, ports). */
export async function createRtp(
  admin: StreamingHandle,
  id: number,
  media: unknown[],
  extra: Record<string, unknown> = {},
): Promise<{ ports: Array<{ type: string; mid: string; port: number }> }> {
  const created = await admin.sync({ request: 'create', type: 'rtp', id, media, ...extra });
  expect(created.streaming, JSON.stringify(created)).toBe('created');
  return created.stream;
}

/** What `pick` takes of every video packet the viewer receives (decrypted), in order. */
export function videoPackets<T>(client: EchoClient, pick: (rtp: RtpPacket) => T): T[] {
  const out: T[] = [];
  client.pc.onTransceiverAdded.subscribe((t) =>
    t.onTrack.subscribe((track) => {
      if (track.kind === 'video') track.onReceiveRtp.subscribe((rtp: RtpPacket) => out.push(pick(rtp)));
    }),
  );
  return out;
}

/** Every DataChannel message the viewer receives (the relay opens the channel). */
export function dataMessages(client: EchoClient): Array<string | Buffer> {
  const out: Array<string | Buffer> = [];
  client.pc.onDataChannel.subscribe((dc) => dc.onMessage.subscribe((m) => out.push(m)));
  return out;
}

/** A VP8 + Opus RTP mountpoint on ports the relay picks. */
export const avMedia = [
  { type: 'audio', mid: 'a', port: 0, pt: 111, codec: 'opus' },
  { type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' },
];

/** A viewer: watch (the relay offers), answer with start, wait for `started`. `hook` sees the client before it answers. */
export async function watch(stack: Stack, id: number, region?: string, hook?: (client: EchoClient) => void) {
  const h = await StreamingHandle.connect(stack, region);
  const ev = await h.ask({ request: 'watch', id });
  expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({
    streaming: 'event',
    result: { status: 'preparing' },
  });
  expect(ev.jsep?.type).toBe('offer');
  const client = new EchoClient();
  hook?.(client);
  const answer = await client.acceptOffer(ev.jsep.sdp);
  const starting = await h.ask({ request: 'start' }, { type: 'answer', sdp: answer });
  expect(starting.plugindata?.data).toMatchObject({ result: { status: 'starting' } });
  await h.waitData((d) => d.result?.status === 'started', 'started', 15_000);
  return { h, client };
}

/**
 * ffmpeg (Debian) sending a test pattern as VP8 and a tone as Opus, each as plain RTP to its port
 * (`-f rtp`), in real time; a keyframe every `gop` frames at 30 fps.
 */
export function ffmpegSend(
  host: string,
  audioPort: number,
  videoPort: number,
  seconds: number,
  gop = 30,
): ChildProcess {
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-re'],
    ...['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=30:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
    ...['-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '500k', '-g', String(gop)],
    ...['-payload_type', '100', '-ssrc', '1234', '-f', 'rtp', `rtp://${host}:${videoPort}?pkt_size=1200`],
    ...['-map', '1:a', '-c:a', 'libopus', '-b:a', '32k', '-ar', '48000'],
    ...['-payload_type', '111', '-ssrc', '5678', '-f', 'rtp', `rtp://${host}:${audioPort}`],
  ];
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
