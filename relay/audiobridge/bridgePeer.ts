import type { RemoteInfo, Socket } from 'node:dgram';
import type { RtpPacket } from 'werift';
import type { AbBridgeTarget, AbPeerOptions } from '../../shared/control/audiobridge.js';
import { closeQuietly, openPooledSocket } from '../net/sockets.js';
import type { PeerDeps } from '../peer/base.js';
import type { AudioBridgeHub } from './hub.js';
import { LegSrtp } from './legSrtp.js';
import { AbPeer } from './peer.js';

/** Bridge peers alive in this process (relay resources; must fall back to zero). */
export const bridgeTotals = { bridges: 0 };

const RTP_VERSION = 0x80;
const EXTENSION_BIT = 0x10;
/** RFC 6464: digital silence (the mixer leaves such packets out). */
const SILENT_LEVEL = 127;
/** The smallest payload of each codec that decodes to silence: an Opus TOC byte with no frame (20 ms CELT), one G.711 zero. */
const PRIMING_PAYLOAD: Record<string, Buffer> = {
  opus: Buffer.from([0xf8]),
  pcmu: Buffer.from([0xff]),
  pcma: Buffer.from([0xd5]),
};

/**
 * An AudioBridge participant whose room mixes on another relay (the room's *home*): the client's
 * PeerConnection is here, in its own region, and its voice is bridged, undecoded, to the
 * participant's plain-RTP leg in the home mixer (`ab.rtpJoin` there). Upstream, each SRTP packet
 * the client sends leaves as plain RTP with this bridge's SSRC and a fixed sequence/timestamp
 * offset (gaps stay gaps, so the home jitter buffer sees losses), its audio level carried in an
 * RFC 6464 extension for the home's talking detection. Downstream, the home leg's mix (already
 * minus this participant, in its codec) is rebased onto the client's SSRC, sequence and timestamp
 * line, continuous across a change of home, and protected like any AudioBridge peer's output.
 * One UDP socket from the media port range per bridged participant; it closes with the peer.
 * Between relays the leg is SRTP with the key the edge minted for it (`target.srtp`): what arrives
 * from the home unauthenticated is dropped and counted.
 */
export class BridgePeer extends AbPeer {
  private socket: Socket | undefined;
  private target: AbBridgeTarget;
  private srtp: LegSrtp | undefined;
  private readonly upSsrc = (Math.random() * 0x100000000) >>> 0;
  /** Priming packets have a sequence line of their own, so under SRTP their own SSRC (and replay window). */
  private readonly primeSsrc = (Math.random() * 0x100000000) >>> 0;
  private readonly upSeqDelta = Math.floor(Math.random() * 0x10000);
  private readonly upTsDelta = (Math.random() * 0x100000000) >>> 0;
  /** The home leg's SSRC we rebase from (a new home leg has another). */
  private downSsrc: number | undefined;
  private downSeqDelta = 0;
  private downTsDelta = 0;
  private lastSeq = Math.floor(Math.random() * 0x10000);
  private lastTs = (Math.random() * 0x100000000) >>> 0;
  private readonly frameTicks: number;
  private readonly priming: Buffer;
  private primeSeq = Math.floor(Math.random() * 0x10000);
  private released = false;

  constructor(deps: PeerDeps, hub: AudioBridgeHub, options: AbPeerOptions, target: AbBridgeTarget) {
    super(deps, hub, options);
    this.target = target;
    this.srtp = target.srtp ? new LegSrtp(target.srtp) : undefined;
    this.frameTicks = options.codec === 'opus' ? 960 : 160;
    this.priming = PRIMING_PAYLOAD[options.codec]!;
    bridgeTotals.bridges++;
  }

  /** Opens the bridge's socket (499 when the media range has none); before negotiating. */
  async open(hub: AudioBridgeHub): Promise<void> {
    const { mediaPorts, bindAddress, logger } = hub.opts;
    const socket = await openPooledSocket(mediaPorts, bindAddress, logger, { kind: 'audiobridge participant' });
    if (this.released) {
      closeQuietly(socket);
      return;
    }
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.fromHome(msg, rinfo));
    this.prime();
  }

  /** The mixer is on the home relay: nothing joins here. */
  override join(): void {}

  /** The room moved to another home: send there, and rebase its mix when it arrives. */
  retarget(target: AbBridgeTarget): void {
    this.target = target;
    this.srtp = target.srtp ? new LegSrtp(target.srtp) : undefined;
    this.downSsrc = undefined;
    this.prime();
  }

  /**
   * The home leg sends its mix to where its first packet came from: until the mix arrives, a silent
   * packet once a second tells it, so that a client that does not send (a listener) hears the room.
   */
  private prime(): void {
    this.primeSeq = (this.primeSeq + 1) & 0xffff;
    this.forward(this.primeSeq, 0, false, this.priming, SILENT_LEVEL, this.primeSsrc);
  }

  override tick(now: number, noMediaMs: number, everySecond: boolean): void {
    super.tick(now, noMediaMs, everySecond);
    if (everySecond && !this.closing && this.downSsrc === undefined) this.prime();
  }

  get port(): number | undefined {
    return this.socket?.address().port;
  }

  /** Upstream: the client's packet, as plain RTP to the home leg. */
  protected override receiveVoice(rtp: RtpPacket, level: number): void {
    const h = rtp.header;
    const sent = this.forward(
      (h.sequenceNumber + this.upSeqDelta) & 0xffff,
      (h.timestamp + this.upTsDelta) >>> 0,
      h.marker,
      rtp.payload,
      level,
    );
    if (!sent) return;
    const c = this.participant.counters;
    c.packetsIn++;
    c.bytesIn += rtp.payload.length + 12;
  }

  /** One plain RTP packet to the home leg, with the audio level when it expects one. */
  private forward(
    seq: number,
    timestamp: number,
    marker: boolean,
    payload: Buffer,
    level: number,
    ssrc = this.upSsrc,
  ): boolean {
    const socket = this.socket;
    if (!socket || this.closing) return false;
    const t = this.target;
    const ext = level >= 0 && t.audioLevelExt !== undefined ? 8 : 0;
    const out = Buffer.allocUnsafe(12 + ext + payload.length);
    out[0] = ext ? RTP_VERSION | EXTENSION_BIT : RTP_VERSION;
    out[1] = (marker ? 0x80 : 0) | t.payloadType;
    out.writeUInt16BE(seq, 2);
    out.writeUInt32BE(timestamp, 4);
    out.writeUInt32BE(ssrc, 8);
    if (ext) {
      // RFC 8285 one-byte header: one element of one byte (the level), padded to a word
      out.writeUInt16BE(0xbede, 12);
      out.writeUInt16BE(1, 14);
      out[16] = t.audioLevelExt! << 4;
      out[17] = level & 0x7f;
      out[18] = 0;
      out[19] = 0;
    }
    payload.copy(out, 12 + ext);
    socket.send(this.srtp ? this.srtp.protect(out) : out, t.port, t.ip);
    return true;
  }

  /** Downstream: the home leg's mix for this participant, onto the client's line. */
  private fromHome(packet: Buffer, rinfo: RemoteInfo): void {
    const t = this.target;
    if (this.closing || rinfo.port !== t.port || rinfo.address !== t.ip) return;
    const msg = this.srtp ? this.srtp.unprotect(packet) : packet;
    if (!msg) return;
    if (msg.length < 12 || msg[0]! >> 6 !== 2 || (msg[1]! & 0x7f) !== t.payloadType) return;
    let offset = 12 + 4 * (msg[0]! & 0x0f);
    if (msg[0]! & EXTENSION_BIT) {
      if (msg.length < offset + 4) return;
      offset += 4 + 4 * msg.readUInt16BE(offset + 2);
    }
    let end = msg.length;
    if (msg[0]! & 0x20) end -= msg[msg.length - 1]!;
    if (end <= offset) return;
    const seq = msg.readUInt16BE(2);
    const ts = msg.readUInt32BE(4);
    const ssrc = msg.readUInt32BE(8);
    if (ssrc !== this.downSsrc) {
      // a new home leg: continue the client's line where it stopped
      this.downSsrc = ssrc;
      this.downSeqDelta = (this.lastSeq + 1 - seq) & 0xffff;
      this.downTsDelta = (this.lastTs + this.frameTicks - ts) >>> 0;
    }
    this.lastSeq = (seq + this.downSeqDelta) & 0xffff;
    this.lastTs = (ts + this.downTsDelta) >>> 0;
    if (!this.ready()) return;
    const payload = msg.subarray(offset, end);
    this.send(payload, this.lastSeq, this.lastTs, (msg[1]! & 0x80) !== 0);
    const p = this.participant;
    p.counters.packetsOut++;
    p.counters.bytesOut += payload.length + 12;
    p.lastSentTimestamp = this.lastTs;
    p.lastSentAt = Date.now();
  }

  /** Where the bridge sends (peer.info's `audiobridge.bridge`). */
  bridgeInfo(): Record<string, unknown> {
    const { srtp: _key, ...target } = this.target;
    const srtp = this.srtp ? { srtp: { dropped: this.srtp.dropped } } : {};
    return { port: this.port ?? null, target, ...srtp };
  }

  /** The socket closes with the peer, on every path (its port returns to the pool). */
  protected override release(): void {
    super.release();
    if (this.released) return;
    this.released = true;
    bridgeTotals.bridges--;
    closeQuietly(this.socket);
    this.socket = undefined;
  }
}
