import { noVideoRoomLimits, type VideoRoomLimits } from '../../../edge/plugins/videoroom/limits.js';
import type { CommandInput, CommandOp, CommandResult } from '../../../shared/control/commands.js';
import type { SfuPublisherStream } from '../../../shared/control/sfu.js';
import { JanusApiError } from '../../../shared/janus/errors.js';
import type { CommandArgs, RelayClient, RelayRef } from '../../../edge/relays/relayClient.js';
import type { RoomCall, RoomHost, RoomIndex } from '../../../edge/plugins/videoroom/host.js';
import type { RoomId } from '../../../edge/plugins/videoroom/schemas.js';
import type { HandleAddress, PubStream, RoomState } from '../../../edge/plugins/videoroom/state.js';
import { VideoRoom } from '../../../edge/plugins/videoroom/videoRoom.js';
import { handle, settle } from '../support/handles.js';

/**
 * An in-memory host for the VideoRoom logic: a clock the test sets, saves kept in memory, a relay
 * client that records commands and answers as a relay would, and a recorder of what participants
 * are told. A harness for the room's own seam (RoomHost), no workerd, relay or socket.
 */

export const relayA: RelayRef = { relayId: 'relay-a', linkId: 'link-a' };
export const relayB: RelayRef = { relayId: 'relay-b', linkId: 'link-b' };
export const relayC: RelayRef = { relayId: 'relay-c', linkId: 'link-c' };

export interface SentCommand {
  relay: RelayRef;
  cmd: CommandInput;
}

/** A relay client answering every command with what a relay would, and recording them. */
export class FakeRelays implements RelayClient {
  readonly sent: SentCommand[] = [];
  /** Ops that fail (as the relay would, with a code) until removed. */
  readonly failing = new Map<CommandOp, number>();
  private nextPort = 20000;
  private nextForwarder = 1;

  async command<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    this.sent.push({ relay, cmd });
    const code = this.failing.get(cmd.op);
    if (code !== undefined) throw new JanusApiError(code, `${cmd.op} failed`);
    // Each op's answer is built to its result type by `answer`; TypeScript cannot follow O through the switch.
    return this.answer(cmd) as CommandResult<O>;
  }

  private answer(cmd: CommandInput): unknown {
    switch (cmd.op) {
      case 'sfu.remoteAdd': {
        const port = (this.nextPort += 2);
        return {
          ip: '192.0.2.1',
          port,
          rtcp_port: port + 1,
          streams: cmd.streams.map((s): SfuPublisherStream => ({
            type: s.type,
            mindex: s.mindex,
            mid: s.mid,
            codec: s.codec,
            simulcast: s.simulcast,
            disabled: s.disabled,
          })),
        };
      }
      case 'sfu.remoteUpdate':
        return {
          streams: cmd.streams.map((s): SfuPublisherStream => ({
            type: s.type,
            mindex: s.mindex,
            mid: s.mid,
            codec: s.codec,
          })),
        };
      case 'sfu.forward':
        return {
          forwarders: cmd.streams.map((s) => ({
            id: this.nextForwarder++,
            mid: s.mid,
            type: 'video',
            host: s.host,
            port: s.port,
            ssrc: s.ssrc,
            srtp: cmd.srtp !== undefined,
          })),
        };
      default:
        return {};
    }
  }

  /** The commands of one op, in order. */
  of<O extends CommandOp>(op: O): Array<{ relay: RelayRef; cmd: CommandArgs<O> }> {
    const out: Array<{ relay: RelayRef; cmd: CommandArgs<O> }> = [];
    for (const s of this.sent) if (isOp(s.cmd, op)) out.push({ relay: s.relay, cmd: s.cmd });
    return out;
  }
}

function isOp<O extends CommandOp>(cmd: CommandInput, op: O): cmd is CommandArgs<O> {
  return cmd.op === op;
}

export interface Told {
  to: HandleAddress;
  call: RoomCall;
}

/** The in-memory host, and the room over it. */
export class Harness implements RoomHost {
  time = 1_700_000_000_000;
  saved: RoomState | undefined;
  saves = 0;
  readonly told: Told[] = [];
  readonly relays = new FakeRelays();
  readonly rooms = new Set<RoomId>();
  readonly watched = new Set<string>();
  /** The relay `pickRelay` answers (remote publishers). */
  pick: RelayRef | undefined = relayA;
  readonly tokenAuthSecret = 'secret';
  limits: VideoRoomLimits = { ...noVideoRoomLimits };
  readonly log = { debug: () => undefined, warn: () => undefined };
  /** A creator's remote publishers over every room: this room alone, unless a test links rooms (limits.test.ts). */
  countRemotePublishers: RoomIndex['countRemotePublishers'] = async (_room, _creator, own) => ({
    session: own.session,
    address: own.address,
  });
  readonly index: RoomIndex = {
    roomCreated: async (room: RoomId) => void this.rooms.add(room),
    roomDestroyed: async (room: RoomId) => void this.rooms.delete(room),
    pickRelay: async () => this.pick,
    countRemotePublishers: (room, creator, own) => this.countRemotePublishers(room, creator, own),
  };
  readonly vr: VideoRoom;

  constructor() {
    this.vr = new VideoRoom(this);
  }

  save(state: RoomState | undefined): void {
    this.saved = state;
    this.saves++;
  }

  now(): number {
    return this.time;
  }

  /** Handles whose shard says they are gone (their leave was lost). */
  readonly missing = new Set<string>();

  async notify(to: HandleAddress, call: RoomCall): Promise<boolean> {
    this.told.push({ to, call });
    return !this.missing.has(`${to.sessionId}:${to.handleId}`);
  }

  watchLink(linkId: string): void {
    this.watched.add(linkId);
  }

  unwatchLink(linkId: string): void {
    this.watched.delete(linkId);
  }

  /** What one handle was told, in order. */
  toldTo(who: HandleAddress): RoomCall[] {
    return this.told
      .filter((t) => t.to.sessionId === who.sessionId && t.to.handleId === who.handleId)
      .map((t) => t.call);
  }

  /** Lets fire-and-forget work (relay commands not waited for) run. */
  /** Lets fire-and-forget work (relay commands not waited for) run. */
  settle(): Promise<void> {
    return settle();
  }
}

export { handle } from '../support/handles.js';

export const audioVideo: PubStream[] = [
  { type: 'audio', mindex: 0, mid: '0', codec: 'opus' },
  { type: 'video', mindex: 1, mid: '1', codec: 'vp8' },
];

/** A room with id 1234 and a publisher publishing audio and video on `relay`. */
export async function roomWithPublisher(h: Harness, relay: RelayRef = relayA, options: Record<string, unknown> = {}) {
  await h.vr.requests.create(1234, { room: 1234, ...options });
  const pub = handle();
  const joined = await h.vr.publishers.join(pub, { room: 1234, ptype: 'publisher', display: 'alice' });
  h.vr.publishers.preparePublish(pub);
  h.vr.publishers.published(pub, audioVideo, relay, {});
  return { pub, id: joined.id };
}

/** A subscriber to every stream of `feed`, its PeerConnection on `relay` (the relay's m-lines as it would make them). */
export async function subscribe(h: Harness, feed: RoomId, relay: RelayRef) {
  const sub = handle();
  const prep = await h.vr.subscribers.prepare(sub, { room: 1234, ptype: 'subscriber', streams: [{ feed }] }, relay);
  const lines = prep.streams.map((s, i) => ({
    mindex: i,
    mid: String(i),
    type: s.type,
    feedId: s.feedId,
    feedMid: s.feedMid,
    active: true,
    send: true,
  }));
  const done = h.vr.subscribers.subscribed(sub, lines, relay, false);
  return { sub, prep, done };
}
