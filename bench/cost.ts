/**
 * Edge cost benchmark: what the Durable Objects of a VideoRoom deployment cost per participant-hour
 * at Cloudflare's list prices ($0.15 per million requests, $12.50 per million GB-s at 128 MB).
 *
 * Runs `npm start` with METERING=1: every Durable Object shell records its billable events (RPC
 * calls and fetches, alarm invocations, WebSocket messages in and out) and when each handler ran
 * (edge/metering/), read at `/metering`. Then:
 *
 *   setup    PARTICIPANTS janus.js-like participants (bench/cost/participant.ts) join rooms of
 *            ROOM_SIZE: each joins as publisher, publishes (werift, audio + video), subscribes to
 *            those already there, and those there subscribe to it, as the janus.js demo does.
 *   window   MINUTES of real time with everyone in: keepalives every 25 s per session (janus.js),
 *            media flowing, the relay's heartbeats and the RelayLink's liveness alarm as they run,
 *            and the hour's activity at its real rate: CONFIGURES and KEYFRAMES per participant-hour
 *            (configure {bitrate}, configure {keyframe:true}) and REJOINS (leave, destroy, a new
 *            session joins and publishes, the others subscribe to it).
 *
 * Time is not compressed (every timer runs at its real period): one participant-hour is the setup
 * once (a participant joins once an hour) plus the window scaled to the rest of the hour, ×
 * (3600 − setup s) / window s, divided by PARTICIPANTS. The relay's link and the core are shared by
 * every participant here (one relay for PARTICIPANTS); their hourly cost is printed too.
 *
 * Residency (what duration is billed for) is modelled from when handlers ran, two ways
 * (edge/metering/costModel.ts): "upper", each handler keeps its object resident 10 s (the runtime's
 * idle window before hibernation: what is billed if something keeps the object from hibernating);
 * "busy", handler time plus 100 ms (Cloudflare's pricing page: an idle object eligible for
 * hibernation is not billed, even before it hibernated; ours are eligible once their write-behind
 * timers ran: session records 100 ms, rooms 50 ms). Locally objects are not evicted, so the
 * constructor a woken object runs again (a shard restores its sessions) is not seen. The calls of the local supervisor's /health poll (`counts`,
 * `listRelays`, every 2 s) are left out: no deployment has that supervisor.
 * Goal (issue 12): ≤ $0.0005 per participant-hour.
 *
 *   npm run bench:cost
 *   npm run bench:cost -- --participants=50 --room-size=5 --minutes=5 --configures=3 --keyframes=4
 *     --rejoins=0.2 --runner=miniflare|wrangler
 */
import { cpus, loadavg } from 'node:os';
import { arg, positiveInt, positiveNumber } from './support/args.js';
import { cleanup, cleanups } from './support/cleanup.js';
import { data, Member } from './support/roomMember.js';
import { Participant, type ParticipantCounts } from './cost/participant.js';
import {
  hourly,
  hourlyTable,
  perParticipantHour,
  storageLines,
  topMethodsLines,
  withoutLinkAlarm,
} from './cost/report.js';
import type { MeterSnapshot } from '../edge/metering/registry.js';
import { startStack } from '../test/support/stack.js';

const opt = (name: string) => arg(name) ?? process.env[`COST_${name.toUpperCase().replace(/-/g, '_')}`];
const PARTICIPANTS = positiveInt(opt('participants'), 50, '--participants');
const ROOM_SIZE = positiveInt(opt('room-size'), 5, '--room-size');
const MINUTES = positiveNumber(opt('minutes'), 5, '--minutes');
const CONFIGURES = Number(opt('configures') ?? 3);
const KEYFRAMES = Number(opt('keyframes') ?? 4);
const REJOINS = Number(opt('rejoins') ?? 0.2);
const RUNNER = opt('runner') ?? process.env.EDGE_RUNNER ?? 'miniflare';
const GOAL = 0.0005;
/** The longest timer our objects leave pending after a change (session write-behind, 100 ms). */
const BUSY_TAIL_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metering(baseUrl: string, method: 'GET' | 'DELETE'): Promise<MeterSnapshot | undefined> {
  const res = await fetch(`${baseUrl}/metering`, { method });
  if (res.status === 204) return undefined;
  if (res.status !== 200) throw new Error(`/metering: HTTP ${res.status} (is METERING passed to the Worker?)`);
  return (await res.json()) as MeterSnapshot;
}

/** The rooms and who is in them. */
class Rooms {
  readonly members = new Map<number, Participant[]>();
  private nextId = 1;
  constructor(
    private readonly wsUrl: string,
    readonly counts: ParticipantCounts,
  ) {}

  /** Joins a new participant to `room`; it subscribes to the others, and they to it. */
  async join(room: number): Promise<void> {
    const others = this.members.get(room) ?? [];
    const p = await Participant.join(
      this.wsUrl,
      room,
      this.nextId++,
      others.map((o) => o.id),
      this.counts,
    );
    for (const o of others) await o.subscribeTo([p.id]);
    this.members.set(room, [...others, p]);
  }

  async rejoin(p: Participant): Promise<void> {
    this.members.set(
      p.room,
      this.members.get(p.room)!.filter((o) => o !== p),
    );
    await p.leave();
    await this.join(p.room);
  }

  all(): Participant[] {
    return [...this.members.values()].flat();
  }
}

/** `n` activities at random times within `ms`, each on a random participant at its time. */
function scheduled(n: number, ms: number): number[] {
  return Array.from({ length: n }, () => Math.random() * ms).sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const windowMs = MINUTES * 60_000;
  const perWindow = (perHour: number) => Math.round((PARTICIPANTS * perHour * windowMs) / 3_600_000);
  console.log(
    `# cost: ${PARTICIPANTS} participants in rooms of ${ROOM_SIZE}, a ${MINUTES}-minute window with keepalives every 25 s and, per participant-hour, ${CONFIGURES} configures, ${KEYFRAMES} keyframe requests, ${REJOINS} rejoins (${perWindow(CONFIGURES)}, ${perWindow(KEYFRAMES)}, ${perWindow(REJOINS)} in the window); ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
  );
  const stack = await startStack({
    METERING: '1',
    LOG_LEVEL: 'warn',
    EDGE_RUNNER: RUNNER,
    // Every client is 127.0.0.1 here: the per-address limits would refuse a room of browsers.
    MAX_PEERS_PER_ADDRESS: '0',
    OFFERS_PER_SECOND_PER_ADDRESS: '0',
  });
  cleanups.push(async () => void (await stack.stop()));
  const counts: ParticipantCounts = { keepalives: 0, renegotiations: 0, errors: 0 };
  const rooms = new Rooms(stack.wsUrl, counts);
  const roomIds = Array.from({ length: Math.ceil(PARTICIPANTS / ROOM_SIZE) }, (_, i) => 5000 + i);
  cleanups.push(() => Promise.all(rooms.all().map((p) => p.leave(true))).then(() => undefined));

  // ---- setup: rooms are created beforehand (not counted), then everyone joins
  const owner = await Member.connect(stack.wsUrl);
  for (const room of roomIds) data(await owner.ask({ request: 'create', room, publishers: ROOM_SIZE + 2 }), 'create');
  await metering(stack.baseUrl, 'DELETE');
  await Promise.all(
    roomIds.map(async (room, i) => {
      const size = Math.min(ROOM_SIZE, PARTICIPANTS - i * ROOM_SIZE);
      for (let k = 0; k < size; k++) await rooms.join(room);
    }),
  );
  const setup = (await metering(stack.baseUrl, 'GET'))!;
  console.log(
    `setup: ${rooms.all().length} participants joined in ${((setup.now - setup.since) / 1000).toFixed(1)} s, ${counts.errors} errors`,
  );

  // ---- the window
  await metering(stack.baseUrl, 'DELETE');
  const t0 = performance.now();
  const pick = () => {
    const all = rooms.all();
    return all[Math.floor(Math.random() * all.length)]!;
  };
  const act = (what: () => Promise<unknown>) =>
    what().catch((err: unknown) => {
      counts.errors++;
      counts.firstError ??= String(err);
    });
  const activities = [
    ...scheduled(perWindow(CONFIGURES), windowMs).map((at) => ({
      at,
      run: () => pick().configure({ bitrate: 256_000 + Math.floor(Math.random() * 256) * 1000 }),
    })),
    ...scheduled(perWindow(KEYFRAMES), windowMs).map((at) => ({ at, run: () => pick().configure({ keyframe: true }) })),
    ...scheduled(perWindow(REJOINS), windowMs).map((at) => ({ at, run: () => rooms.rejoin(pick()) })),
  ].sort((a, b) => a.at - b.at);
  const running: Array<Promise<unknown>> = [];
  for (const a of activities) {
    await sleep(Math.max(0, t0 + a.at - performance.now()));
    running.push(act(a.run));
  }
  await sleep(Math.max(0, t0 + windowMs - performance.now()));
  const window = (await metering(stack.baseUrl, 'GET'))!;
  await Promise.all(running);
  console.log(
    `window: ${((window.now - window.since) / 1000).toFixed(0)} s, ${counts.keepalives} keepalives acked, ${activities.length} activities, ${counts.renegotiations} renegotiations answered, ${counts.errors} errors${counts.firstError ? ` (first: ${counts.firstError})` : ''}${window.droppedCalls ? `, ${window.droppedCalls} handler times not kept` : ''}`,
  );

  // ---- the bill
  const n = rooms.all().length;
  for (const [label, tailMs] of [
    ['upper: each handler keeps its object resident 10 s', 10_000],
    ['busy: handler time + 100 ms (the write-behind timers), then hibernatable', BUSY_TAIL_MS],
  ] as const) {
    const rows = hourly(setup, window, tailMs);
    const noAlarm = perParticipantHour(hourly(setup, window, tailMs, withoutLinkAlarm), n);
    const total = perParticipantHour(rows, n);
    console.log(`\n## ${label}\n${hourlyTable(rows, n)}`);
    console.log(
      `per participant-hour: $${total.toFixed(6)} — goal ≤ $${GOAL}: ${total <= GOAL ? 'met' : 'NOT met'}; without the RelayLink's liveness alarm: $${noAlarm.toFixed(6)}`,
    );
    if (tailMs !== BUSY_TAIL_MS) continue;
    console.log(`methods called most in the window:\n${topMethodsLines(rows).join('\n')}`);
    console.log(`storage writes:\n${storageLines(rows, n).join('\n')}`);
  }

  await Promise.all(rooms.all().map((p) => p.leave()));
  for (const room of roomIds) await owner.ask({ request: 'destroy', room }).catch(() => undefined);
  await owner.leave(false);
  console.log(`\n(1-min load average now ${loadavg()[0]!.toFixed(2)})`);
}

try {
  await main();
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
