/**
 * The soak benchmark's churn phase: one VideoRoom kept busy for a while. A few publishers, each a
 * real werift PeerConnection sending audio and video, are replaced one at a time; in every cycle a
 * group of subscribers joins every feed, waits for media, and leaves again. Half the departures are
 * clean (`leave`, `destroy`, close), half abrupt (the socket destroyed, no goodbye), as browsers do.
 */
import { EchoClient } from '../../test/relay/support/client.js';
import { JanusConn, ok, type Msg } from '../support/janusConn.js';

export interface ChurnOptions {
  apisecret?: string;
  minutes: number;
  publishers: number;
  subscribers: number;
  /** Seconds each group of subscribers stays. */
  holdSeconds: number;
}

export interface ChurnResult {
  cycles: number;
  publishersJoined: number;
  subscribersJoined: number;
  /** Subscribers that got no video within their stay. */
  subscribersWithoutMedia: number;
  errors: number;
  firstError?: string;
  seconds: number;
}

const VR = 'janus.plugin.videoroom';
const EVENT_TIMEOUT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A browser in the room: one WebSocket, one session, one VideoRoom handle, one PeerConnection. */
class Member {
  client: EchoClient | undefined;

  private constructor(
    private readonly conn: JanusConn,
    private readonly secret: Record<string, string>,
    private readonly sessionId: number,
    private readonly handleId: number,
  ) {}

  static async connect(wsUrl: string, apisecret?: string): Promise<Member> {
    const conn = await JanusConn.connect(wsUrl, { deflate: true });
    const secret: Record<string, string> = apisecret ? { apisecret } : {};
    try {
      const sessionId = ok(await conn.request({ janus: 'create', ...secret }), 'success', 'create').data!.id!;
      const attached = ok(
        await conn.request({ janus: 'attach', session_id: sessionId, plugin: VR, ...secret }),
        'success',
        'attach',
      );
      return new Member(conn, secret, sessionId, attached.data!.id!);
    } catch (err) {
      conn.terminate();
      throw err;
    }
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
        await this.conn
          .request({ janus: 'destroy', session_id: this.sessionId, ...this.secret })
          .catch(() => undefined);
        await this.conn.close();
      }
    } finally {
      await this.client?.close().catch(() => undefined);
    }
  }
}

function data(m: Msg, what: string): Record<string, unknown> {
  const d = m.plugindata?.data;
  if (!d || d.error_code !== undefined) throw new Error(`${what}: ${JSON.stringify(m).slice(0, 300)}`);
  return d;
}

async function publisher(wsUrl: string, apisecret: string | undefined, room: number, id: number): Promise<Member> {
  const m = await Member.connect(wsUrl, apisecret);
  try {
    data(await m.ask({ request: 'join', ptype: 'publisher', room, id, display: `soak${id}` }), 'join');
    const client = (m.client = new EchoClient());
    const audio = client.addMedia('audio');
    const video = client.addMedia('video');
    const ev = await m.ask(
      { request: 'configure', audio: true, video: true },
      { type: 'offer', sdp: await client.createOffer() },
    );
    data(ev, 'configure');
    await client.acceptAnswer(ev.jsep!.sdp);
    await m.webrtcup();
    client.startSending(audio, 20);
    client.startSending(video, 33);
    return m;
  } catch (err) {
    await m.leave(true);
    throw err;
  }
}

/** Joins every feed, waits for webrtcup; returns the member (its client counts what arrives). */
async function subscriber(
  wsUrl: string,
  apisecret: string | undefined,
  room: number,
  feeds: number[],
): Promise<Member> {
  const m = await Member.connect(wsUrl, apisecret);
  try {
    const ev = await m.ask({ request: 'join', ptype: 'subscriber', room, streams: feeds.map((feed) => ({ feed })) });
    data(ev, 'subscribe');
    const client = (m.client = new EchoClient());
    const answer = await client.acceptOffer(ev.jsep!.sdp);
    data(await m.ask({ request: 'start' }, { type: 'answer', sdp: answer }), 'start');
    await m.webrtcup();
    return m;
  } catch (err) {
    await m.leave(true);
    throw err;
  }
}

export async function churnRoom(wsUrl: string, opts: ChurnOptions): Promise<ChurnResult> {
  const t0 = performance.now();
  const until = t0 + opts.minutes * 60_000;
  const room = 100_000 + Math.floor(Math.random() * 900_000);
  const result: ChurnResult = {
    cycles: 0,
    publishersJoined: 0,
    subscribersJoined: 0,
    subscribersWithoutMedia: 0,
    errors: 0,
    seconds: 0,
  };
  const failed = (err: unknown) => {
    result.errors++;
    result.firstError ??= String(err);
  };
  const owner = await Member.connect(wsUrl, opts.apisecret);
  const pubs: Array<{ id: number; m: Member }> = [];
  let nextId = 1;
  let abrupt = false;
  const addPublisher = async () => {
    const id = nextId++;
    pubs.push({ id, m: await publisher(wsUrl, opts.apisecret, room, id) });
    result.publishersJoined++;
  };
  try {
    data(await owner.ask({ request: 'create', room, publishers: opts.publishers + 2 }), 'create room');
    for (let i = 0; i < opts.publishers; i++) await addPublisher().catch(failed);
    while (performance.now() < until) {
      result.cycles++;
      // One publisher goes, another comes.
      const gone = pubs.shift();
      if (gone) await gone.m.leave((abrupt = !abrupt));
      await addPublisher().catch(failed);
      for (const p of pubs) p.m.forgetNotifications();
      // A group of subscribers to every feed comes, stays a little, and goes.
      const feeds = pubs.map((p) => p.id);
      const joined = await Promise.allSettled(
        Array.from({ length: feeds.length ? opts.subscribers : 0 }, () =>
          subscriber(wsUrl, opts.apisecret, room, feeds),
        ),
      );
      const subs = joined.flatMap((j) => (j.status === 'fulfilled' ? [j.value] : (failed(j.reason), [])));
      result.subscribersJoined += subs.length;
      await sleep(opts.holdSeconds * 1000);
      result.subscribersWithoutMedia += subs.filter((s) => (s.client?.received.video ?? 0) === 0).length;
      await Promise.all(subs.map((s) => s.leave((abrupt = !abrupt))));
    }
  } finally {
    await Promise.all(pubs.map((p) => p.m.leave(false)));
    await owner.ask({ request: 'destroy', room }).catch(failed);
    await owner.leave(false);
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}
