import type { SfuStreamRequest } from '../../../shared/control/sfu.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { Cascades } from './cascades.js';
import { joinFirst, VideoRoomError, VR, vrError } from './errors.js';
import type { Room } from './room.js';
import * as S from './schemas.js';
import type { FeedId, RoomId } from './schemas.js';
import type { HandleAddress, JanusData, Publisher, PubStream, SubStream, Subscriber } from './state.js';

/** One stream a subscriber's relay peer is built from (`peer.create` subscriber / `sfu.update` add). */
export type FeedStream = SfuStreamRequest & { codec?: string; display?: string };

/** Which streams an unsubscribe names: a sub_mid, or a feed (and maybe one of its mids). */
export interface Removal {
  feed?: FeedId;
  mid?: string;
  sub_mid?: string;
}

/** One m-line of a `switch`: its new source, as the relay's `sfu.switch` takes it, and the feed id. */
export interface SwitchChange {
  sub_mid: string;
  feedKey: string;
  feed: FeedId;
  mid: string;
}

/** A subscriber's m-lines, as Janus lists them in `attached`, `updated` and `switched`. */
export interface SubscriberStreams {
  room: RoomId;
  streams: JanusData[];
}

interface Resolved {
  feed: Publisher;
  stream: PubStream;
  send: boolean;
  substream?: number;
  temporal?: number;
  fallback?: number;
}

const feedKeyOf = (p: Publisher) => `${p.sessionId}:${p.handleId}`;

/**
 * Subscribers (§5.4): which publisher streams a subscription resolves to, the cascades that bring
 * them to the subscriber's relay before the relay makes an offer, and the m-lines the relay reports.
 * The feeds a subscriber wants but its m-lines do not show yet are kept in `wants`, so that their
 * cascades survive until the offer is made.
 */
export class Subscribers {
  constructor(
    private readonly room: Room,
    private readonly cascades: Cascades,
  ) {}

  /** Resolves a subscription request to concrete publisher streams (`mid` left out = all of a feed's). */
  private resolve(req: S.SubscribeStream[]): Resolved[] {
    const out: Resolved[] = [];
    for (const s of req) {
      const feed = this.room.current().publishers.find((p) => p.id === s.feed && p.streams);
      if (!feed?.streams) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${s.feed})`);
      const streams = feed.streams.filter((x) => !x.disabled && (s.mid === undefined || x.mid === s.mid));
      if (s.mid !== undefined && streams.length === 0)
        throw vrError(VideoRoomError.NO_SUCH_FEED, `No such mid '${s.mid}' in feed (${s.feed})`);
      for (const stream of streams)
        out.push({
          feed,
          stream,
          send: s.send ?? true,
          substream: s.substream,
          temporal: s.temporal,
          fallback: s.fallback,
        });
    }
    return out;
  }

  /** The streams a subscriber's relay peer is built from: each resolved to the feed key of its publisher. */
  private static feedStreams(resolved: Resolved[]): FeedStream[] {
    return resolved.map((x) => ({
      feedId: x.feed.id,
      feedKey: feedKeyOf(x.feed),
      feedMid: x.stream.mid,
      type: x.stream.type,
      codec: x.stream.codec,
      display: x.feed.display,
      send: x.send,
      substream: x.substream,
      temporal: x.temporal,
      fallback: x.fallback,
    }));
  }

  /**
   * A subscriber joins: checks, a reservation of the handle, and the cascades that bring each
   * requested feed to the subscriber's relay (`relay`, picked in its region) before the relay
   * makes the offer.
   */
  async prepare(
    who: HandleAddress,
    body: Record<string, unknown>,
    relay: RelayRef,
  ): Promise<{ room: RoomId; streams: FeedStream[] }> {
    const j = parseJanus(S.subscriberJoinSchema, body, VR);
    const r = this.room.current();
    if (this.room.subscriber(who))
      throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a subscriber on this handle');
    if (this.room.publisher(who))
      throw vrError(VideoRoomError.ALREADY_JOINED, 'Already in as a publisher on this handle');
    this.room.checkPin(j.pin);
    if (r.options.require_pvtid && !r.publishers.some((p) => p.privateId === j.private_id))
      throw vrError(VideoRoomError.UNAUTHORIZED, 'Unauthorized (this room requires a valid private_id)');
    // As Janus: without streams (or with none), the legacy `feed` is what is missing.
    const req = j.streams?.length ? j.streams : j.feed !== undefined ? [{ feed: j.feed }] : undefined;
    if (!req) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (feed)');
    const resolved = this.resolve(req);
    // Pending until the relay has made the offer: the entry reserves the handle and keeps its cascades.
    const s: Subscriber = {
      ...who,
      privateId: j.private_id,
      autoupdate: j.autoupdate ?? true,
      streams: [],
      paused: false,
      relay,
      wants: resolved.map((x) => x.feed.id),
    };
    r.subscribers.push(s);
    this.room.save();
    try {
      await this.cascades.ensure(
        resolved.map((x) => x.feed),
        relay,
      );
    } catch (err) {
      this.subscribeFailed(who);
      throw err;
    }
    return { room: r.room, streams: Subscribers.feedStreams(resolved) };
  }

  /** The relay made the subscriber's offer: record which m-line carries which feed. */
  subscribed(who: HandleAddress, streams: SubStream[], relay: RelayRef, answered: boolean): { streams: JanusData[] } {
    const s = this.room.subscriberOf(who);
    // A client that offered (a WHEP player) has its answer already: its m-lines are ready.
    s.streams = streams.map((x) => ({ ...x, ready: answered && x.active }));
    s.relay = relay;
    s.wants = undefined;
    this.room.save();
    this.cascades.prune();
    return { streams: this.entries(s) };
  }

  /** The client answered: the m-lines its answer takes (not inactive) are ready, as Janus marks them. */
  answered(who: HandleAddress, mids: string[]): { room: RoomId } {
    const s = this.room.subscriberOf(who);
    for (const x of s.streams) if (x.active && mids.includes(x.mid)) x.ready = true;
    this.room.save();
    return { room: this.room.current().room };
  }

  /** A subscriber `configure` set `send` on some m-lines (the relay took it): its lists say so too. */
  sendChanged(who: HandleAddress, changes: Array<{ mid: string; send: boolean }>): { room: RoomId } {
    const s = this.room.subscriberOf(who);
    for (const c of changes) for (const x of s.streams) if (x.mid === c.mid) x.send = c.send;
    this.room.save();
    return { room: this.room.current().room };
  }

  /** A subscription that failed half-way releases its reservation. */
  subscribeFailed(who: HandleAddress): void {
    const r = this.room.state;
    if (!r) return;
    const s = this.room.subscriber(who);
    r.subscribers = r.subscribers.filter((x) => x !== s);
    this.room.save();
    this.cascades.prune();
  }

  streams(who: HandleAddress): SubscriberStreams {
    const s = this.room.subscriberOf(who);
    return { streams: this.entries(s), room: this.room.current().room };
  }

  /** Resolves streams to add to an existing subscription, and brings their feeds to the subscriber's relay. */
  async resolveAdditions(who: HandleAddress, req: S.SubscribeStream[]): Promise<{ streams: FeedStream[] }> {
    const s = this.room.subscriberOf(who);
    const resolved = this.resolve(req);
    await this.bringFeeds(
      s,
      resolved.map((x) => x.feed),
    );
    return { streams: Subscribers.feedStreams(resolved) };
  }

  /** Cascades `feeds` to the subscriber's relay; they stay wanted until its m-lines show them (or the change failed). */
  private async bringFeeds(s: Subscriber, feeds: Publisher[]): Promise<void> {
    if (!s.relay) return; // no PeerConnection: the relay command that follows fails
    s.wants = [...new Set([...(s.wants ?? []), ...feeds.map((p) => p.id)])];
    this.room.save();
    try {
      await this.cascades.ensure(feeds, s.relay);
    } catch (err) {
      this.changeFailed(s);
      throw err;
    }
  }

  private changeFailed(s: Subscriber): void {
    s.wants = undefined;
    this.room.save();
    this.cascades.prune();
  }

  /** A subscription change the relay refused: the feeds it wanted are not kept for it. */
  subscriptionFailed(who: HandleAddress): void {
    const s = this.room.subscriber(who);
    if (s) this.changeFailed(s);
  }

  /** Which of the subscriber's m-lines an unsubscribe names. */
  resolveRemovals(who: HandleAddress, req: Removal[]): { mids: string[] } {
    const s = this.room.subscriberOf(who);
    const mids = new Set<string>();
    for (const u of req) {
      for (const x of s.streams) {
        if (
          u.sub_mid !== undefined
            ? x.mid === u.sub_mid
            : u.feed !== undefined && x.feedId === u.feed && (u.mid === undefined || x.feedMid === u.mid)
        )
          mids.add(x.mid);
      }
    }
    return { mids: [...mids] };
  }

  setPaused(who: HandleAddress, paused: boolean): { room: RoomId } {
    const s = this.room.subscriberOf(who);
    s.paused = paused;
    this.room.save();
    return { room: this.room.current().room };
  }

  /** `switch`: checks each target feed stream and records the new source of each m-line. */
  async switchStreams(
    who: HandleAddress,
    req: Array<{ feed: FeedId; mid: string; sub_mid: string }>,
  ): Promise<{ changes: SwitchChange[] }> {
    const s = this.room.subscriberOf(who);
    const changes: SwitchChange[] = [];
    const feeds: Publisher[] = [];
    for (const w of req) {
      const line = s.streams.find((x) => x.mid === w.sub_mid);
      if (!line) throw vrError(VideoRoomError.INVALID_ELEMENT, `Invalid sub_mid '${w.sub_mid}'`);
      const feed = this.room.current().publishers.find((p) => p.id === w.feed && p.streams);
      const stream = feed?.streams?.find((x) => x.mid === w.mid && !x.disabled);
      if (!feed || !stream) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${w.feed}) or mid '${w.mid}'`);
      if (stream.type !== line.type)
        throw vrError(VideoRoomError.INVALID_ELEMENT, `Can't switch a ${line.type} m-line to a ${stream.type} stream`);
      changes.push({ sub_mid: line.mid, feedKey: feedKeyOf(feed), feed: feed.id, mid: stream.mid });
      feeds.push(feed);
    }
    await this.bringFeeds(s, feeds);
    if (this.room.subscriber(who) !== s) throw joinFirst();
    for (const c of changes) {
      const line = s.streams.find((x) => x.mid === c.sub_mid);
      if (!line) continue;
      line.feedId = c.feed;
      line.feedMid = c.mid;
      line.active = true;
      // Janus sends a switched m-line's new source whatever `send` said (the relay does too).
      line.send = true;
    }
    // its m-lines carry them now (other feeds may still be wanted by a subscribe in flight)
    s.wants = s.wants?.filter((f) => !feeds.some((p) => p.id === f));
    this.room.save();
    this.cascades.prune();
    return { changes };
  }

  /** After a renegotiation (subscribe/unsubscribe/update/autoupdate) the relay's m-lines are the truth. */
  subscriptionChanged(who: HandleAddress, streams: SubStream[]): SubscriberStreams {
    const s = this.room.subscriberOf(who);
    // An m-line keeps `ready` while it keeps its source; a new or re-used one waits for the answer.
    const before = new Map(s.streams.map((x) => [x.mid, x]));
    s.streams = streams.map((x) => {
      const old = before.get(x.mid);
      const kept = old?.ready === true && old.feedId === x.feedId && old.feedMid === x.feedMid;
      return { ...x, ready: kept && x.active };
    });
    s.wants = undefined;
    this.room.save();
    this.cascades.prune();
    return { streams: this.entries(s), room: this.room.current().room };
  }

  /** A subscriber leaves (`leave`, or its handle went away). */
  remove(s: Subscriber): void {
    const r = this.room.current();
    r.subscribers = r.subscribers.filter((x) => x !== s);
    this.room.save();
    this.cascades.prune();
  }

  /** Its PeerConnection is gone: nothing on a relay is needed for it any more. */
  peerGone(s: Subscriber): void {
    s.relay = undefined;
    s.wants = undefined;
    this.room.save();
    this.cascades.prune();
  }

  private entries(s: Subscriber): JanusData[] {
    const pubs = this.room.current().publishers;
    return s.streams.map((x) => {
      const feed = pubs.find((p) => p.id === x.feedId);
      const src = feed?.streams?.find((y) => y.mid === x.feedMid);
      const e: JanusData = {
        mindex: x.mindex,
        mid: x.mid,
        type: x.type,
        active: x.active && src !== undefined,
        send: x.send,
        ready: x.active && src !== undefined && x.ready === true,
      };
      if (x.active && feed) {
        e.feed_id = feed.id;
        e.feed_mid = x.feedMid;
        if (feed.display !== undefined) e.feed_display = feed.display;
        if (feed.metadata !== undefined) e.feed_metadata = feed.metadata;
        if (src?.codec) e.codec = src.codec;
      }
      return e;
    });
  }
}
