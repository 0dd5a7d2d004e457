/**
 * One Streaming viewer of the benchmark: a Janus session on its own WebSocket and a werift
 * PeerConnection. It counts the packets it receives by sequence number off the wire (`packets`); werift
 * decrypts them only until the first video packet (the join time, and proof that the media is real
 * SRTP), unless `decrypt` asks for every packet: decrypting 300 viewers' media would make the load
 * generator, not the server, the limit.
 */
import { createPeerConnection } from '../../relay/peer/factory.js';
import { localAnswer } from '../../test/relay/support/negotiate.js';
import { iceOn } from '../../test/support/referenceNet.js';
import { JanusConn, ok, type Msg } from '../support/janusConn.js';
import { isMedia, isRtcp, SrtpAuthenticationError, type RTCDtlsTransport, type RTCPeerConnection } from 'werift';
import { SeqCount } from './seqCount.js';

const PKG = 'janus.plugin.streaming';
/** Thrown by a viewer's SRTP session once it no longer decrypts: werift drops the packet unread. */
const notDecrypted = new SrtpAuthenticationError('not decrypted by the benchmark');

export class BenchViewer {
  private pc: RTCPeerConnection | undefined;
  /** Distinct RTP packets received, by sequence number, whether decrypted or not. */
  readonly packets = new SeqCount();
  /** performance.now() when `watch` left, and when the first video packet arrived. */
  watchAt = 0;
  firstVideoAt = 0;

  private constructor(
    private readonly conn: JanusConn,
    private readonly session: number,
    private readonly handle: number,
  ) {}

  static async open(wsUrl: string): Promise<BenchViewer> {
    const conn = await JanusConn.connect(wsUrl);
    const session = ok(await conn.request({ janus: 'create' }), 'success', 'create').data!.id!;
    const handle = ok(await conn.request({ janus: 'attach', session_id: session, plugin: PKG }), 'success', 'attach')
      .data!.id!;
    return new BenchViewer(conn, session, handle);
  }

  /** A synchronous plugin request: its plugindata. */
  async sync(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = ok(
      await this.conn.request({ janus: 'message', session_id: this.session, handle_id: this.handle, body }),
      'success',
      String(body.request),
    );
    return r.plugindata!.data;
  }

  private async ask(
    body: Record<string, unknown>,
    jsep?: Record<string, unknown>,
    sent?: (t: number) => void,
  ): Promise<Msg> {
    const ack = await this.conn.request(
      { janus: 'message', session_id: this.session, handle_id: this.handle, body, ...(jsep ? { jsep } : {}) },
      sent,
    );
    ok(ack, 'ack', String(body.request));
    return (
      await this.conn.waitFor(
        (m) => m.janus === 'event' && m.transaction === ack.transaction,
        String(body.request),
        30_000,
      )
    ).msg;
  }

  /** watch → the server's offer → our answer with start → connected. */
  async watch(id: number, clientAddress?: string, decrypt = false): Promise<void> {
    const ev = await this.ask({ request: 'watch', id }, undefined, (t) => (this.watchAt = t));
    if (!ev.jsep) throw new Error(`watch: no offer: ${JSON.stringify(ev.plugindata)}`);
    const pc = createPeerConnection({ bindAddress: '127.0.0.1', announcedAddress: '127.0.0.1' });
    if (clientAddress) iceOn(pc, clientAddress);
    this.pc = pc;
    pc.onTransceiverAdded.subscribe((t) =>
      t.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe(() => {
          if (track.kind !== 'video' || this.firstVideoAt > 0) return;
          this.firstVideoAt = performance.now();
          if (!decrypt) for (const dtls of pc.dtlsTransports) stopDecrypting(dtls);
        }),
      ),
    );
    const answer = await localAnswer(pc, ev.jsep.sdp);
    for (const dtls of pc.dtlsTransports)
      dtls.iceTransport.connection.onData.subscribe((data: Buffer) => {
        if (isMedia(data) && !isRtcp(data)) this.packets.addSrtp(data);
      });
    await this.ask({ request: 'start' }, { type: 'answer', sdp: answer });
  }

  async close(): Promise<void> {
    await this.pc?.close().catch(() => undefined);
    await this.conn.close();
  }
}

/** From now on werift drops this transport's SRTP packets before decrypting them (SRTCP goes on). */
function stopDecrypting(dtls: RTCDtlsTransport): void {
  dtls.srtp.decrypt = () => {
    throw notDecrypted;
  };
}
