import type { RTCDataChannel, RTCDtlsTransport, RTCPeerConnection } from 'werift';
import type { EchoState, MidCounters, PeerInfoResult, TrickleCandidate } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { RecordingFile } from '../../shared/control/recording.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { zeroCounters, type MediaCounters } from '../metrics.js';
import { bundleIceCredentials, inspectSdp, isRejected, stripCandidates, type SdpSummary } from '../sdp.js';
import { PeerRecording, type RecordingHost, type RecordingRequest } from '../recording/peerRecording.js';
import { installSrtpInput } from '../srtp/srtpInput.js';
import { PeerCapture } from '../capture/peerCapture.js';
import { createPeerConnection, type PeerMedia, type PeerNetwork } from './factory.js';
import { prepareIce } from './iceSetup.js';
import type { MediaSettings } from './mediaSettings.js';
import { hardenDtls, iceChecksReceived, selectedPair, sendCloseNotify, startRestartedIceChecks } from './werift.js';

/**
 * What every relay peer shares, whatever its plugin (EchoTest, VideoRoom publisher or subscriber): the
 * PeerConnection and its lifecycle events (ice, dtls, selected-pair, webrtcup, hangup), applying
 * descriptions, trickle, the setup timeout, `peer.info` basics and teardown: one implementation.
 */

export const noop = (): void => {};
/** A PeerConnection that is not up this long after its description was applied is hung up. */
const SETUP_TIMEOUT_MS = 30_000;
/** peer.info's schema is the EchoTest's: peers of other plugins report these neutral settings. */
const NEUTRAL_ECHO: EchoState = { audio: true, video: true, data: true, bitrate: 0, substream: 2, temporal: 2 };

export interface PeerDeps {
  sessionId: number;
  handleId: number;
  network: PeerNetwork;
  logger: Logger;
  /** Candidates are trickled after the reply instead of being written into the SDP. */
  trickle: boolean;
  /** A negotiated peer that gets no ICE connectivity check this long is hung up. */
  iceStartTimeoutMs: number;
  /** The relay-wide media settings, read live (an admin may change them). */
  settings: Readonly<MediaSettings>;
  emit(event: PeerEvent): void;
  /** Called once, synchronously, when the peer starts closing. */
  onClosing(peer: PeerBase): void;
  /** Called once when every resource of the peer is released. */
  onClosed(peer: PeerBase): void;
}

/** Receive activity of one m-line: set by the packet path, read by the tick (`media` events). */
export interface RxActivity {
  readonly mid: string;
  rxSinceTick: boolean;
  lastRxAt: number;
  /** undefined until the first packet. */
  receiving: boolean | undefined;
}

/** `peer.info` counters of a data channel: what the plugin counts, zero for the rest (no NACKs or PLIs on SCTP). */
export function dataCounters(mid: string, receiving: boolean, counted: Partial<MediaCounters>): MidCounters {
  return { mid, media: 'data', receiving, ...zeroCounters(), ...counted };
}

export interface HangupOptions {
  notifyEdge?: boolean;
  notifyClient?: boolean;
}

export abstract class PeerBase {
  readonly sessionId: number;
  readonly handleId: number;
  readonly key: string;
  readonly createdAt = Date.now();
  /** The Janus plugin the peer serves (capacity and metrics are counted per plugin). */
  abstract readonly plugin: string;
  protected readonly pc: RTCPeerConnection;
  protected readonly log: Logger;
  protected remote: SdpSummary | undefined;
  /** The last descriptions applied, as given (`peer.info`'s `sdps`: a WHIP/WHEP ICE restart re-sends the remote one). */
  protected readonly sdps: { local?: string; remote?: string; remoteType?: 'offer' | 'answer' } = {};
  protected webrtcUp = false;
  protected closing = false;
  /** Data channels, closed with the peer. */
  protected readonly channels = new Set<RTCDataChannel>();
  private closedPromise: Promise<void> | undefined;
  private readonly hookedDtls = new Set<object>();
  private pendingCandidates: TrickleCandidate[] = [];
  /** When both descriptions were first in place (the client could start ICE); undefined before. */
  private negotiatedAt: number | undefined;
  /** The client's ICE agent has checked us at least once. */
  private iceStarted = false;
  /** `peer.record`: the recording in progress. */
  private recording: PeerRecording | undefined;
  /** `peer.capture`: the packet capture, ended with the peer. */
  readonly capture = new PeerCapture(() => this.pc.dtlsTransports);

  constructor(
    protected readonly deps: PeerDeps,
    media: PeerMedia,
  ) {
    this.sessionId = deps.sessionId;
    this.handleId = deps.handleId;
    this.key = `${deps.sessionId}:${deps.handleId}`;
    this.log = deps.logger.child({ peer: this.key });
    this.pc = createPeerConnection(deps.network, media);
    this.wire();
  }

  get closed(): boolean {
    return this.closing;
  }
  get connected(): boolean {
    return this.webrtcUp;
  }

  /** `slowlink` events sent so far (Janus's per-handle `slowlink_count`). */
  private slowlinks = 0;

  /** Nothing but `hangup` leaves a closing peer. */
  protected emit(event: PeerEvent): void {
    if (this.closing && event.kind !== 'hangup') return;
    if (event.kind === 'slowlink') this.slowlinks++;
    this.deps.emit(event);
  }

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
        this.onConnected();
      } else if (state === 'failed') {
        const dtls = pc.dtlsTransports[0]?.state;
        void this.hangup(dtls === 'failed' ? 'DTLS error' : 'ICE failed');
      }
    });
    pc.onIceCandidate.subscribe((candidate) => {
      if (!this.deps.trickle || this.closing || !candidate) return;
      const json = candidate.toJSON();
      this.pendingCandidates.push({
        candidate: json.candidate ?? '',
        sdpMid: json.sdpMid ?? null,
        sdpMLineIndex: json.sdpMLineIndex ?? 0,
      });
    });
  }

  /** The PeerConnection is up (ICE + DTLS). */
  protected abstract onConnected(): void;

  /** Hooks the state of every DTLS transport once; call after every negotiation. */
  protected hookDtls(): void {
    for (const dtls of this.pc.dtlsTransports) {
      if (this.hookedDtls.has(dtls)) continue;
      this.hookedDtls.add(dtls);
      dtls.onStateChange.subscribe((state) => {
        if (this.closing) return;
        this.emit({ kind: 'dtls', state });
        if (state === 'closed') void this.hangup('DTLS alert');
        else if (state === 'failed') void this.hangup('DTLS error');
      });
      installSrtpInput(dtls);
      this.capture.onTransport(dtls);
      this.onDtlsTransport(dtls);
    }
    hardenDtls(this.pc);
  }

  /** A DTLS transport showed up (once per transport). */
  protected onDtlsTransport(_dtls: RTCDtlsTransport): void {}

  /** Keeps a data channel until it closes, so teardown can close it. */
  protected trackChannel(dc: RTCDataChannel): void {
    this.channels.add(dc);
    dc.stateChanged.subscribe((state) => {
      if (state === 'closed') this.channels.delete(dc);
    });
  }

  // ---- negotiation ---------------------------------------------------------------------------

  /**
   * Checks a client offer can be applied now; returns its summary (465 when it is no WebRTC SDP, or
   * rejects every m-line: nothing would be left to connect).
   */
  protected checkOffer(sdp: string): SdpSummary {
    this.assertOpen();
    const summary = inspectSdp(sdp);
    if (summary.sections.every(isRejected))
      throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (every m-line is rejected)');
    if (this.pc.signalingState !== 'stable') {
      throw new RelayError(Codes.WEBRTC_STATE, `Cannot accept an offer in signaling state ${this.pc.signalingState}`);
    }
    return summary;
  }

  /** Applies the client's answer to the relay's offer. */
  protected async applyAnswer(sdp: string): Promise<void> {
    this.assertOpen();
    if (this.pc.signalingState !== 'have-local-offer') throw new RelayError(Codes.UNEXPECTED_ANSWER);
    await this.applyRemote('answer', sdp);
    startRestartedIceChecks(this.pc);
  }

  /** Applies a remote description; werift errors become 465. */
  protected async applyRemote(
    type: 'offer' | 'answer',
    sdp: string,
    summary: SdpSummary = inspectSdp(sdp),
  ): Promise<void> {
    try {
      await this.pc.setRemoteDescription({ type, sdp: bundleIceCredentials(sdp) });
    } catch (err) {
      throw new RelayError(Codes.INVALID_SDP, `Invalid SDP (${(err as Error).message})`);
    }
    this.remote = summary;
    this.sdps.remote = sdp;
    this.sdps.remoteType = type;
    if (type === 'answer') this.negotiatedAt ??= Date.now();
  }

  /** Applies a local description (host candidates only); returns the SDP for the client. */
  protected async applyLocal(desc: { type: 'offer' | 'answer'; sdp: string }): Promise<string> {
    prepareIce(this.pc, this.deps.network);
    await this.pc.setLocalDescription(desc);
    if (desc.type === 'answer') this.negotiatedAt ??= Date.now();
    this.hookDtls();
    const local = this.pc.localDescription?.sdp ?? desc.sdp;
    this.sdps.local = local;
    return this.deps.trickle ? stripCandidates(local) : local;
  }

  /** Candidates gathered for a trickling peer, sent after the reply that carried the SDP. */
  takeLocalCandidates(): TrickleCandidate[] | undefined {
    if (!this.deps.trickle) return undefined;
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
    if (!section)
      throw new RelayError(Codes.INVALID_STREAM, `Invalid stream (no m-line for mid ${sdpMid ?? sdpMLineIndex})`);
    if (!candidate.candidate) return; // empty candidate = end of candidates for that mid
    try {
      await this.pc.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: section.mid,
        sdpMLineIndex: section.index,
      });
    } catch (err) {
      throw new RelayError(Codes.INVALID_STREAM, `Invalid candidate (${(err as Error).message})`);
    }
  }

  protected assertOpen(): void {
    if (this.closing) throw new RelayError(Codes.WEBRTC_STATE, 'PeerConnection is closing');
  }

  // ---- periodic work (driven by the peer table's single ticker) ------------------------------

  tick(now: number, _noMediaMs: number, _everySecond: boolean): void {
    if (this.closing) return;
    if (this.webrtcUp) return startRestartedIceChecks(this.pc);
    if (this.remote && now - this.createdAt > SETUP_TIMEOUT_MS) {
      void this.hangup('ICE failed');
      return;
    }
    // A client that never starts ICE (gone, or it could not apply our description) is not waited for.
    if (this.negotiatedAt === undefined || this.iceStarted) return;
    this.iceStarted = iceChecksReceived(this.pc);
    if (!this.iceStarted && now - this.negotiatedAt > this.deps.iceStartTimeoutMs) {
      this.log.info('no ICE connectivity check from the client', { waitedMs: now - this.negotiatedAt });
      void this.hangup('ICE failed');
    }
  }

  /** Janus's `media` events: receiving=true at the first packet, false after `noMediaMs` without any (0: never). */
  protected reportMedia(rx: RxActivity, media: 'audio' | 'video', now: number, noMediaMs: number): void {
    if (rx.rxSinceTick) {
      rx.rxSinceTick = false;
      rx.lastRxAt = now;
      if (rx.receiving !== true) {
        rx.receiving = true;
        this.emit({ kind: 'media', mid: rx.mid, media, receiving: true });
      }
    } else if (rx.receiving === true && noMediaMs > 0 && now - rx.lastRxAt >= noMediaMs) {
      rx.receiving = false;
      this.emit({
        kind: 'media',
        mid: rx.mid,
        media,
        receiving: false,
        seconds: Math.round((now - rx.lastRxAt) / 1000),
      });
    }
  }

  /** The periodic `stats` event, for plugins that send one. */
  statsEvent(_now: number): PeerEvent | undefined {
    return undefined;
  }

  /** Adds the peer's media counters to `into` (the relay's metrics); plugins that report none add nothing. */
  totals(into: MediaCounters): MediaCounters {
    return into;
  }

  // ---- peer.info -----------------------------------------------------------------------------

  protected abstract counters(): MidCounters[];

  protected echoSettings(): EchoState {
    return { ...NEUTRAL_ECHO };
  }

  /** The bitrate the client last estimated for what we send it (its REMB, bits/s); 0 when none came. */
  protected peerBitrate(): number {
    return 0;
  }

  info(): PeerInfoResult {
    const p = selectedPair(this.pc);
    return {
      iceState: this.pc.iceConnectionState,
      dtlsState: this.pc.dtlsTransports[0]?.state ?? 'new',
      signalingState: this.pc.signalingState,
      selectedPair: p ? { local: endpointInfo(p.local), remote: endpointInfo(p.remote) } : null,
      echo: this.echoSettings(),
      counters: this.counters(),
      peerBitrate: this.peerBitrate(),
      slowlinkCount: this.slowlinks,
      capture: this.capture.info(),
      sdps: { ...this.sdps },
    };
  }

  // ---- recording (peer.record) ---------------------------------------------------------------

  /** The plugin's side of recording (an object of arrow functions); undefined: its peers do not record. */
  protected recordingSource(): Omit<RecordingHost, 'emitRecording'> | undefined {
    return undefined;
  }

  /** The files being written, or undefined when not recording. */
  recordingFiles(): RecordingFile[] | undefined {
    return this.recording?.list();
  }

  /** Opens a file per recordable m-line; a file that cannot be opened fails it all (nothing left behind). */
  async startRecording(req: RecordingRequest): Promise<RecordingFile[]> {
    this.assertOpen();
    if (this.recording) return this.recording.list();
    const source = this.recordingSource();
    if (!source) throw new RelayError(Codes.WEBRTC_STATE, `${this.plugin} peers do not record`);
    // `recording` events leave even while the peer hangs up (its files close after the hangup event)
    const host: RecordingHost = { ...source, emitRecording: (e) => this.deps.emit(e) };
    const rec = new PeerRecording(host, req, this.log);
    this.recording = rec;
    try {
      await rec.sync(true);
    } catch (err) {
      if (this.recording === rec) this.recording = undefined;
      throw err;
    }
    return rec.list();
  }

  /** Closes every file; resolves once each is reported. */
  async stopRecording(): Promise<void> {
    const rec = this.recording;
    this.recording = undefined;
    await rec?.stop();
  }

  /** After a negotiation: added m-lines get files, removed ones are closed. */
  protected async syncRecording(): Promise<void> {
    await this.recording?.sync();
  }

  // ---- teardown ------------------------------------------------------------------------------

  /** Releases what the plugin holds (feeds, legs) — called synchronously when closing starts. */
  protected release(): void {}

  /**
   * Closes the PeerConnection: emits `hangup` (once), tells the client with a DTLS close_notify,
   * releases every socket and timer. Idempotent; resolves when everything is released.
   */
  hangup(reason: string, opts: HangupOptions = {}): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closing = true;
    this.release();
    const recordingClosed = Promise.all([this.stopRecording(), this.capture.end()]);
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
          // already closing
        }
      }
      this.channels.clear();
      try {
        await this.pc.close();
      } catch (err) {
        this.log.warn('error closing PeerConnection', { err });
      }
      await recordingClosed;
      this.deps.onClosed(this);
    })();
    return this.closedPromise;
  }
}

function endpointInfo(e: { address: string; port: number; type: string; transport: string }) {
  return { address: e.address, port: e.port, type: e.type, transport: e.transport };
}
