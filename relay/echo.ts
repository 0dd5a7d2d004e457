import type { MediaStreamTrack, RTCDataChannel, RTCPeerConnection, RTCRtpTransceiver, RtpPacket } from 'werift';
import type { EchoSettings, EchoState, MidCounters, PeerInfoResult, PeerOptions, TrickleCandidate } from '../shared/control/commands.js';
import type { PeerEvent, StreamStats } from '../shared/control/events.js';
import { Codes, RelayError } from './errors.js';
import type { Logger } from './logger.js';
import { addCounters, zeroCounters, type MediaCounters } from './metrics.js';
import { inspectSdp, stripCandidates, type SdpSummary } from './sdp.js';
import { vp8TemporalId } from './sfu/payload.js';
import {
  copyPacket,
  createPeerConnection,
  disableDefaultStun,
  hardenDtls,
  preferDtlsServer,
  rebaseSender,
  receiverQuality,
  ridExtensionIds,
  skipSequenceNumber,
  selectedPair,
  sendCloseNotify,
  sendRemb,
  senderQuality,
  type PeerNetwork,
} from './peer/werift.js';

/** Janus EchoTest: every RTP stream goes back on its own mid, data channel messages are echoed. */

const noop = () => {};
const KEYFRAME_MIN_INTERVAL_MS = 500;
/** A PeerConnection that is not up this long after its description was applied is hung up. */
const SETUP_TIMEOUT_MS = 30_000;

interface MidState {
  readonly mid: string;
  readonly media: 'audio' | 'video';
  mindex: number;
  readonly transceiver: RTCRtpTransceiver;
  readonly c: MediaCounters;
  /** Set by the packet path, consumed by the tick. */
  rxSinceTick: boolean;
  lastRxAt: number;
  /** undefined until the first packet. */
  receiving: boolean | undefined;
  needKeyframe: boolean;
  lastPliAt: number;
  /** rids of a=simulcast send, highest first (Janus rid_order "hml"). */
  rids: string[];
  currentRid: string | undefined;
  ssrcs: Set<number>;
  codec: string | undefined;
  // slowlink / stats windows
  nacksInWindow: number;
  nacksOutWindow: number;
  lastSlowlinkUp: number;
  lastSlowlinkDown: number;
  lastStats: { bytesIn: number; bytesOut: number; at: number };
  hooked: Set<MediaStreamTrack>;
}

export interface EchoSessionDeps {
  sessionId: number;
  handleId: number;
  network: PeerNetwork;
  options: PeerOptions;
  logger: Logger;
  emit(event: PeerEvent): void;
  /** Called once, synchronously, when the session starts closing. */
  onClosing(session: EchoSession): void;
  /** Called once when every resource of the session is released. */
  onClosed(session: EchoSession, totals: MediaCounters): void;
}

export class EchoSession {
  readonly key: string;
  readonly createdAt = Date.now();
  private readonly pc: RTCPeerConnection;
  private readonly mids = new Map<string, MidState>();
  private readonly data = { mid: undefined as string | undefined, c: zeroCounters() };
  private readonly channels = new Set<RTCDataChannel>();
  private readonly echo: EchoState;
  private readonly log: Logger;
  private readonly slowlinkThreshold: number;
  private readonly trickle: boolean;
  private webrtcUp = false;
  private closing = false;
  private closedPromise: Promise<void> | undefined;
  private hookedDtls = new Set<object>();
  private remote: SdpSummary | undefined;
  private pendingCandidates: TrickleCandidate[] = [];
  /** rid header extensions are not echoed (the echo is a single, non-simulcast stream). */
  private ridExtIds: ReadonlySet<number> = new Set();

  constructor(private readonly deps: EchoSessionDeps) {
    this.key = `${deps.sessionId}:${deps.handleId}`;
    this.log = deps.logger.child({ peer: this.key });
    const o = deps.options;
    this.echo = {
      audio: o.audio ?? true,
      video: o.video ?? true,
      data: o.data ?? true,
      bitrate: o.bitrate ?? 0,
      substream: o.substream ?? 2,
      temporal: o.temporal ?? 2,
    };
    this.slowlinkThreshold = o.slowlinkThreshold ?? 0;
    this.trickle = o.trickle ?? false;
    this.pc = createPeerConnection(deps.network);
    this.wire();
  }

  get closed(): boolean {
    return this.closing;
  }
  get connected(): boolean {
    return this.webrtcUp;
  }

  private emit(event: PeerEvent): void {
    if (!this.closing || event.kind === 'hangup') this.deps.emit(event);
  }

  // ---- wiring --------------------------------------------------------------------------------

  private wire(): void {
    const pc = this.pc;
    pc.iceConnectionStateChange.subscribe((state) => {
      if (this.closing) return;
      this.emit({ kind: 'ice', state });
      if (state === 'failed') void this.hangup('ICE failed');
    });
    pc.connectionStateChange.subscribe((state) => {
      if (this.closing) return;
      if (state === 'connected' && !this.webrtcUp) {
        this.webrtcUp = true;
        const pair = selectedPair(pc);
        if (pair) this.emit({ kind: 'selected-pair', ...pair });
        this.emit({ kind: 'webrtcup' });
        for (const st of this.mids.values()) if (st.media === 'video') st.needKeyframe = true;
        if (this.echo.bitrate > 0) this.sendRembs();
      } else if (state === 'failed') {
        const dtls = pc.dtlsTransports[0]?.state;
        void this.hangup(dtls === 'failed' ? 'DTLS error' : 'ICE failed');
      }
    });
    pc.onTransceiverAdded.subscribe((t) => this.hookTransceiver(t));
    pc.onDataChannel.subscribe((dc) => this.hookDataChannel(dc));
    pc.onIceCandidate.subscribe((candidate) => {
      if (!this.trickle || this.closing) return;
      if (candidate) {
        const json = candidate.toJSON();
        this.pendingCandidates.push({ candidate: json.candidate ?? '', sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? 0 });
      }
    });
  }

  private hookDtls(): void {
    for (const dtls of this.pc.dtlsTransports) {
      if (this.hookedDtls.has(dtls)) continue;
      this.hookedDtls.add(dtls);
      dtls.onStateChange.subscribe((state) => {
        if (this.closing) return;
        this.emit({ kind: 'dtls', state });
        if (state === 'closed') void this.hangup('DTLS alert');
        else if (state === 'failed') void this.hangup('DTLS error');
      });
    }
  }

  private hookTransceiver(t: RTCRtpTransceiver): void {
    if (t.kind !== 'audio' && t.kind !== 'video') return;
    t.onTrack.subscribe((track) => this.hookTrack(t, track));
    const sender = t.sender;
    sender.onPictureLossIndication.subscribe(() => {
      const st = t.mid ? this.mids.get(t.mid) : undefined;
      if (!st) return;
      st.c.plisIn++;
      st.needKeyframe = true; // forwarded to the client on its next packet
    });
    sender.onGenericNack.subscribe((nack) => {
      const st = t.mid ? this.mids.get(t.mid) : undefined;
      if (!st) return;
      st.c.nacksIn++;
      st.nacksInWindow += nack.lost.length;
    });
    t.receiver.onPacketLost.subscribe((nack) => {
      const st = t.mid ? this.mids.get(t.mid) : undefined;
      if (!st) return;
      st.c.nacksOut++;
      st.nacksOutWindow += nack.lost.length;
    });
  }

  /** Registers the mids of the current descriptions (after every negotiation). */
  private syncMids(): void {
    const sections = this.remote?.sections ?? [];
    for (const t of this.pc.getTransceivers()) {
      if (!t.mid || (t.kind !== 'audio' && t.kind !== 'video')) continue;
      const section = sections.find((s) => s.mid === t.mid);
      let st = this.mids.get(t.mid);
      if (!st) {
        st = {
          mid: t.mid,
          media: t.kind,
          mindex: section?.index ?? t.mLineIndex ?? 0,
          transceiver: t,
          c: zeroCounters(),
          rxSinceTick: false,
          lastRxAt: 0,
          receiving: undefined,
          needKeyframe: t.kind === 'video',
          lastPliAt: 0,
          rids: [],
          currentRid: undefined,
          ssrcs: new Set(),
          codec: undefined,
          nacksInWindow: 0,
          nacksOutWindow: 0,
          lastSlowlinkUp: 0,
          lastSlowlinkDown: 0,
          lastStats: { bytesIn: 0, bytesOut: 0, at: Date.now() },
          hooked: new Set(),
        };
        this.mids.set(t.mid, st);
      }
      if (section) {
        st.mindex = section.index;
        st.rids = section.simulcastRids;
      }
      st.codec = t.sender.codec?.name?.toLowerCase() ?? t.codecs[0]?.name?.toLowerCase();
    }
    const appSection = sections.find((s) => s.kind === 'application');
    if (appSection?.mid) this.data.mid = appSection.mid;
  }

  private hookTrack(t: RTCRtpTransceiver, track: MediaStreamTrack): void {
    const mid = t.mid;
    const st = mid ? this.mids.get(mid) : undefined;
    if (!st || st.hooked.has(track)) return;
    st.hooked.add(track);
    track.onReceiveRtp.subscribe((rtp) => this.onRtp(st, track, rtp));
  }

  private hookDataChannel(dc: RTCDataChannel): void {
    this.channels.add(dc);
    dc.onMessage.subscribe((msg) => {
      const c = this.data.c;
      const size = typeof msg === 'string' ? Buffer.byteLength(msg) : msg.length;
      c.packetsIn++;
      c.bytesIn += size;
      if (!this.echo.data || dc.readyState !== 'open') return;
      c.packetsOut++;
      c.bytesOut += size;
      try {
        dc.send(msg);
      } catch (err) {
        this.log.debug('data channel echo failed', { err });
      }
    });
    dc.stateChanged.subscribe((state) => {
      if (state === 'closed') this.channels.delete(dc);
    });
  }

  // ---- the packet path -----------------------------------------------------------------------

  private onRtp(st: MidState, track: MediaStreamTrack, rtp: RtpPacket): void {
    const c = st.c;
    const size = rtp.serializeSize;
    c.packetsIn++;
    c.bytesIn += size;
    st.rxSinceTick = true;
    if (this.closing) return;
    if (st.media === 'audio' ? !this.echo.audio : !this.echo.video) return;
    const sender = st.transceiver.sender;
    if (st.rids.length > 1 && track.rid !== undefined) {
      const target = this.targetRid(st);
      if (track.rid !== st.currentRid) {
        // Switch when the target layer shows up, or take whatever comes first.
        if (track.rid !== target && st.currentRid !== undefined) return;
        st.currentRid = track.rid;
        rebaseSender(sender, rtp);
        st.needKeyframe = true;
      }
    }
    // Janus's `temporal`: VP8 frames above the chosen temporal layer are not echoed.
    if (st.codec === 'vp8' && this.echo.temporal < 2 && vp8TemporalId(rtp.payload) > this.echo.temporal) {
      skipSequenceNumber(sender);
      return;
    }
    if (st.needKeyframe && st.media === 'video') this.requestKeyframe(st, rtp.header.ssrc);
    st.ssrcs.add(rtp.header.ssrc);
    const out = copyPacket(rtp, st.rids.length > 0 ? this.ridExtIds : undefined);
    c.packetsOut++;
    c.bytesOut += size;
    sender.sendRtp(out).catch(noop);
  }

  private requestKeyframe(st: MidState, ssrc: number): void {
    const now = Date.now();
    if (now - st.lastPliAt < KEYFRAME_MIN_INTERVAL_MS) return;
    st.lastPliAt = now;
    st.needKeyframe = false;
    st.c.plisOut++;
    st.transceiver.receiver.sendRtcpPLI(ssrc).catch(noop);
  }

  /** Substream 0 is the lowest layer; the client lists rids highest first (Janus's default "hml"). */
  private targetRid(st: MidState): string | undefined {
    const n = st.rids.length;
    if (n === 0) return undefined;
    const index = Math.max(0, n - 1 - Math.min(this.echo.substream, n - 1));
    return st.rids[index];
  }

  // ---- negotiation ---------------------------------------------------------------------------

  /** Applies a client offer and returns the relay's answer (initial offer or renegotiation). */
  async acceptOffer(sdp: string): Promise<string> {
    this.assertOpen();
    const summary = inspectSdp(sdp);
    if (this.pc.signalingState !== 'stable') {
      throw new RelayError(Codes.WEBRTC_STATE, `Cannot accept an offer in signaling state ${this.pc.signalingState}`);
    }
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
    } catch (err) {
      throw new RelayError(Codes.INVALID_SDP, `Invalid SDP (${(err as Error).message})`);
    }
    this.remote = summary;
    for (const t of this.pc.getTransceivers()) {
      if (t.kind === 'audio' || t.kind === 'video') t.setDirection('sendrecv');
    }
    const answer = await this.pc.createAnswer();
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription({ type: 'answer', sdp: preferDtlsServer(answer.sdp, sdp) });
    this.afterNegotiation();
    const local = this.pc.localDescription?.sdp ?? answer.sdp;
    return this.trickle ? stripCandidates(local) : local;
  }

  /** A relay-made offer (peer.create without an offer): audio, video and a data channel, sendrecv. */
  async makeOffer(): Promise<string> {
    this.assertOpen();
    this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.pc.addTransceiver('video', { direction: 'sendrecv' });
    const dc = this.pc.createDataChannel('JanusDataChannel');
    this.hookDataChannel(dc);
    const offer = await this.pc.createOffer();
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription(offer);
    const local = this.pc.localDescription?.sdp ?? offer.sdp;
    this.afterNegotiation();
    return this.trickle ? stripCandidates(local) : local;
  }

  /** The client's answer to {@link makeOffer}. */
  async acceptAnswer(sdp: string): Promise<void> {
    this.assertOpen();
    if (this.pc.signalingState !== 'have-local-offer') throw new RelayError(Codes.UNEXPECTED_ANSWER);
    const summary = inspectSdp(sdp);
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (err) {
      throw new RelayError(Codes.INVALID_SDP, `Invalid SDP (${(err as Error).message})`);
    }
    this.remote = summary;
    this.afterNegotiation();
  }

  private afterNegotiation(): void {
    this.ridExtIds = ridExtensionIds(this.pc);
    this.syncMids();
    for (const t of this.pc.getTransceivers()) {
      // Tracks that werift announced before the mid was known.
      for (const track of t.receiver.tracks) this.hookTrack(t, track);
    }
    this.hookDtls();
    hardenDtls(this.pc);
  }

  /** Candidates gathered for a trickling peer, sent after the reply that carried the SDP. */
  takeLocalCandidates(): TrickleCandidate[] | undefined {
    if (!this.trickle) return undefined;
    const list = this.pendingCandidates;
    this.pendingCandidates = [];
    return [...list, { completed: true }];
  }

  async addCandidate(candidate: TrickleCandidate): Promise<void> {
    this.assertOpen();
    if ('completed' in candidate) {
      await this.pc.addIceCandidate(undefined).catch(noop);
      return;
    }
    const sections = this.remote?.sections;
    if (!sections) throw new RelayError(Codes.WEBRTC_STATE, 'No remote description yet');
    const { sdpMid, sdpMLineIndex } = candidate;
    let section = sdpMid != null ? sections.find((s) => s.mid === sdpMid) : undefined;
    if (sdpMid == null && sdpMLineIndex != null) section = sections[sdpMLineIndex];
    if (!section) throw new RelayError(Codes.INVALID_STREAM, `Invalid stream (no m-line for mid ${sdpMid ?? sdpMLineIndex})`);
    if (!candidate.candidate) return; // empty candidate = end of candidates for that mid
    try {
      await this.pc.addIceCandidate({ candidate: candidate.candidate, sdpMid: section.mid, sdpMLineIndex: section.index });
    } catch (err) {
      throw new RelayError(Codes.INVALID_STREAM, `Invalid candidate (${(err as Error).message})`);
    }
  }

  // ---- EchoTest settings ---------------------------------------------------------------------

  configure(settings: EchoSettings): EchoState {
    const before = { ...this.echo };
    for (const k of ['audio', 'video', 'data', 'bitrate', 'substream', 'temporal'] as const) {
      const v = settings[k];
      if (v !== undefined) (this.echo as Record<string, unknown>)[k] = v;
    }
    if (!before.video && this.echo.video) for (const st of this.mids.values()) if (st.media === 'video') st.needKeyframe = true;
    if (before.substream !== this.echo.substream) for (const st of this.mids.values()) if (st.rids.length > 1) st.needKeyframe = true;
    if (settings.bitrate !== undefined && this.webrtcUp) this.sendRembs();
    return { ...this.echo };
  }

  private sendRembs(): void {
    if (this.echo.bitrate <= 0) return;
    for (const st of this.mids.values()) {
      if (st.media !== 'video' || st.ssrcs.size === 0) continue;
      sendRemb(st.transceiver.receiver, this.echo.bitrate, [...st.ssrcs]).catch(noop);
    }
  }

  // ---- periodic work (driven by the registry's single ticker) --------------------------------

  tick(now: number, noMediaMs: number, everySecond: boolean): void {
    if (this.closing) return;
    if (!this.webrtcUp && now - this.createdAt > SETUP_TIMEOUT_MS && this.remote) {
      void this.hangup('ICE failed');
      return;
    }
    for (const st of this.mids.values()) {
      if (st.rxSinceTick) {
        st.rxSinceTick = false;
        st.lastRxAt = now;
        if (st.receiving !== true) {
          st.receiving = true;
          this.emit({ kind: 'media', mid: st.mid, media: st.media, receiving: true });
        }
      } else if (st.receiving === true && now - st.lastRxAt >= noMediaMs) {
        st.receiving = false;
        this.emit({ kind: 'media', mid: st.mid, media: st.media, receiving: false, seconds: Math.round((now - st.lastRxAt) / 1000) });
      }
    }
    if (!everySecond) return;
    if (this.echo.bitrate > 0 && this.webrtcUp) this.sendRembs();
    this.checkSlowlink(now);
  }

  /** At most one `slowlink` per mid and direction per second (Janus's slowlink_threshold logic). */
  private checkSlowlink(now: number): void {
    const threshold = this.slowlinkThreshold;
    for (const st of this.mids.values()) {
      const inWin = st.nacksInWindow;
      const outWin = st.nacksOutWindow;
      st.nacksInWindow = 0;
      st.nacksOutWindow = 0;
      if (threshold <= 0) continue;
      // uplink=true: the client NACKs what we send it; uplink=false: we NACK what it sends us.
      if (inWin > threshold && now - st.lastSlowlinkUp >= 1000) {
        st.lastSlowlinkUp = now;
        this.emit({ kind: 'slowlink', mid: st.mid, media: st.media, uplink: true, lost: inWin });
      }
      if (outWin > threshold && now - st.lastSlowlinkDown >= 1000) {
        st.lastSlowlinkDown = now;
        this.emit({ kind: 'slowlink', mid: st.mid, media: st.media, uplink: false, lost: outWin });
      }
    }
  }

  statsEvent(now: number): PeerEvent | undefined {
    if (this.closing || !this.webrtcUp) return undefined;
    const streams: StreamStats[] = [];
    for (const st of this.mids.values()) {
      const secs = Math.max(0.001, (now - st.lastStats.at) / 1000);
      const rq = receiverQuality(st.transceiver.receiver);
      const sq = senderQuality(st.transceiver.sender);
      streams.push({
        mid: st.mid,
        mindex: st.mindex,
        media: st.media,
        codec: st.codec,
        rtt: sq.rttMs,
        lost: rq.lost,
        'lost-by-remote': sq.lostByRemote,
        'jitter-local': rq.jitterMs,
        'jitter-remote': 0,
        'packets-received': st.c.packetsIn,
        'packets-sent': st.c.packetsOut,
        'bytes-received': st.c.bytesIn,
        'bytes-sent': st.c.bytesOut,
        'bytes-received-lastsec': Math.round((st.c.bytesIn - st.lastStats.bytesIn) / secs),
        'bytes-sent-lastsec': Math.round((st.c.bytesOut - st.lastStats.bytesOut) / secs),
        'nacks-received': st.c.nacksIn,
        'nacks-sent': st.c.nacksOut,
        'plis-received': st.c.plisIn,
        'plis-sent': st.c.plisOut,
        'retransmissions-received': 0,
        ...(sq.remb > 0 ? { 'remb-bitrate': sq.remb } : {}),
      });
      st.lastStats = { bytesIn: st.c.bytesIn, bytesOut: st.c.bytesOut, at: now };
    }
    if (this.data.mid !== undefined) {
      const c = this.data.c;
      streams.push({
        mid: this.data.mid,
        mindex: this.remote?.sections.find((s) => s.mid === this.data.mid)?.index ?? 0,
        media: 'data',
        rtt: 0,
        lost: 0,
        'lost-by-remote': 0,
        'jitter-local': 0,
        'jitter-remote': 0,
        'packets-received': c.packetsIn,
        'packets-sent': c.packetsOut,
        'bytes-received': c.bytesIn,
        'bytes-sent': c.bytesOut,
        'bytes-received-lastsec': 0,
        'bytes-sent-lastsec': 0,
        'nacks-received': 0,
        'nacks-sent': 0,
        'plis-received': 0,
        'plis-sent': 0,
        'retransmissions-received': 0,
      });
    }
    return streams.length ? { kind: 'stats', streams } : undefined;
  }

  /** Counters of every mid, summed (for metrics). */
  totals(into: MediaCounters = zeroCounters()): MediaCounters {
    for (const st of this.mids.values()) addCounters(into, st.c);
    addCounters(into, this.data.c);
    return into;
  }

  info(): PeerInfoResult {
    const counters: MidCounters[] = [];
    for (const st of this.mids.values()) {
      counters.push({ mid: st.mid, media: st.media, receiving: st.receiving === true, ...st.c });
    }
    if (this.data.mid !== undefined) counters.push({ mid: this.data.mid, media: 'data', receiving: this.channels.size > 0, ...this.data.c });
    return {
      iceState: this.pc.iceConnectionState,
      dtlsState: this.pc.dtlsTransports[0]?.state ?? 'new',
      signalingState: this.pc.signalingState,
      selectedPair: (() => {
        const p = selectedPair(this.pc);
        return p ? { local: strip(p.local), remote: strip(p.remote) } : null;
      })(),
      echo: { ...this.echo },
      counters,
    };
  }

  // ---- teardown ------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closing) throw new RelayError(Codes.WEBRTC_STATE, 'PeerConnection is closing');
  }

  /**
   * Closes the PeerConnection: emits `hangup` (once), tells the client with a DTLS close_notify,
   * releases every socket and timer. Idempotent; resolves when everything is released.
   */
  hangup(reason: string, opts: { notifyEdge?: boolean; notifyClient?: boolean } = {}): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closing = true;
    this.deps.onClosing(this);
    if (opts.notifyEdge !== false) this.deps.emit({ kind: 'hangup', reason });
    this.log.debug('hangup', { reason });
    this.closedPromise = (async () => {
      if (opts.notifyClient !== false) {
        let sent = false;
        for (const dtls of this.pc.dtlsTransports) {
          if (dtls.state !== 'connected') continue;
          await sendCloseNotify(dtls);
          sent = true;
        }
        // Let the datagram leave before the socket closes (closing cancels queued sends).
        if (sent) await new Promise((r) => setTimeout(r, 20));
      }
      for (const dc of this.channels) {
        try {
          dc.close();
        } catch {
          // ignore
        }
      }
      this.channels.clear();
      try {
        await this.pc.close();
      } catch (err) {
        this.log.warn('error closing PeerConnection', { err });
      }
      this.deps.onClosed(this, this.totals());
    })();
    return this.closedPromise;
  }
}

function strip(e: { address: string; port: number; type: string; transport: string }) {
  return { address: e.address, port: e.port, type: e.type, transport: e.transport };
}
