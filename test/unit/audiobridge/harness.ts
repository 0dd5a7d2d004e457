import type { AbPeerEvent, ParticipantSettings } from '../../../shared/control/audiobridge.js';
import { AudioBridge } from '../../../edge/plugins/audiobridge/audioBridge.js';
import type { AudioBridgeApi, AudioBridgeIndexApi } from '../../../edge/plugins/audiobridge/audioBridgeApi.js';
import type { AbRoomCall, AbRoomHost } from '../../../edge/plugins/audiobridge/host.js';
import type { Joined, JoinOptions, MixerPlace } from '../../../edge/plugins/audiobridge/participants.js';
import type {
  AbRoomId,
  ConfigureRequest,
  JoinRequest,
  RoomSyncRequest,
} from '../../../edge/plugins/audiobridge/schemas.js';
import {
  audioBridgeObjectName,
  type AbRoomState,
  type HandleAddress,
  type JanusData,
} from '../../../edge/plugins/audiobridge/state.js';
import type { CommandArgs, RelayRef } from '../../../edge/relays/relayClient.js';
import type { CommandInput, CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { rpcRun, type RpcResult } from '../../../edge/rpc.js';
import type { Stubs } from '../../../edge/stubs.js';
import { FakeRelays } from '../videoroom/harness.js';
import { settle } from '../support/handles.js';

/** The fake relay answering the AudioBridge's room-level ops as a relay would (the file it writes, the address it forwards to). */
class AbFakeRelays extends FakeRelays {
  override async command<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    const out = await super.command(relay, cmd);
    const c = cmd as CommandInput;
    if (c.op === 'ab.record')
      return {
        path: c.record ? `${c.dir ?? '/rec'}/${c.file ?? `janus-audioroom-${c.mixerSettings.room}.wav`}` : null,
      } as CommandResult<O>;
    if (c.op === 'ab.forward') return { host: c.host === 'localhost' ? '127.0.0.1' : c.host } as CommandResult<O>;
    return out;
  }
}

/**
 * An in-memory host for the AudioBridge room logic: saves kept in memory, a relay client that records
 * commands, and a recorder of what participants are told. No workerd, relay or socket.
 */
export class RoomHarness implements AbRoomHost {
  saved: AbRoomState | undefined;
  readonly told: Array<{ to: HandleAddress; call: AbRoomCall }> = [];
  /** What event handlers heard (type 64), with the handle each names. */
  readonly handlerEvents: Array<{ data: JanusData; from?: HandleAddress }> = [];
  readonly relays = new AbFakeRelays();
  readonly rooms = new Set<AbRoomId>();
  readonly log = { warn: () => undefined };
  /** Handles whose shard says they are gone. */
  readonly missing = new Set<string>();
  adminKey?: string;
  /** The relay a room's own media goes to when no participant chose one. */
  freeRelay: RelayRef | undefined = relayA;
  async pickRelay(): Promise<RelayRef | undefined> {
    return this.freeRelay;
  }
  /** Relay links the room watches. */
  readonly watched = new Set<string>();
  /** Where calls to participants go (a session core in plugin tests); by default only recorded. */
  deliver?: (to: HandleAddress, call: AbRoomCall) => Promise<boolean>;
  readonly index = {
    roomCreated: async (room: AbRoomId) => void this.rooms.add(room),
    roomDestroyed: async (room: AbRoomId) => void this.rooms.delete(room),
  };
  readonly ab: AudioBridge;
  /** Holds joins back (a join in flight) until it resolves. */
  joinGate?: Promise<void>;

  constructor() {
    this.ab = new AudioBridge(this);
  }

  save(state: AbRoomState | undefined): void {
    this.saved = state === undefined ? undefined : structuredClone(state);
  }

  pluginEvent(data: JanusData, from?: HandleAddress): void {
    this.handlerEvents.push({ data: structuredClone(data), ...(from ? { from } : {}) });
  }

  watchLink(linkId: string): void {
    this.watched.add(linkId);
  }

  unwatchLink(linkId: string): void {
    this.watched.delete(linkId);
  }

  async notify(to: HandleAddress, call: AbRoomCall): Promise<boolean> {
    this.told.push({ to, call: structuredClone(call) });
    if (this.deliver) return this.deliver(to, call);
    return !this.missing.has(`${to.sessionId}:${to.handleId}`);
  }

  /** What one handle was told, in order. */
  toldTo(who: HandleAddress): AbRoomCall[] {
    return this.told
      .filter((t) => t.to.sessionId === who.sessionId && t.to.handleId === who.handleId)
      .map((t) => t.call);
  }

  /** The plugin-data of what one handle was told. */
  dataTo(who: HandleAddress): JanusData[] {
    return this.toldTo(who).map((c) => c.data);
  }

  /** The participant ids, in join order. */
  ids(): AbRoomId[] {
    return (this.ab.room.state?.participants ?? []).map((p) => p.id);
  }

  /** Lets fire-and-forget work (relay commands not waited for) run. */
  settle(): Promise<void> {
    return settle();
  }
}

/** A harness holding room `id`, created (secret `sec`, and `options`) by `by` if given. */
export async function withRoom(
  id: AbRoomId,
  options: Record<string, unknown> = {},
  by?: HandleAddress,
): Promise<RoomHarness> {
  const h = new RoomHarness();
  await h.ab.requests.create(id, { room: id, secret: 'sec', ...options }, by);
  return h;
}

/** The Janus error code `fn` rejects with, or undefined if it resolves. */
export async function asyncCode(fn: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}

export { handle } from '../support/handles.js';

export const relayA: RelayRef = { relayId: 'relay-a', linkId: 'link-a' };
export const relayB: RelayRef = { relayId: 'relay-b', linkId: 'link-b' };

/** Crossing an RPC boundary clones. */
const rpc = <T>(fn: () => T | Promise<T>): Promise<RpcResult<T>> =>
  rpcRun(async () => structuredClone(await fn()), 499);

/** One room as the plugin sees its Durable Object: the same methods, results and cloning. */
class RoomObject {
  constructor(readonly h: RoomHarness) {}
  private get ab() {
    return this.h.ab;
  }
  create = (room: AbRoomId, body: Record<string, unknown>, from?: HandleAddress) => {
    this.ab.room.remember(room);
    return rpc(() => this.ab.requests.create(room, body, from));
  };
  summary = async () => structuredClone(this.ab.requests.summary());
  sync = (request: RoomSyncRequest, body: Record<string, unknown>, from?: HandleAddress) => {
    this.ab.room.remember(body.room);
    return rpc(() => this.ab.sync(request, body, from));
  };
  join = async (who: HandleAddress, join: JoinRequest, opts: JoinOptions): Promise<RpcResult<Joined>> => {
    this.ab.room.remember(join.room);
    await this.h.joinGate;
    return rpc(() => this.ab.participants.join(who, join, opts));
  };
  placeMedia = (who: HandleAddress, candidate: RelayRef): Promise<RpcResult<{ relay: RelayRef; place: MixerPlace }>> =>
    rpc(() => this.ab.participants.placeMedia(who, candidate));
  mediaReady = async (who: HandleAddress, audioLevel: boolean) => this.ab.participants.mediaReady(who, audioLevel);
  bridgeOf = (who: HandleAddress) => rpc(() => this.ab.bridgeOf(who));
  moveLeg = (who: HandleAddress) => rpc(() => this.ab.moveLeg(who));
  resetLegDecoder = (who: HandleAddress) => rpc(() => this.ab.resetLegDecoder(who));
  setupMedia = async (who: HandleAddress) => this.ab.participants.setupMedia(who);
  mediaFailed = async (who: HandleAddress) => this.ab.participants.mediaFailed(who);
  configure = (
    who: HandleAddress,
    c: ConfigureRequest,
  ): Promise<RpcResult<{ settings: ParticipantSettings; hasMedia: boolean }>> =>
    rpc(() => this.ab.participants.configure(who, c));
  leave = (who: HandleAddress) => rpc(() => this.ab.participants.leave(who, 'leave'));
  handleGone = async (who: HandleAddress) => this.ab.handleGone(who);
  moveOut = async (who: HandleAddress, keepLeg = true) => void this.ab.participants.leave(who, 'moved', keepLeg);
  rebridge = (who: HandleAddress, audioLevel: boolean) => rpc(() => this.ab.rebridge(who, audioLevel));
  mediaGone = async (who: HandleAddress) => this.ab.participants.mediaGone(who);
  relayEvent = async (e: AbPeerEvent) => this.ab.relayEvent(e);
  relayLost = async (linkId: string) => this.ab.relayLost(linkId);
}

/** Every AudioBridge room of a test deployment, and the stubs the plugin reaches them by. */
export class Rooms {
  readonly byName = new Map<string, RoomHarness>();
  /** Set by the plugin tests: where rooms deliver calls to participants. */
  deliver?: (to: HandleAddress, call: AbRoomCall) => Promise<boolean>;

  room(id: AbRoomId): RoomHarness {
    return this.named(audioBridgeObjectName(id));
  }

  private named(name: string): RoomHarness {
    let h = this.byName.get(name);
    if (!h) {
      h = new RoomHarness();
      h.deliver = (to, call) => this.deliver?.(to, call) ?? Promise.resolve(true);
      this.byName.set(name, h);
    }
    return h;
  }

  private readonly index: Omit<AudioBridgeIndexApi, keyof Rpc.DurableObjectBranded> = {
    roomCreated: async () => undefined,
    roomDestroyed: async () => undefined,
    listRooms: async () => [...this.byName.values()].flatMap((h) => (h.ab.room.state ? [h.ab.room.state.room] : [])),
  };

  /** The plugin's stubs: rooms by object name, and the room list. */
  stubs(): Stubs {
    const fake = {
      audioBridge: (name: string) => new RoomObject(this.named(name)) as unknown as AudioBridgeApi,
      audioBridgeIndex: () => this.index as unknown as AudioBridgeIndexApi,
    };
    return fake as unknown as Stubs;
  }
}
