/**
 * A janus.js-like VideoRoom participant for bench:cost: one WebSocket and session with a publisher
 * handle (werift audio + video, slow packets: the edge never sees media) and a subscriber handle on
 * the other publishers of its room, a keepalive every 25 s as janus.js sends them, and the
 * renegotiations janus.js answers by itself (`updated` offers when a feed leaves or is added).
 */
import { data, Member, publish, subscribe } from '../support/roomMember.js';

export const KEEPALIVE_MS = 25_000;
/** Packets are few on purpose: only the relay's events about media reach the Durable Objects. */
const MEDIA_PACE_MS = 100;
const MEDIA_TIMEOUT_MS = 20_000;

export interface ParticipantCounts {
  keepalives: number;
  renegotiations: number;
  errors: number;
  firstError?: string;
}

export class Participant {
  private sub: Member | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private gone = false;

  private constructor(
    private readonly pub: Member,
    readonly room: number,
    readonly id: number,
    private readonly counts: ParticipantCounts,
  ) {}

  /** Joins `room` as publisher `id`, publishes, subscribes to `feeds`; keepalives start. */
  static async join(
    wsUrl: string,
    room: number,
    id: number,
    feeds: number[],
    counts: ParticipantCounts,
  ): Promise<Participant> {
    const pub = await Member.connect(wsUrl);
    const p = new Participant(pub, room, id, counts);
    try {
      data(await pub.ask({ request: 'join', ptype: 'publisher', room, id, display: `p${id}` }), 'join');
      const { audio, video } = await publish(pub);
      await pub.webrtcup();
      pub.client!.startSending(audio, MEDIA_PACE_MS);
      pub.client!.startSending(video, MEDIA_PACE_MS);
      p.keepalive = setInterval(() => void p.sendKeepalive(), KEEPALIVE_MS);
      if (feeds.length) await p.subscribeTo(feeds);
      void p.answerRenegotiations();
      return p;
    } catch (err) {
      await p.leave(true);
      throw err;
    }
  }

  private failed(err: unknown): void {
    if (this.gone) return;
    this.counts.errors++;
    this.counts.firstError ??= err instanceof Error ? err.message : String(err);
  }

  private async sendKeepalive(): Promise<void> {
    try {
      const m = await this.pub.session('keepalive');
      if (m.janus !== 'ack') throw new Error(`keepalive: ${JSON.stringify(m).slice(0, 200)}`);
      this.counts.keepalives++;
    } catch (err) {
      this.failed(err);
    }
  }

  /** The first subscription creates the subscriber handle; later ones add feeds to it (janus.js). */
  async subscribeTo(feeds: number[]): Promise<void> {
    if (!this.sub) {
      const sub = await this.pub.attach();
      this.sub = sub;
      await subscribe(sub, this.room, feeds);
      await sub.webrtcup();
      return;
    }
    const ev = await this.sub.ask({ request: 'subscribe', streams: feeds.map((feed) => ({ feed })) });
    data(ev, 'subscribe');
    if (ev.jsep) await this.answer(ev.jsep.sdp);
  }

  private async answer(offer: string): Promise<void> {
    const sdp = await this.sub!.client!.acceptOffer(offer);
    data(await this.sub!.ask({ request: 'start' }, { type: 'answer', sdp }), 'start');
    this.counts.renegotiations++;
  }

  /** Offers the room pushes without a request of ours (a feed left): answered as janus.js does. */
  private async answerRenegotiations(): Promise<void> {
    while (!this.gone) {
      const sub = this.sub;
      try {
        const ev = await this.pub.conn.waitFor(
          (m) =>
            m.janus === 'event' && !!sub && m.sender === sub.handleId && m.jsep?.type === 'offer' && !m.transaction,
          'an updated offer',
          MEDIA_TIMEOUT_MS,
        );
        await this.answer(ev.msg.jsep!.sdp);
      } catch (err) {
        if (!this.gone && !String(err).includes('timeout waiting')) this.failed(err);
      }
    }
  }

  configure(body: Record<string, unknown>): Promise<unknown> {
    return this.pub.ask({ request: 'configure', ...body }).then((m) => data(m, 'configure'));
  }

  /** `abrupt`: the tab is closed (no leave, no destroy); else leave, destroy, close as janus.js does. */
  async leave(abrupt = false): Promise<void> {
    this.gone = true;
    clearInterval(this.keepalive);
    await this.sub?.client?.close().catch(() => undefined);
    await this.pub.leave(abrupt);
  }
}
