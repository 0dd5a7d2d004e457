import type { CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { VideoRoomError, vrError } from './errors.js';
import { remoteForwardStreams, remoteStreamsOf } from './remoteWire.js';
import type { CommandArgs, RelayRef } from '../../relays/relayClient.js';
import type { Room } from './room.js';
import type { FeedId } from './schemas.js';
import type { Cascade, Publisher, PubStream, Subscriber } from './state.js';

/** A cascade's identity: the feed, and the relay connection it is carried to. */
const keyOf = (feedId: FeedId, to: RelayRef) => `${typeof feedId}:${feedId}@${to.linkId}`;

/** Whether a publisher's media sits on `relay` (the same relay connection). */
const on = (p: Publisher, relay: RelayRef) => p.relay?.linkId === relay.linkId;

/**
 * Automatic cascading inside one deployment: a subscriber on another relay than its publisher gets
 * the publisher's media through one cascade per (publisher, relay), shared by every subscriber
 * there. Which cascades must exist is derived from the room's subscribers (their relay, the feeds
 * their m-lines carry or are about to), never counted beside them: {@link prune} after any change
 * closes those no subscriber needs, on both relays.
 */
export class Cascades {
  /** Cascades being set up, so that concurrent subscribers share one. */
  private readonly opening = new Map<string, Promise<void>>();

  constructor(
    private readonly room: Room,
    /** The set of relay links the room uses changed: keep their loss reported to the room. */
    private readonly linksChanged: () => void,
  ) {}

  /** One command to a relay; a relay error throws with its code and reason. */
  private relayCall<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    return this.room.host.relays.command(relay, cmd);
  }

  private list(): Cascade[] {
    const r = this.room.state;
    if (!r) return [];
    return (r.cascades ??= []);
  }

  /** Makes every feed of `feeds` available on `to` (a no-op for feeds already there). */
  async ensure(feeds: Publisher[], to: RelayRef): Promise<void> {
    const distinct = [...new Set(feeds)].filter((p) => p.streams && p.relay && !on(p, to));
    await Promise.all(distinct.map((p) => this.ensureOne(p, to)));
  }

  private ensureOne(p: Publisher, to: RelayRef): Promise<void> {
    if (this.list().some((c) => c.feedId === p.id && c.to.linkId === to.linkId)) return Promise.resolve();
    const key = keyOf(p.id, to);
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.open(p, to).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  /** The remote publisher on `to` first (its ports), then the forwarders on the publisher's relay. */
  private async open(p: Publisher, to: RelayRef): Promise<void> {
    const r = this.room.current();
    const from = p.relay;
    const streams = p.streams;
    if (!from || !streams) throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${p.id})`);
    const peer = { sessionId: p.sessionId, handleId: p.handleId };
    const added = await this.relayCall(to, {
      op: 'sfu.remoteAdd',
      ...peer,
      room: r.room,
      streams: remoteStreamsOf(streams),
    });
    const c: Cascade = {
      feedId: p.id,
      ...peer,
      from,
      to,
      ip: added.ip,
      port: added.port,
      rtcpPort: added.rtcp_port,
      forwarderIds: [],
    };
    try {
      c.forwarderIds = await this.forward(c, p, streams, streams);
    } catch (err) {
      void this.close(c);
      throw err;
    }
    if (this.room.state !== r || !r.publishers.includes(p) || !p.streams || !on(p, from)) {
      // The publisher (or the room) went away while the relays worked.
      void this.close(c);
      throw vrError(VideoRoomError.NO_SUCH_FEED, `No such feed (${p.id})`);
    }
    this.list().push(c);
    this.room.save();
    this.linksChanged();
    // It renegotiated meanwhile: carry the streams it has now.
    if (p.streams !== streams) void this.update(c, p, streams);
    // Its subscriber may have left meanwhile.
    this.prune();
  }

  private async forward(c: Cascade, p: Publisher, streams: PubStream[], all: PubStream[]): Promise<number[]> {
    const fw = remoteForwardStreams(streams, { host: c.ip, port: c.port, rtcpPort: c.rtcpPort }, all, true);
    if (fw.length === 0) return [];
    const out = await this.relayCall(c.from, {
      op: 'sfu.forward',
      sessionId: p.sessionId,
      handleId: p.handleId,
      streams: fw,
    });
    return out.forwarders.map((f) => f.id);
  }

  /** Stops the forwarders and closes the remote publisher; a relay that is gone is not waited for. */
  private async close(c: Cascade): Promise<void> {
    const peer = { sessionId: c.sessionId, handleId: c.handleId };
    await Promise.all([
      ...c.forwarderIds.map((id) =>
        this.relayCall(c.from, { op: 'sfu.stopForward', ...peer, id }).catch(() => undefined),
      ),
      this.relayCall(c.to, { op: 'sfu.remoteRemove', ...peer }).catch((err: unknown) =>
        this.room.host.log.debug('cascade remote publisher already gone', { feed: c.feedId, error: String(err) }),
      ),
    ]);
  }

  /**
   * Closes every cascade no subscriber needs any more: its publisher stopped (or moved), or no
   * subscriber on its relay receives or is about to receive the feed.
   */
  prune(): void {
    const r = this.room.state;
    if (!r?.cascades?.length) return;
    const needed = new Set<string>();
    for (const s of r.subscribers) {
      if (!s.relay) continue;
      for (const x of s.streams) if (x.active) needed.add(keyOf(x.feedId, s.relay));
      for (const f of s.wants ?? []) needed.add(keyOf(f, s.relay));
    }
    const keep: Cascade[] = [];
    const drop: Cascade[] = [];
    for (const c of r.cascades) {
      const p = r.publishers.find((x) => x.id === c.feedId);
      const live = p?.streams !== undefined && on(p, c.from);
      (live && needed.has(keyOf(c.feedId, c.to)) ? keep : drop).push(c);
    }
    if (drop.length === 0) return;
    r.cascades = keep;
    this.room.save();
    this.linksChanged();
    for (const c of drop) void this.close(c);
  }

  /** A publisher's streams changed (renegotiation, update_remote_publisher): every relay it is carried to learns of them. */
  publisherChanged(p: Publisher, before: PubStream[]): void {
    for (const c of this.list()) if (c.feedId === p.id) void this.update(c, p, before);
  }

  private async update(c: Cascade, p: Publisher, before: PubStream[]): Promise<void> {
    const streams = p.streams ?? [];
    const known = new Set(before.map((s) => s.mid));
    try {
      await this.relayCall(c.to, {
        op: 'sfu.remoteUpdate',
        sessionId: p.sessionId,
        handleId: p.handleId,
        streams: remoteStreamsOf(streams),
      });
      const ids = await this.forward(
        c,
        p,
        streams.filter((s) => !known.has(s.mid)),
        streams,
      );
      if (this.list().includes(c)) {
        c.forwarderIds.push(...ids);
        this.room.save();
      } else
        for (const id of ids)
          void this.relayCall(c.from, {
            op: 'sfu.stopForward',
            sessionId: p.sessionId,
            handleId: p.handleId,
            id,
          }).catch(() => undefined);
    } catch (err) {
      this.room.host.log.warn('could not update a cascade', { feed: p.id, to: c.to.relayId, error: String(err) });
    }
  }

  /** A relay connection was lost: cascades from or to it go (the other side is cleaned up). */
  relayLost(linkId: string): void {
    const r = this.room.state;
    if (!r) return;
    for (const s of r.subscribers) if (s.relay?.linkId === linkId) s.relay = undefined;
    this.prune();
    const left = (r.cascades ?? []).filter((c) => c.from.linkId === linkId || c.to.linkId === linkId);
    if (left.length === 0) return;
    r.cascades = (r.cascades ?? []).filter((c) => !left.includes(c));
    this.room.save();
    this.linksChanged();
    for (const c of left) void this.close(c);
  }

  /** The room is destroyed: every cascade closes before the reply. */
  async closeAll(cascades: Cascade[]): Promise<void> {
    await Promise.all(cascades.map((c) => this.close(c)));
  }

  /** The cascades feeding a subscriber (admin handle_info). */
  feeding(s: Subscriber): Cascade[] {
    const relay = s.relay;
    if (!relay) return [];
    const feeds = new Set(s.streams.filter((x) => x.active).map((x) => x.feedId));
    return this.list().filter((c) => c.to.linkId === relay.linkId && feeds.has(c.feedId));
  }

  /** The cascades carrying a publisher to other relays (admin handle_info). */
  of(p: Publisher): Cascade[] {
    return this.list().filter((c) => c.feedId === p.id);
  }

  /** Link ids the cascades use. */
  links(): string[] {
    return this.list().flatMap((c) => [c.from.linkId, c.to.linkId]);
  }
}
