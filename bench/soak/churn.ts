/**
 * The soak benchmark's churn phase: one VideoRoom kept busy for a while. A few publishers, each a
 * real werift PeerConnection sending audio and video, are replaced one at a time; in every cycle a
 * group of subscribers joins every feed, waits for media, and leaves again. Half the departures are
 * clean (`leave`, `destroy`, close), half abrupt (the socket destroyed, no goodbye), as browsers do.
 */
import { data, Member, publisher, subscriber } from '../support/roomMember.js';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
