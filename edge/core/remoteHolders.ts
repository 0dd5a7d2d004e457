import type { CoordinatorStorage } from './coordinatorHost.js';
import type { RemoteCounts, RemoteCreator, RemoteTally } from './remoteCreator.js';

type RoomId = number | string;

const PREFIX = 'remotes:';
const keyOf = (room: RoomId) => `${PREFIX}${typeof room}:${room}`;

/**
 * Remote publishers per session and per client address span rooms, and each room's registry (its
 * publishers, each recording its creator) is the truth: counts are summed from the rooms' answers,
 * never kept. The core coordinator only keeps which rooms may hold remote publishers with a creator
 * (in storage, so eviction loses none): a room joins before it asks, with its new publisher already
 * reserved in its registry, and leaves when it answers that it holds none (or is destroyed). So any
 * two concurrent additions of one creator are ordered: the later one's count sees the earlier's
 * reservation, and a limit is never exceeded; at worst both are refused.
 */
export class RemoteHolders {
  /** When each room last joined, so a room that joined again while it was being asked is not dropped. */
  private readonly joined = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly storage: CoordinatorStorage,
    /** A room's tally of a creator's remote publishers (its registry answers). */
    private readonly tallyOf: (room: RoomId, creator: RemoteCreator) => Promise<RemoteTally>,
  ) {}

  /** `room` (whose own tally, its new reservation included, is `own`) asks for the creator's counts over every room. */
  async count(room: RoomId, creator: RemoteCreator, own: RemoteTally): Promise<RemoteCounts> {
    const key = keyOf(room);
    this.joined.set(key, ++this.seq);
    await this.storage.put(key, room);
    const others = [...(await this.storage.list<RoomId>(PREFIX))].filter(([k]) => k !== key);
    const asked = others.map(([k]) => this.joined.get(k));
    const tallies = await Promise.all(others.map(([, id]) => this.tallyOf(id, creator)));
    const counts: RemoteCounts = { session: own.session, address: own.address };
    for (const [i, t] of tallies.entries()) {
      counts.session += t.session;
      counts.address += t.address;
      const [k] = others[i]!;
      if (t.total === 0 && this.joined.get(k) === asked[i]) await this.leave(k);
    }
    return counts;
  }

  /** The room was destroyed: its remote publishers went with it. */
  async roomGone(room: RoomId): Promise<void> {
    await this.leave(keyOf(room));
  }

  private async leave(key: string): Promise<void> {
    this.joined.delete(key);
    await this.storage.delete(key);
  }
}
