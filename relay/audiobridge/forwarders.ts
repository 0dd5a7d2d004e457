import type { Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { AbCodec } from '../../shared/control/audiobridge.js';
import { RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { closeQuietly, openForwardSocket } from '../net/sockets.js';
import type { PortPool } from '../net/ports.js';
import type { GroupMixes } from './groupMixes.js';
import { createEncoder, type VoiceEncoder } from './voiceCodec.js';

/** Janus's AudioBridge error for a bad `rtp_forward` element. */
const INVALID_ELEMENT = 484;

export interface MixForwarderSpec {
  streamId: number;
  host: string;
  port: number;
  codec: AbCodec;
  payloadType: number;
  /** 0: the stream id, as Janus. */
  ssrc: number;
  /** Janus `always_on`: silence is forwarded while the room has nobody in it. */
  alwaysOn: boolean;
  /** Janus `group`: only that forwarding group's mix is forwarded. */
  group?: string;
}

/** One `rtp_forward` of a room's mix: plain RTP to host:port from a socket of its own. */
export class MixForwarder {
  readonly ssrc: number;
  private seq = Math.floor(Math.random() * 0x10000);
  private timestamp = Math.floor(Math.random() * 0x100000000);
  packetsSent = 0;

  private constructor(
    readonly spec: MixForwarderSpec,
    /** The resolved destination address. */
    readonly address: string,
    private readonly socket: Socket,
  ) {
    // as Janus: the stream id when no SSRC is given
    this.ssrc = (spec.ssrc || spec.streamId) >>> 0;
  }

  /** Resolves the host (484 as Janus when it cannot be) and opens the forwarder's socket (499 when none is free). */
  static async open(spec: MixForwarderSpec, pool: PortPool, bindAddress: string, log: Logger): Promise<MixForwarder> {
    let address: string;
    try {
      address = (await lookup(spec.host, { family: 4 })).address;
    } catch {
      throw new RelayError(INVALID_ELEMENT, `Could not resolve address (${spec.host})...`);
    }
    const socket = await openForwardSocket(pool, bindAddress, log);
    return new MixForwarder(spec, address, socket);
  }

  /** Sends one encoded frame (`samples`: RTP clock ticks per frame for the codec). */
  send(payload: Buffer, samples: number): void {
    const out = Buffer.allocUnsafe(12 + payload.length);
    out[0] = 0x80;
    out[1] = this.spec.payloadType & 0x7f;
    out.writeUInt16BE(this.seq, 2);
    out.writeUInt32BE(this.timestamp >>> 0, 4);
    out.writeUInt32BE(this.ssrc, 8);
    payload.copy(out, 12);
    this.socket.send(out, this.spec.port, this.address);
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + samples) >>> 0;
    this.packetsSent++;
  }

  close(): void {
    closeQuietly(this.socket);
  }
}

/** What one encoding serves: a codec, of the whole mix or of one group's. */
const encodingKey = (spec: MixForwarderSpec) => `${spec.codec}|${spec.group ?? ''}`;

/**
 * A room's forwarders: each mix (the whole one, or a group's) is encoded once per codec per tick,
 * whatever the number of forwarders in that codec, as Janus does (its `have_opus` / `have_ulaw` /
 * `have_alaw` per group).
 */
export class MixForwarders {
  readonly byId = new Map<number, MixForwarder>();
  /** The groups some forwarder carries: the mixer sums only those. */
  readonly groups = new Set<string>();
  private readonly encoders = new Map<string, VoiceEncoder>();

  constructor(
    private readonly rate: number,
    private readonly channels: 1 | 2,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  add(f: MixForwarder): void {
    this.byId.set(f.spec.streamId, f);
    if (f.spec.group !== undefined) this.groups.add(f.spec.group);
  }

  /** Stops one forwarder; false when there is none with this id. */
  remove(streamId: number): boolean {
    const f = this.byId.get(streamId);
    if (!f) return false;
    this.byId.delete(streamId);
    f.close();
    const key = encodingKey(f.spec);
    const rest = [...this.byId.values()];
    if (!rest.some((x) => encodingKey(x.spec) === key)) {
      this.encoders.get(key)?.close();
      this.encoders.delete(key);
    }
    const group = f.spec.group;
    if (group !== undefined && !rest.some((x) => x.spec.group === group)) this.groups.delete(group);
    return true;
  }

  /**
   * One tick's mix to every forwarder (a group's forwarder its group's mix); `occupied`: someone (a
   * participant or a file) is in the room.
   */
  send(mix: Int16Array, occupied: boolean, groups: GroupMixes): void {
    const encoded = new Map<string, Buffer>();
    for (const f of this.byId.values()) {
      if (!occupied && !f.spec.alwaysOn) continue;
      const codec = f.spec.codec;
      const key = encodingKey(f.spec);
      let payload = encoded.get(key);
      if (!payload) {
        let enc = this.encoders.get(key);
        if (!enc) {
          enc = createEncoder(codec, this.rate, this.channels, { bitrate: 0, complexity: 4, expectedLoss: 0 });
          this.encoders.set(key, enc);
        }
        payload = enc.encode(f.spec.group === undefined ? mix : groups.mix(f.spec.group));
        encoded.set(key, payload);
      }
      f.send(payload, codec === 'opus' ? 960 : 160);
    }
  }

  close(): void {
    for (const f of this.byId.values()) f.close();
    this.byId.clear();
    for (const e of this.encoders.values()) e.close();
    this.encoders.clear();
  }
}
