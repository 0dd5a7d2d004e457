import type { Socket } from 'node:dgram';
import type { StreamingData, StreamingMedia, StreamingSrtp } from '../../shared/control/streaming.js';
import { codecFor } from '../cascade/remotePublisher.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../net/ports.js';
import { closeQuietly, openPooledSocket } from '../net/sockets.js';
import { parseSrtpCrypto } from '../sfu/forwarder.js';
import type { SfuHub } from '../sfu/hub.js';
import { Mountpoint, type StreamSockets } from './mountpoint.js';
import { ifaceAddress, joinGroup } from './multicast.js';

export interface StreamingHubOptions {
  logger: Logger;
  /** The media port range every mountpoint socket comes from. */
  mediaPorts: PortPool;
  bindAddress: string;
  announcedAddress: string;
}

/**
 * The relay's Streaming mountpoints, by key: each one is added to the SFU hub as a feed source, so
 * viewers (SFU subscribers) and cascades (SFU forwarders) find it by its key like a publisher.
 */
export class StreamingHub {
  private readonly mounts = new Map<string, Mountpoint>();
  private readonly opening = new Set<string>();

  constructor(
    private readonly sfu: SfuHub,
    private readonly opts: StreamingHubOptions,
  ) {}

  get size(): number {
    return this.mounts.size;
  }

  /** For the relay's census: mountpoints and the packets they received. */
  census(): { mountpoints: number; packetsIn: number } {
    let packetsIn = 0;
    for (const m of this.mounts.values()) packetsIn += m.counters.packetsIn;
    return { mountpoints: this.mounts.size, packetsIn };
  }

  get(key: string): Mountpoint | undefined {
    return this.mounts.get(key);
  }

  /**
   * Opens every stream's sockets (all or none: a failure closes what was opened) and starts receiving;
   * `localAddress` (an RTSP mountpoint's `rtspiface`) binds every socket, RTCP too, to that address.
   */
  async create(
    key: string,
    media: StreamingMedia[],
    data: StreamingData[] = [],
    srtp?: StreamingSrtp,
    localAddress?: string,
  ): Promise<{ ip: string; media: ReturnType<Mountpoint['ports']> }> {
    if (this.mounts.has(key) || this.opening.has(key) || this.sfu.publisher(key))
      throw new RelayError(Codes.INVALID_STREAM, `Mountpoint ${key} already exists`);
    if (media.length === 0 && data.length === 0)
      throw new RelayError(Codes.INVALID_STREAM, 'A mountpoint needs a stream');
    for (const m of media) codecFor(m.type, m.codec);
    const srtpKey = srtp ? parseSrtpCrypto(srtp.suite, srtp.crypto) : undefined;
    this.opening.add(key);
    const { mediaPorts: pool, logger: log } = this.opts;
    const bind = localAddress ?? this.opts.bindAddress;
    const opened: Socket[] = [];
    const open = async (port: number, address = bind) => {
      const s = await openPooledSocket(pool, address, log, { kind: 'streaming mountpoint', port: port || undefined });
      opened.push(s);
      return s;
    };
    try {
      const sockets: StreamSockets[] = [];
      const listen = async (s: { port: number; mcast?: string; iface?: string }) => {
        const iface = s.iface !== undefined ? ifaceAddress(s.iface) : undefined;
        // a multicast stream's socket is bound to its group: it receives that group's datagrams only
        const socket = await open(s.port, s.mcast ?? iface ?? bind);
        if (s.mcast) joinGroup(socket, s.mcast, iface);
        return socket;
      };
      for (const m of media) {
        const rtp = await listen(m);
        const rtcp = m.rtcpport !== undefined ? await open(m.rtcpport) : undefined;
        const layers: Socket[] = [];
        for (const port of [m.port2, m.port3]) if (port !== undefined) layers.push(await listen({ ...m, port }));
        sockets.push({ rtp, rtcp, layers });
      }
      const dataSockets: Socket[] = [];
      for (const d of data) dataSockets.push(await listen(d));
      const mount = new Mountpoint(
        key,
        media,
        sockets,
        // its cascades' forwarders send from the relay's own address, whatever the ingest's
        { bindAddress: this.opts.bindAddress, ports: pool },
        log,
        srtpKey,
      );
      data.forEach((d, i) => mount.addData(d, dataSockets[i]!));
      this.sfu.addSource(mount);
      this.mounts.set(key, mount);
      log.info('mountpoint created', { key, ports: mount.ports() });
      return { ip: this.opts.announcedAddress, media: mount.ports() };
    } catch (err) {
      for (const s of opened) closeQuietly(s);
      throw err;
    } finally {
      this.opening.delete(key);
    }
  }

  /**
   * Closes a mountpoint: sockets, forwarders, its recordings, and its viewers' legs go quiet. Resolves
   * once its recording files are closed and reported; undefined when there is no such mountpoint.
   */
  destroy(key: string): Promise<void> | undefined {
    const mount = this.mounts.get(key);
    if (!mount) return undefined;
    this.mounts.delete(key);
    this.sfu.removeSource(key);
    return mount.close();
  }

  /** Every mountpoint closed; resolves once their recording files are closed (the shutdown hooks them). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.mounts.keys()].map((key) => this.destroy(key)));
  }
}
