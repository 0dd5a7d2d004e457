import type { Room } from './room.js';

/**
 * The relay links whose loss this room must hear of: those holding its remote publishers or its
 * cascades (its participants' own PeerConnections are their session shards' concern). Kept equal
 * to what the room uses, so a link reports to the rooms that depend on it and only to those.
 */
export class RelayLinks {
  constructor(
    private readonly room: Room,
    private readonly cascadeLinks: () => string[],
  ) {}

  /** Watches the links now in use, unwatches the others. */
  update(): void {
    const r = this.room.state;
    if (!r) return;
    const remoteLinks = r.publishers.flatMap((p) => (p.remote && p.relay ? [p.relay.linkId] : []));
    const now = new Set([...remoteLinks, ...this.cascadeLinks()]);
    const before = new Set(r.watched ?? []);
    if (now.size === before.size && [...now].every((l) => before.has(l))) return;
    for (const l of now) if (!before.has(l)) this.room.host.watchLink(l, r.room);
    for (const l of before) if (!now.has(l)) this.room.host.unwatchLink(l, r.room);
    r.watched = [...now];
    this.room.save();
  }
}
