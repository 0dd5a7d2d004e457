import type { Socket, RemoteInfo } from 'node:dgram';
import type { CommandOf } from '../../shared/control/commands.js';
import { closeQuietly, openPooledSocket } from '../net/sockets.js';
import type { AudioBridgeHub, RtpParticipant as HeldRtpParticipant } from './hub.js';
import { LegSrtp } from './legSrtp.js';
import { Participant, type VoiceOutput } from './participant.js';

/** Janus's payload type for a plain-RTP Opus participant that names none (G.711 has its static one). */
const DEFAULT_OPUS_PT = 100;

interface ParsedRtp {
  pt: number;
  seq: number;
  payload: Buffer;
  level: number;
}

/** The fields the mixer needs from a plain RTP packet (RFC 3550), or undefined for anything else. */
function parseRtp(b: Buffer, levelId: number): ParsedRtp | undefined {
  if (b.length < 12 || b[0]! >> 6 !== 2) return undefined;
  let offset = 12 + 4 * (b[0]! & 0x0f);
  let level = -1;
  if (b[0]! & 0x10) {
    if (b.length < offset + 4) return undefined;
    const profile = b.readUInt16BE(offset);
    const words = b.readUInt16BE(offset + 2);
    const end = offset + 4 + words * 4;
    if (end > b.length) return undefined;
    if (profile === 0xbede && levelId > 0) {
      // RFC 8285 one-byte elements: id(4) len-1(4) data
      for (let i = offset + 4; i < end;) {
        const id = b[i]! >> 4;
        const len = (b[i]! & 0x0f) + 1;
        if (id === 0) {
          i++;
          continue;
        }
        if (id === 15) break;
        if (id === levelId) level = b[i + 1]! & 0x7f;
        i += 1 + len;
      }
    }
    offset = end;
  }
  let last = b.length;
  if (b[0]! & 0x20) last -= b[b.length - 1]!;
  if (last <= offset) return undefined;
  return { pt: b[1]! & 0x7f, seq: b.readUInt16BE(2), payload: b.subarray(offset, last), level };
}

/**
 * A plain-RTP participant (Janus `join` with `rtp`, for SIP gateways and voice bots): one UDP
 * socket from the relay's media range receives its RTP; its mix goes to the given destination, or
 * to where its first packet came from (latching). Ends with `peer.hangup` or the relay's shutdown.
 * A bridge's leg between relays is SRTP (`srtp`): only an authentic packet is mixed or latched to.
 */
export class RtpParticipant implements VoiceOutput, HeldRtpParticipant {
  readonly participant: Participant;
  private dest: { address: string; port: number } | undefined;
  private readonly payloadType: number;
  private readonly header = Buffer.alloc(12);
  private closing: Promise<void> | undefined;
  private readonly srtp: LegSrtp | undefined;
  /** When it joined (the edge's reconciliation leaves young ones alone). */
  readonly createdAt = Date.now();

  private constructor(
    readonly key: string,
    private readonly hub: AudioBridgeHub,
    private readonly socket: Socket,
    private readonly cmd: CommandOf<'ab.rtpJoin'>,
  ) {
    const rtp = cmd.rtp;
    this.payloadType = cmd.codec === 'pcmu' ? 0 : cmd.codec === 'pcma' ? 8 : (rtp.payloadType ?? DEFAULT_OPUS_PT);
    this.srtp = cmd.srtp ? new LegSrtp(cmd.srtp) : undefined;
    if (rtp.ip && rtp.port) this.dest = { address: rtp.ip, port: rtp.port };
    this.header[0] = 0x80;
    this.header.writeUInt32BE(Math.floor(Math.random() * 0x100000000) >>> 0, 8);
    this.participant = new Participant(key, cmd.participant, cmd.codec, cmd.settings, this, hub);
    this.participant.audioLevelId = rtp.audioLevelExt ?? 0;
    this.participant.fec = cmd.codec === 'opus' && rtp.fec === true;
    socket.on('message', (msg, rinfo) => this.onPacket(msg, rinfo));
  }

  /** Opens the socket (499 when the media range has no free port) and joins the mixer. */
  static async open(hub: AudioBridgeHub, key: string, cmd: CommandOf<'ab.rtpJoin'>): Promise<RtpParticipant> {
    const { mediaPorts, bindAddress, logger } = hub.opts;
    const socket = await openPooledSocket(mediaPorts, bindAddress, logger, { kind: 'audiobridge participant' });
    let r: RtpParticipant;
    try {
      r = new RtpParticipant(key, hub, socket, cmd);
      hub.join(r.participant, cmd.mixer, cmd.mixerSettings);
    } catch (err) {
      closeQuietly(socket);
      throw err;
    }
    hub.addRtp(r);
    return r;
  }

  get port(): number {
    return this.socket.address().port;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  ready(): boolean {
    return this.dest !== undefined && !this.closing;
  }

  send(payload: Buffer, seq: number, timestamp: number, marker: boolean): void {
    const d = this.dest;
    if (!d) return;
    const h = this.header;
    h[1] = (marker ? 0x80 : 0) | this.payloadType;
    h.writeUInt16BE(seq, 2);
    h.writeUInt32BE(timestamp >>> 0, 4);
    const packet = Buffer.concat([h, payload]);
    this.socket.send(this.srtp ? this.srtp.protect(packet) : packet, d.port, d.address);
  }

  private onPacket(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closing) return;
    const clear = this.srtp ? this.srtp.unprotect(msg) : msg;
    if (!clear) return;
    const rtp = parseRtp(clear, this.participant.audioLevelId);
    if (!rtp || rtp.pt !== this.payloadType) return;
    if (!this.dest) this.dest = { address: rinfo.address, port: rinfo.port };
    this.participant.receive(rtp.seq, rtp.payload, rtp.level);
  }

  /** `peer.info`'s shape (no ICE or DTLS: their states say `none`), with the RTP endpoints. */
  info(): Record<string, unknown> {
    const local = { address: this.hub.opts.announcedAddress, port: this.port, type: 'host', transport: 'udp' };
    const c = this.participant.counters;
    return {
      iceState: 'none',
      dtlsState: 'none',
      signalingState: 'none',
      selectedPair: this.dest ? { local, remote: { ...local, ...this.dest } } : null,
      echo: { audio: true, video: false, data: false, bitrate: 0, substream: 2, temporal: 2 },
      counters: [
        {
          mid: 'audio',
          media: 'audio',
          receiving: c.packetsIn > 0,
          ...c,
          nacksIn: 0,
          nacksOut: 0,
          plisIn: 0,
          plisOut: 0,
        },
      ],
      rtp: {
        port: this.port,
        destination: this.dest ?? null,
        payloadType: this.payloadType,
        codec: this.cmd.codec,
        ...(this.srtp ? { srtp: { dropped: this.srtp.dropped } } : {}),
      },
    };
  }

  /** Leaves the mixer and closes the socket; resolves when the socket is closed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.hub.leave(this.participant);
      this.hub.removeRtp(this);
      this.socket.once('close', () => resolve());
      try {
        this.socket.close();
      } catch {
        resolve();
      }
    });
    return this.closing;
  }
}
