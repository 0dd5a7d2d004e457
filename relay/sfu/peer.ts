import type { RTCPeerConnection } from 'werift';
import type { MidCounters, PeerInfoResult, TrickleCandidate } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { FeedIdValue } from '../../shared/control/sfu.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import { inspectSdp, stripCandidates, type SdpSummary } from '../sdp.js';
import { disableDefaultStun, hardenDtls, selectedPair, sendCloseNotify, type PeerNetwork } from '../peer/werift.js';
import { createSfuPeerConnection } from './wire.js';

/**
 * What SFU publishers and subscribers share: the PeerConnection and its lifecycle events (ice, dtls,
 * selected-pair, webrtcup, hangup), trickle, `peer.info` basics and teardown. Mirrors the EchoTest
 * session's behaviour (relay/echo.ts) so the edge sees the same events from every plugin.
 */

export const noop = (): void => {};
/** A PeerConnection that is not up this long after its description was applied is hung up. */
const SETUP_TIMEOUT_MS = 30_000;

export interface SfuPeerDeps {
  sessionId: number;
  handleId: number;
  /** The room (`options.room`): SFU events name it so the edge routes them to the room. */
  room: FeedIdValue | undefined;
  network: PeerNetwork;
  /** The media port range RTP forwarders bind in. */
  mediaPorts: PortPool;
  logger: Logger;
  trickle: boolean;
  emit(event: PeerEvent): void;
  /** Called once, synchronously, when the peer starts closing. */
  onClosing(peer: SfuPeerBase): void;
}

export abstract class SfuPeerBase {
  readonly key: string;
  readonly createdAt = Date.now();
  abstract readonly role: 'publisher' | 'subscriber';
  protected readonly pc: RTCPeerConnection;
  protected readonly log: Logger;
  protected remote: SdpSummary | undefined;
  protected webrtcUp = false;
  protected closing = false;
  private closedPromise: Promise<void> | undefined;
  private readonly hookedDtls = new Set<object>();
  private pendingCandidates: TrickleCandidate[] = [];

  constructor(
    protected readonly deps: SfuPeerDeps,
    pcOptions: { audioLevel?: boolean } = {},
  ) {
    this.key = `${deps.sessionId}:${deps.handleId}`;
    this.log = deps.logger.child({ peer: this.key });
    this.pc = createSfuPeerConnection(deps.network, pcOptions);
    this.wire();
  }

  get closed(): boolean {
    return this.closing;
  }
  get connected(): boolean {
    return this.webrtcUp;
  }

  protected emit(event: PeerEvent): void {
    if (!this.closing || event.kind === 'hangup') this.deps.emit(event);
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
      this.pendingCandidates.push({ candidate: json.candidate ?? '', sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? 0 });
    });
  }

  /** The PeerConnection is up (ICE + DTLS). */
  protected abstract onConnected(): void;

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
      this.onDtlsTransport(dtls);
    }
    hardenDtls(this.pc);
  }

  /** A DTLS transport showed up (once per transport). */
  protected onDtlsTransport(_dtls: RTCPeerConnection['dtlsTransports'][number]): void {}

  /** Applies a remote description; werift errors become 465. */
  protected async applyRemote(type: 'offer' | 'answer', sdp: string, summary: SdpSummary = inspectSdp(sdp)): Promise<void> {
    try {
      await this.pc.setRemoteDescription({ type, sdp });
    } catch (err) {
      throw new RelayError(Codes.INVALID_SDP, `Invalid SDP (${(err as Error).message})`);
    }
    this.remote = summary;
  }

  protected async applyLocal(desc: { type: 'offer' | 'answer'; sdp: string }): Promise<string> {
    disableDefaultStun(this.pc);
    await this.pc.setLocalDescription(desc);
    this.hookDtls();
    const local = this.pc.localDescription?.sdp ?? desc.sdp;
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
    if (!section) throw new RelayError(Codes.INVALID_STREAM, `Invalid stream (no m-line for mid ${sdpMid ?? sdpMLineIndex})`);
    if (!candidate.candidate) return;
    try {
      await this.pc.addIceCandidate({ candidate: candidate.candidate, sdpMid: section.mid, sdpMLineIndex: section.index });
    } catch (err) {
      throw new RelayError(Codes.INVALID_STREAM, `Invalid candidate (${(err as Error).message})`);
    }
  }

  protected assertOpen(): void {
    if (this.closing) throw new RelayError(Codes.WEBRTC_STATE, 'PeerConnection is closing');
  }

  /** Periodic work from the hub's ticker. */
  tick(now: number, _noMediaMs: number, _everySecond: boolean): void {
    if (!this.closing && !this.webrtcUp && this.remote && now - this.createdAt > SETUP_TIMEOUT_MS) void this.hangup('ICE failed');
  }

  protected abstract counters(): MidCounters[];
  protected abstract sfuInfo(): Record<string, unknown>;

  info(): PeerInfoResult & { sfu: Record<string, unknown> } {
    const p = selectedPair(this.pc);
    const strip = (e: { address: string; port: number; type: string; transport: string }) => ({ address: e.address, port: e.port, type: e.type, transport: e.transport });
    return {
      iceState: this.pc.iceConnectionState,
      dtlsState: this.pc.dtlsTransports[0]?.state ?? 'new',
      signalingState: this.pc.signalingState,
      selectedPair: p ? { local: strip(p.local), remote: strip(p.remote) } : null,
      // peer.info's schema is the EchoTest's: neutral echo settings, the SFU state under `sfu`
      echo: { audio: true, video: true, data: true, bitrate: 0, substream: 2, temporal: 2 },
      counters: this.counters(),
      sfu: { role: this.role, ...this.sfuInfo() },
    };
  }

  /** Releases what the role holds (feeds, legs) — called synchronously when closing starts. */
  protected abstract release(): void;

  /**
   * Closes the PeerConnection: emits `hangup` (once), tells the client with a DTLS close_notify,
   * releases every socket and timer. Idempotent; resolves when everything is released.
   */
  hangup(reason: string, opts: { notifyEdge?: boolean; notifyClient?: boolean } = {}): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closing = true;
    this.release();
    this.deps.onClosing(this);
    if (opts.notifyEdge !== false) this.deps.emit({ kind: 'hangup', reason });
    this.closedPromise = (async () => {
      if (opts.notifyClient !== false) {
        let sent = false;
        for (const dtls of this.pc.dtlsTransports) {
          if (dtls.state !== 'connected') continue;
          await sendCloseNotify(dtls);
          sent = true;
        }
        if (sent) await new Promise((r) => setTimeout(r, 20));
      }
      this.closeChannels();
      try {
        await this.pc.close();
      } catch (err) {
        this.log.warn('error closing PeerConnection', { err });
      }
    })();
    return this.closedPromise;
  }

  protected abstract closeChannels(): void;
}
