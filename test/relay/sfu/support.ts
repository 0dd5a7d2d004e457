import {
  MediaStreamTrack,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  type RTCDataChannel,
  type RTCPeerConnection,
  type RTCRtpTransceiver,
} from 'werift';
import type { CommandInput } from '../../../shared/control/commands.js';
import { createPeerConnection } from '../../../relay/peer/factory.js';
import { connectedWithin, localAnswer, localOffer, remoteAnswer } from '../support/negotiate.js';
import type { RelayLink } from '../support/edge.js';
import { waitFor } from '../support/client.js';

/**
 * Browser stand-ins for VideoRoom tests: a werift publisher that writes tagged VP8/Opus RTP straight
 * into its SRTP transport (so it controls SSRCs, rids and keyframes), and a werift subscriber that
 * answers the relay's offer and records what arrives on each mid.
 *
 * Video payload: VP8 payload descriptor (S=1, PID 0; with `temporal`, X=1 T=1 and the TID byte) +
 * VP8 payload header (P bit: 0 = keyframe) + tag [0x7e, publisher id, layer, counter(4)].
 * Temporal layer ids, with `temporal`, follow the usual 3-layer pattern 0,2,1,2 per layer.
 *
 * Audio: with `audioLevel`, the offer also carries the RFC 6464 audio-level extension (id
 * {@link AUDIO_LEVEL_EXT_ID}) and every packet its `level` (0 = loudest … 127 = silence).
 */

export const AUDIO_LEVEL_EXT_ID = 9;
const TEMPORAL_PATTERN = [0, 2, 1, 2];

/** Length of a VP8 payload descriptor and its temporal layer id (0 when it carries none). */
export function vp8Descriptor(p: Buffer): { len: number; tid: number } {
  if ((p[0]! & 0x80) === 0) return { len: 1, tid: 0 };
  const x = p[1]!;
  let off = 2;
  if (x & 0x80) off += p[off]! & 0x80 ? 2 : 1;
  if (x & 0x40) off++;
  const tid = x & 0x20 ? p[off]! >> 6 : 0;
  if (x & 0x30) off++;
  return { len: off, tid };
}

export const VIDEOROOM = 'janus.plugin.videoroom';

export interface Layer {
  rid: string | undefined;
  ssrc: number;
  seq: number;
  ts: number;
  counter: number;
  /** The next packet is a keyframe (first packet, or a PLI arrived). */
  keyPending: boolean;
}

export class PubClient {
  readonly pc: RTCPeerConnection;
  audio: RTCRtpTransceiver | undefined;
  video: RTCRtpTransceiver | undefined;
  channel: RTCDataChannel | undefined;
  layers: Layer[] = [];
  audioLayer: Layer | undefined;
  plis = 0;
  readonly plisBySsrc = new Map<number, number>();
  rembs: bigint[] = [];
  sent = { audio: 0, video: 0, keyframes: 0 };
  /** Layers (rid order) that {@link start} does not send, as when a browser drops a simulcast layer. */
  readonly silenced = new Set<number>();
  /** The audio level sent with `audioLevel` (0 = loudest … 127 = silence). */
  level = 127;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly opts: {
      audio?: boolean;
      video?: boolean;
      data?: boolean;
      rids?: string[];
      temporal?: boolean;
      audioLevel?: boolean;
    } = {},
  ) {
    this.pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    if (opts.audio !== false)
      this.audio = this.pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    if (opts.video !== false)
      this.video = this.pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
    if (opts.data) this.channel = this.pc.createDataChannel('pub');
  }

  async offer(): Promise<string> {
    let sdp = await localOffer(this.pc);
    const rids = this.opts.rids;
    if (rids && this.video) {
      const mid = this.video.mid!;
      sdp = sdp.replace(
        `a=mid:${mid}\r\n`,
        `a=mid:${mid}\r\n${rids.map((r) => `a=rid:${r} send\r\n`).join('')}a=simulcast:send ${rids.join(';')}\r\n`,
      );
    }
    if (this.opts.audioLevel && this.audio) {
      const mid = this.audio.mid!;
      sdp = sdp.replace(
        `a=mid:${mid}\r\n`,
        `a=mid:${mid}\r\na=extmap:${AUDIO_LEVEL_EXT_ID} urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n`,
      );
    }
    return sdp;
  }

  accept(answer: string): Promise<void> {
    return remoteAnswer(this.pc, answer);
  }

  async connected(timeoutMs = 10_000): Promise<void> {
    await connectedWithin(this.pc, timeoutMs);
    const dtls = this.pc.dtlsTransports[0]!;
    dtls.onRtcp.subscribe((p) => {
      if (p.type !== RtcpPayloadSpecificFeedback.type) return;
      const fb = (p as RtcpPayloadSpecificFeedback).feedback as { count: number; mediaSsrc?: number; bitrate?: bigint };
      if (fb.count === 1) {
        this.plis++;
        const ssrc = fb.mediaSsrc ?? 0;
        this.plisBySsrc.set(ssrc, (this.plisBySsrc.get(ssrc) ?? 0) + 1);
        for (const l of this.layers) if (l.ssrc === ssrc) l.keyPending = true;
      } else if (fb.count === 15 && fb.bitrate !== undefined) this.rembs.push(fb.bitrate);
    });
    const rand = () => Math.floor(Math.random() * 60000);
    if (this.video) {
      const rids = this.opts.rids;
      this.layers = rids
        ? rids.map((rid, i) => ({
            rid,
            ssrc: 100_000 * this.id + 1000 + i,
            seq: rand(),
            ts: rand(),
            counter: 0,
            keyPending: true,
          }))
        : [{ rid: undefined, ssrc: this.video.sender.ssrc, seq: rand(), ts: rand(), counter: 0, keyPending: true }];
    }
    if (this.audio)
      this.audioLayer = {
        rid: undefined,
        ssrc: this.audio.sender.ssrc,
        seq: rand(),
        ts: rand(),
        counter: 0,
        keyPending: false,
      };
  }

  private extIds() {
    // (werift fills extIdUriMap only for receiving transceivers: read the ids from our offer)
    const ids = [...(this.pc.localDescription?.sdp ?? '').matchAll(/^a=extmap:(\d+) (\S+)/gm)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
    const find = (suffix: string) => {
      const e = ids.find(([, u]) => u.endsWith(suffix));
      return e ? Number(e[0]) : undefined;
    };
    return { mid: find('sdes:mid'), rid: find('sdes:rtp-stream-id') };
  }

  /** Sends one video packet on layer `i` (rid order as given to the constructor), `size` bytes of payload. */
  sendVideo(i = 0, size = 200): void {
    const t = this.video!;
    const l = this.layers[i]!;
    const dtls = this.pc.dtlsTransports[0]!;
    const pt = t.codecs.find((c) => c.name.toLowerCase() === 'vp8')!.payloadType!;
    const ids = this.extIds();
    l.seq = (l.seq + 1) & 0xffff;
    l.ts = (l.ts + 3000) >>> 0;
    l.counter++;
    const key = l.keyPending;
    l.keyPending = false;
    const payload = Buffer.alloc(size, 0xaa);
    let off = 0;
    if (this.opts.temporal) {
      payload[off++] = 0x90; // X=1, S=1, PID=0
      payload[off++] = 0x20; // T=1
      payload[off++] = (key ? 0 : TEMPORAL_PATTERN[l.counter % 4]!) << 6; // TID (keyframes are layer 0)
    } else payload[off++] = 0x10; // S=1, PID=0
    payload[off++] = key ? 0x00 : 0x01; // VP8 payload header, P bit
    payload[off] = 0x7e;
    payload[off + 1] = this.id;
    payload[off + 2] = i;
    payload.writeUInt32BE(l.counter, off + 3);
    const extensions = [];
    if (ids.mid !== undefined) extensions.push({ id: ids.mid, payload: Buffer.from(t.mid!) });
    if (l.rid !== undefined && ids.rid !== undefined) extensions.push({ id: ids.rid, payload: Buffer.from(l.rid) });
    const header = new RtpHeader({
      payloadType: pt,
      sequenceNumber: l.seq,
      timestamp: l.ts,
      ssrc: l.ssrc,
      marker: true,
      extension: extensions.length > 0,
      extensions,
    });
    void dtls.sendRtp(payload, header);
    this.sent.video++;
    if (key) this.sent.keyframes++;
  }

  sendAudio(): void {
    const t = this.audio!;
    const l = this.audioLayer!;
    const dtls = this.pc.dtlsTransports[0]!;
    const pt = t.codecs.find((c) => c.name.toLowerCase() === 'opus')!.payloadType!;
    const ids = this.extIds();
    l.seq = (l.seq + 1) & 0xffff;
    l.ts = (l.ts + 960) >>> 0;
    l.counter++;
    const payload = Buffer.alloc(60, 0xcc);
    payload[0] = 0x7e;
    payload[1] = this.id;
    payload.writeUInt32BE(l.counter, 2);
    const extensions = ids.mid !== undefined ? [{ id: ids.mid, payload: Buffer.from(t.mid!) }] : [];
    if (this.opts.audioLevel)
      extensions.push({ id: AUDIO_LEVEL_EXT_ID, payload: Buffer.from([0x80 | (this.level & 0x7f)]) });
    void dtls.sendRtp(
      payload,
      new RtpHeader({
        payloadType: pt,
        sequenceNumber: l.seq,
        timestamp: l.ts,
        ssrc: l.ssrc,
        marker: false,
        extension: extensions.length > 0,
        extensions,
      }),
    );
    this.sent.audio++;
  }

  /** Video at `videoPps` packets/s on every layer, audio at 50/s, in 20 ms ticks. */
  start(videoPps = 150): void {
    if (this.timer) return;
    const perTick = videoPps / 50;
    let owed = 0;
    this.timer = setInterval(() => {
      if (this.video) {
        owed += perTick;
        while (owed >= 1) {
          owed--;
          for (let i = 0; i < this.layers.length; i++) if (!this.silenced.has(i)) this.sendVideo(i);
        }
      }
      if (this.audio) this.sendAudio();
    }, 20);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stop();
    await this.pc.close();
  }
}

export interface MidRecord {
  packets: number;
  ssrcs: Set<number>;
  seqs: number[];
  /** (publisher id, layer) of every packet, in arrival order: `${pub}:${layer}`. */
  sources: string[];
  /** VP8 temporal layer id of every video packet, in arrival order. */
  tids: number[];
  keyframes: number;
}

export class SubClient {
  readonly pc: RTCPeerConnection;
  readonly byMid = new Map<string, MidRecord>();
  readonly data: string[] = [];

  constructor() {
    this.pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    this.pc.onTransceiverAdded.subscribe((t) => this.hook(t));
    this.pc.onDataChannel.subscribe((dc) => dc.onMessage.subscribe((m) => this.data.push(m.toString())));
  }

  private hook(t: RTCRtpTransceiver): void {
    t.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const mid = t.mid ?? '?';
        let r = this.byMid.get(mid);
        if (!r)
          this.byMid.set(mid, (r = { packets: 0, ssrcs: new Set(), seqs: [], sources: [], tids: [], keyframes: 0 }));
        r.packets++;
        r.ssrcs.add(rtp.header.ssrc);
        r.seqs.push(rtp.header.sequenceNumber);
        const p = rtp.payload;
        const d = track.kind === 'video' && p.length > 12 ? vp8Descriptor(p) : undefined;
        if (d && p[d.len + 1] === 0x7e) {
          r.sources.push(`${p[d.len + 2]}:${p[d.len + 3]}`);
          r.tids.push(d.tid);
          if (p[d.len] === 0x00) r.keyframes++;
        } else if (track.kind === 'audio' && p.length > 6 && p[0] === 0x7e) r.sources.push(`${p[1]}:0`);
      });
    });
  }

  answer(offer: string): Promise<string> {
    return localAnswer(this.pc, offer);
  }

  connected(timeoutMs = 10_000): Promise<void> {
    return connectedWithin(this.pc, timeoutMs);
  }

  rec(mid: string): MidRecord {
    return this.byMid.get(mid) ?? { packets: 0, ssrcs: new Set(), seqs: [], sources: [], tids: [], keyframes: 0 };
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}

/** Largest forward gap and number of backward steps of a sequence-number series (mod 2^16). */
export function seqStats(seqs: number[]): { maxGap: number; backwards: number; span: number; unique: number } {
  let maxGap = 0;
  let backwards = 0;
  let unwrapped = 0;
  let min = 0;
  let max = 0;
  const seen = new Set<number>();
  for (let i = 0; i < seqs.length; i++) {
    if (i > 0) {
      const d = (seqs[i]! - seqs[i - 1]! + 0x10000) & 0xffff;
      const delta = d >= 0x8000 ? d - 0x10000 : d;
      if (delta <= 0) backwards++;
      else maxGap = Math.max(maxGap, delta);
      unwrapped += delta;
    }
    min = Math.min(min, unwrapped);
    max = Math.max(max, unwrapped);
    seen.add(unwrapped);
  }
  return { maxGap, backwards, span: seqs.length ? max - min + 1 : 0, unique: seen.size };
}

let nextHandle = 1;
export function handleId(): number {
  return nextHandle++;
}

/** Publishes `pub` as peer (session, handle); returns its key and streams. */
export async function publish(
  link: RelayLink,
  session: number,
  pub: PubClient,
  options: Record<string, unknown> = {},
  connect = true,
) {
  const handle = handleId();
  const reply = await link.request({
    op: 'peer.create',
    sessionId: session,
    handleId: handle,
    plugin: VIDEOROOM,
    offer: { sdp: await pub.offer() },
    options: { role: 'publisher', ...options },
  } as CommandInput);
  if (!reply.ok) throw new Error(`publish failed: ${reply.error.code} ${reply.error.reason}`);
  const result = reply.result as {
    answer: { sdp: string };
    streams: Array<{
      type: string;
      mid: string;
      mindex: number;
      codec?: string;
      simulcast?: boolean;
      disabled?: boolean;
    }>;
  };
  if (connect) {
    await pub.accept(result.answer.sdp);
    await pub.connected();
  }
  return { handle, key: `${session}:${handle}`, streams: result.streams, answer: result.answer.sdp };
}

/**
 * A subscriber that brings its own offer (a WHEP player), for one publisher's video: created with its
 * recvonly offer, answered by the relay, connected. `first` is the relay's answer, `mid` its video m-line.
 */
export async function offeringSubscriber(
  link: RelayLink,
  sessionId: number,
  feedId: number,
  published: Awaited<ReturnType<typeof publish>>,
) {
  const sub = new SubClient();
  sub.pc.addTransceiver('video', { direction: 'recvonly' });
  const feedMid = published.streams.find((st) => st.type === 'video')!.mid;
  const key = { sessionId, handleId: handleId() };
  const created = await link.call({
    op: 'peer.create',
    ...key,
    plugin: VIDEOROOM,
    offer: { sdp: await localOffer(sub.pc) },
    options: { role: 'subscriber', streams: [{ feedId, feedKey: published.key, feedMid, type: 'video' }] },
  } as CommandInput);
  const first = (created as { answer: { sdp: string } }).answer.sdp;
  await remoteAnswer(sub.pc, first);
  await sub.connected();
  return { sub, key, first, mid: sub.pc.getTransceivers()[0]!.mid! };
}

/**
 * The offering subscriber restarts ICE (`peer.offer` with new credentials): the relay's answer has new
 * ones too, ICE comes back up and media goes on on `mid`.
 */
export async function restartByOffer(
  link: RelayLink,
  key: { sessionId: number; handleId: number },
  sub: SubClient,
  first: string,
  mid: string,
): Promise<void> {
  sub.pc.restartIce();
  const restarted = await link.call({ op: 'peer.offer', ...key, sdp: await localOffer(sub.pc) } as CommandInput);
  const answer = (restarted as { answer: { sdp: string } }).answer.sdp;
  const ufrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)![1];
  if (ufrag(answer) === ufrag(first)) throw new Error('the restart answer kept the old ICE credentials');
  await remoteAnswer(sub.pc, answer);
  const ice = sub.pc.dtlsTransports[0]!.iceTransport;
  ice.start().catch(() => undefined);
  await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 5000, 'ICE up again');
  const before = sub.rec(mid).packets;
  await waitFor(() => sub.rec(mid).packets > before + 10, 5000, 'media after the restart');
}

export interface SubStreamReq {
  feedId: number | string;
  feedKey: string;
  feedMid: string;
  type: 'audio' | 'video' | 'data';
  send?: boolean;
  substream?: number;
  temporal?: number;
  fallback?: number;
}

export type SubStreamOut = {
  mindex: number;
  mid: string;
  type: string;
  feedId: number | string;
  feedMid: string;
  active: boolean;
  send: boolean;
};

/** Subscribes `sub` as peer (session, handle) to `streams`; answers and waits for the connection. */
export async function subscribe(
  link: RelayLink,
  session: number,
  sub: SubClient,
  streams: SubStreamReq[],
  options: Record<string, unknown> = {},
) {
  const handle = handleId();
  const reply = await link.request({
    op: 'peer.create',
    sessionId: session,
    handleId: handle,
    plugin: VIDEOROOM,
    options: { role: 'subscriber', streams, ...options },
  } as CommandInput);
  if (!reply.ok) throw new Error(`subscribe failed: ${reply.error.code} ${reply.error.reason}`);
  const result = reply.result as { offer: { sdp: string }; streams: SubStreamOut[] };
  const answer = await sub.answer(result.offer.sdp);
  const a = await link.request({ op: 'peer.answer', sessionId: session, handleId: handle, sdp: answer });
  if (!a.ok) throw new Error(`answer failed: ${a.error.code} ${a.error.reason}`);
  await sub.connected();
  return { handle, streams: result.streams, offer: result.offer.sdp };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
