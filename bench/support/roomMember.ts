/**
 * A janus.js-like VideoRoom client for the benchmarks: one WebSocket (offering permessage-deflate,
 * as browsers do), one session, VideoRoom handles on it, and real werift PeerConnections for the
 * media (`publish` sends an offer, `subscribe` answers the room's offer).
 */
import { EchoClient } from '../../test/relay/support/client.js';
import { iceOn } from '../../test/support/referenceNet.js';
import { JanusConn, ok, type Msg } from './janusConn.js';

export const VR = 'janus.plugin.videoroom';
const EVENT_TIMEOUT_MS = 20_000;

/** A browser in the room: one WebSocket, one session, one VideoRoom handle, one PeerConnection. */
export class Member {
  client: EchoClient | undefined;

  private constructor(
    readonly conn: JanusConn,
    private readonly secret: Record<string, string>,
    readonly sessionId: number,
    readonly handleId: number,
    private readonly iceAddress?: string,
  ) {}

  /**
   * `iceAddress`: the address its PeerConnections bind and announce (the reference Janus does not
   * pair with loopback candidates: test/support/referenceNet.ts); default 127.0.0.1.
   */
  static async connect(wsUrl: string, apisecret?: string, iceAddress?: string): Promise<Member> {
    const conn = await JanusConn.connect(wsUrl, { deflate: true });
    const secret: Record<string, string> = apisecret ? { apisecret } : {};
    try {
      const sessionId = ok(await conn.request({ janus: 'create', ...secret }), 'success', 'create').data!.id!;
      const attached = ok(
        await conn.request({ janus: 'attach', session_id: sessionId, plugin: VR, ...secret }),
        'success',
        'attach',
      );
      return new Member(conn, secret, sessionId, attached.data!.id!, iceAddress);
    } catch (err) {
      conn.terminate();
      throw err;
    }
  }

  /** Another VideoRoom handle on the same session and socket (janus.js's subscriber handle). */
  async attach(): Promise<Member> {
    const attached = ok(
      await this.conn.request({ janus: 'attach', session_id: this.sessionId, plugin: VR, ...this.secret }),
      'success',
      'attach',
    );
    return new Member(this.conn, this.secret, this.sessionId, attached.data!.id!, this.iceAddress);
  }

  /** A werift client for this handle's PeerConnection, on the member's ICE address. */
  newClient(): EchoClient {
    const client = (this.client = new EchoClient());
    if (this.iceAddress) iceOn(client.pc, this.iceAddress);
    return client;
  }

  /** A plugin request: the `success` of a synchronous one, the event answering an asynchronous one. */
  async ask(body: Record<string, unknown>, jsep?: Record<string, unknown>): Promise<Msg> {
    const reply = await this.conn.request({
      janus: 'message',
      session_id: this.sessionId,
      handle_id: this.handleId,
      ...this.secret,
      body,
      ...(jsep ? { jsep } : {}),
    });
    if (reply.janus !== 'ack') return reply;
    const ev = await this.conn.waitFor(
      (m) => m.janus === 'event' && m.transaction === reply.transaction,
      `answer to ${String(body.request)}`,
      EVENT_TIMEOUT_MS,
    );
    return ev.msg;
  }

  /** A core request on this session (keepalive, destroy, …). */
  session(janus: string): Promise<Msg> {
    return this.conn.request({ janus, session_id: this.sessionId, ...this.secret });
  }

  webrtcup(): Promise<unknown> {
    return this.conn.waitFor((m) => m.janus === 'webrtcup', 'webrtcup', EVENT_TIMEOUT_MS);
  }

  /** Notifications about others pile up on long-lived members; nobody reads them. */
  forgetNotifications(): void {
    this.conn.discardKept();
  }

  async leave(abrupt: boolean): Promise<void> {
    try {
      if (abrupt) this.conn.terminate();
      else {
        await this.ask({ request: 'leave' }).catch(() => undefined);
        await this.session('destroy').catch(() => undefined);
        await this.conn.close();
      }
    } finally {
      await this.client?.close().catch(() => undefined);
    }
  }
}

/** The plugin data of an answer; an error answer throws. */
export function data(m: Msg, what: string): Record<string, unknown> {
  const d = m.plugindata?.data;
  if (!d || d.error_code !== undefined) throw new Error(`${what}: ${JSON.stringify(m).slice(0, 300)}`);
  return d;
}

/** Sends an offer with audio and video from `m`'s handle (configure), applies the answer. */
export async function publish(
  m: Member,
  extra: Record<string, unknown> = {},
): Promise<{ audio: string; video: string }> {
  const client = m.newClient();
  const audio = client.addMedia('audio');
  const video = client.addMedia('video');
  const ev = await m.ask(
    { request: 'configure', audio: true, video: true, ...extra },
    { type: 'offer', sdp: await client.createOffer() },
  );
  data(ev, 'configure');
  await client.acceptAnswer(ev.jsep!.sdp);
  return { audio, video };
}

/** Joins `room` as a subscriber of `feeds` on `m`'s handle and answers the room's offer (start). */
export async function subscribe(m: Member, room: number, feeds: number[]): Promise<void> {
  const ev = await m.ask({ request: 'join', ptype: 'subscriber', room, streams: feeds.map((feed) => ({ feed })) });
  data(ev, 'subscribe');
  const client = m.newClient();
  const answer = await client.acceptOffer(ev.jsep!.sdp);
  data(await m.ask({ request: 'start' }, { type: 'answer', sdp: answer }), 'start');
}

/** A publisher with media flowing (audio every `audioMs`, video every `videoMs`), connected. */
export async function publisher(
  wsUrl: string,
  apisecret: string | undefined,
  room: number,
  id: number,
  pace = { audioMs: 20, videoMs: 33 },
  iceAddress?: string,
): Promise<Member> {
  const m = await Member.connect(wsUrl, apisecret, iceAddress);
  try {
    data(await m.ask({ request: 'join', ptype: 'publisher', room, id, display: `member${id}` }), 'join');
    const { audio, video } = await publish(m);
    await m.webrtcup();
    m.client!.startSending(audio, pace.audioMs);
    m.client!.startSending(video, pace.videoMs);
    return m;
  } catch (err) {
    await m.leave(true);
    throw err;
  }
}

/** Joins every feed, waits for webrtcup; returns the member (its client counts what arrives). */
export async function subscriber(
  wsUrl: string,
  apisecret: string | undefined,
  room: number,
  feeds: number[],
): Promise<Member> {
  const m = await Member.connect(wsUrl, apisecret);
  try {
    await subscribe(m, room, feeds);
    await m.webrtcup();
    return m;
  } catch (err) {
    await m.leave(true);
    throw err;
  }
}
