import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { RtpHeader } from 'werift';
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';

/** A connected werift client with sending audio/video transceivers (a PubClient, or a client of the reference Janus). */
export interface MediaClient {
  pc: RTCPeerConnection;
  audio: RTCRtpTransceiver | undefined;
  video: RTCRtpTransceiver | undefined;
}

/**
 * Real media for recording tests: ffmpeg encodes a test pattern (libvpx VP8) and a sine tone
 * (libopus) to RTP on loopback ports, and each packet is sent on into a werift client's PeerConnection
 * with the client's SSRC and negotiated payload type (sequence numbers, timestamps, markers and
 * payloads as ffmpeg made them).
 */

export function have(tool: string): boolean {
  return spawnSync(tool, ['-h']).error === undefined;
}

export interface SentStream {
  packets: number;
  /** RTP payload bytes passed on. */
  bytes: number;
  firstTs: number | undefined;
  lastTs: number;
}

export interface FfmpegSource {
  sent: { video: SentStream; audio: SentStream };
  /** Resolves when ffmpeg exits (after `seconds` of media). */
  done: Promise<number | null>;
  stop(): void;
}

export interface SourceOptions {
  seconds: number;
  /** `cbr`: libvpx may not undershoot `kbps` (its rate control otherwise stays ~5 % below it). */
  video?: { width: number; height: number; fps: number; kbps: number; cbr?: boolean };
  audio?: boolean;
  /** Noise over the pattern: incompressible, so the encoder reaches high bitrates. */
  noise?: boolean;
}

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

function midExtId(pub: MediaClient): number | undefined {
  const m = /^a=extmap:(\d+) urn:ietf:params:rtp-hdrext:sdes:mid/m.exec(pub.pc.localDescription?.sdp ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Starts ffmpeg and pipes its RTP into `pub`'s audio and video transceivers (the client is connected). */
export async function streamInto(pub: MediaClient, o: SourceOptions): Promise<FfmpegSource> {
  const sockets: Socket[] = [];
  const sent = {
    video: { packets: 0, bytes: 0, firstTs: undefined, lastTs: 0 } as SentStream,
    audio: { packets: 0, bytes: 0, firstTs: undefined, lastTs: 0 } as SentStream,
  };
  const dtls = pub.pc.dtlsTransports[0]!;
  const extId = midExtId(pub);
  const pipe = async (kind: 'audio' | 'video'): Promise<number> => {
    const s = await udp();
    sockets.push(s);
    const t = kind === 'audio' ? pub.audio! : pub.video!;
    const codec = kind === 'audio' ? 'opus' : 'vp8';
    const pt = t.codecs.find((c) => c.name.toLowerCase() === codec)!.payloadType!;
    const st = sent[kind];
    s.on('message', (msg) => {
      if (msg.length < 12 || (msg[1]! >= 200 && msg[1]! <= 206)) return; // RTCP (sender reports)
      const cc = msg[0]! & 0x0f;
      let off = 12 + cc * 4;
      if (msg[0]! & 0x10) off += 4 + msg.readUInt16BE(off + 2) * 4;
      const ts = msg.readUInt32BE(4);
      st.firstTs ??= ts;
      st.lastTs = ts;
      st.packets++;
      st.bytes += msg.length - off;
      const extensions = extId !== undefined ? [{ id: extId, payload: Buffer.from(t.mid!) }] : [];
      const header = new RtpHeader({
        payloadType: pt,
        sequenceNumber: msg.readUInt16BE(2),
        timestamp: ts,
        ssrc: t.sender.ssrc,
        marker: (msg[1]! & 0x80) !== 0,
        extension: extensions.length > 0,
        extensions,
      });
      void dtls.sendRtp(msg.subarray(off), header);
    });
    return (s.address() as AddressInfo).port;
  };
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
  const outputs: string[] = [];
  if (o.video) {
    const v = o.video;
    const noise = o.noise ? ',noise=alls=60:allf=t' : '';
    args.push('-re', '-f', 'lavfi', '-i', `testsrc2=size=${v.width}x${v.height}:rate=${v.fps}${noise}`);
  }
  if (o.audio) args.push('-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  let input = 0;
  if (o.video) {
    const v = o.video;
    const port = await pipe('video');
    outputs.push(
      ...['-map', `${input++}:v`, '-t', String(o.seconds), '-c:v', 'libvpx', '-deadline', 'realtime'],
      ...['-cpu-used', '8', '-b:v', `${v.kbps}k`, '-minrate', `${v.kbps}k`, '-maxrate', `${v.kbps}k`],
      ...(v.cbr ? ['-undershoot-pct', '0', '-bufsize', `${Math.round(v.kbps / 4)}k`] : []),
      ...['-g', String(v.fps), '-payload_type', '96', '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`],
    );
  }
  if (o.audio) {
    const port = await pipe('audio');
    outputs.push(
      ...['-map', `${input}:a`, '-t', String(o.seconds), '-c:a', 'libopus', '-b:a', '48k'],
      ...['-payload_type', '111', '-f', 'rtp', `rtp://127.0.0.1:${port}`],
    );
  }
  const child: ChildProcess = spawn('ffmpeg', [...args, ...outputs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      // the last datagrams are still on their way
      setTimeout(() => {
        for (const s of sockets) s.close();
        if (code !== 0 && stderr) process.stderr.write(`ffmpeg: ${stderr}\n`);
        resolve(code);
      }, 300);
    });
  });
  return { sent, done, stop: () => child.kill('SIGKILL') };
}

/** ffprobe's view of a media file: its first stream's codec and size, and the duration. */
export function probe(path: string): { codec: string; width?: number; height?: number; duration: number } {
  const r = spawnSync('ffprobe', [
    ...['-v', 'error', '-show_entries', 'stream=codec_name,width,height,duration:format=duration'],
    ...['-of', 'json', path],
  ]);
  const j = JSON.parse(r.stdout.toString()) as {
    streams: Array<{ codec_name: string; width?: number; height?: number; duration?: string }>;
    format: { duration?: string };
  };
  const s = j.streams[0]!;
  return { codec: s.codec_name, width: s.width, height: s.height, duration: Number(j.format.duration ?? s.duration) };
}
