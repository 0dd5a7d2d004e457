import type { CommandInput } from '../../../shared/control/commands.js';
import type { PeerEvent } from '../../../shared/control/events.js';
import type { EdgeMessage, RelayMessageInput, RelaySettings } from '../../../shared/control/messages.js';
import type { SfuPeerEvent } from '../../../shared/control/sfu.js';
import { Logger } from '../../../edge/log.js';
import type { HandleAddress } from '../../../edge/plugins/videoroom/state.js';
import type { RelayEntry } from '../../../edge/relays/directory.js';
import type {
  LinkDirectory,
  LinkHost,
  LinkRoom,
  LinkShard,
  LinkSocket,
  LinkStorage,
} from '../../../edge/relays/linkHost.js';
import { RelayConnection } from '../../../edge/relays/relayConnection.js';
import { TestClock } from '../support/testClock.js';
import type { RpcResult } from '../../../edge/rpc.js';

/**
 * An in-memory host for a relay link: storage in a Map, a clock the test moves, a socket that keeps
 * what the link sent, and a directory, shards and rooms that record what they are told.
 */
export const SECRET = 'unit-test-secret';
export const LINK_ID = 'link-1';

export class MemoryLinkStorage implements LinkStorage {
  readonly data = new Map<string, unknown>();
  alarm: number | undefined;
  async get<T>(key: string): Promise<T | undefined> {
    return this.data.get(key) as T | undefined;
  }
  async put(key: string, value: unknown): Promise<void> {
    this.data.set(key, structuredClone(value));
  }
  async deleteAll(): Promise<void> {
    this.data.clear();
  }
  async setAlarm(at: number): Promise<void> {
    this.alarm = at;
  }
  async deleteAlarm(): Promise<void> {
    this.alarm = undefined;
  }
}

export class TestLinkSocket implements LinkSocket {
  readonly sent: EdgeMessage[] = [];
  closed?: { code: number; reason: string };
  send(text: string): void {
    if (this.closed) throw new Error('socket closed');
    this.sent.push(JSON.parse(text) as EdgeMessage);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  /** The `cmd` frames sent so far. */
  commands(): Extract<EdgeMessage, { type: 'cmd' }>[] {
    return this.sent.filter((m): m is Extract<EdgeMessage, { type: 'cmd' }> => m.type === 'cmd');
  }
}

export class RecordingDirectory implements LinkDirectory {
  readonly calls: string[] = [];
  readonly entries: RelayEntry[] = [];
  /** What relayUp answers: the relay-wide settings the link must send after the welcome. */
  settings: RelaySettings = {};
  async relayUp(entry: RelayEntry): Promise<RelaySettings> {
    this.calls.push(`up ${entry.relayId} ${entry.linkId}`);
    this.entries.push(entry);
    return this.settings;
  }
  async relayHeartbeat(entry: RelayEntry): Promise<void> {
    this.calls.push(`heartbeat ${entry.relayId} ${entry.linkId}`);
    this.entries.push(entry);
  }
  async relayDraining(relayId: string, linkId: string): Promise<void> {
    this.calls.push(`draining ${relayId} ${linkId}`);
  }
  async relayDown(relayId: string, linkId: string): Promise<void> {
    this.calls.push(`down ${relayId} ${linkId}`);
  }
}

/** Shards and rooms, each call recorded with the name of the object it reached. */
export class RecordingObjects {
  readonly shardCalls: { shardOf: number; sessionId: number; handleId: number; linkId: string; event: PeerEvent }[] =
    [];
  readonly roomCalls: { room: string; call: 'sfuEvent' | 'relayLost'; who?: HandleAddress; arg: unknown }[] = [];

  shard(shardOf: number): LinkShard {
    return {
      relayEvent: async (sessionId, handleId, linkId, event) => {
        this.shardCalls.push({ shardOf, sessionId, handleId, linkId, event });
      },
    };
  }
  room(name: string): LinkRoom {
    return {
      sfuEvent: async (who: HandleAddress, e: SfuPeerEvent) => {
        this.roomCalls.push({ room: name, call: 'sfuEvent', who, arg: e });
      },
      relayLost: async (linkId: string) => {
        this.roomCalls.push({ room: name, call: 'relayLost', arg: linkId });
      },
    };
  }
}

export interface LinkFixture {
  link: RelayConnection;
  storage: MemoryLinkStorage;
  clock: TestClock;
  socket: TestLinkSocket;
  sockets: TestLinkSocket[];
  directory: RecordingDirectory;
  objects: RecordingObjects;
}

/** A link over a fresh in-memory host; `{ secret: undefined }` for an edge configured without one. */
export function makeLink(opts: { secret?: string; handlerEvents?: boolean } = { secret: SECRET }): LinkFixture {
  const storage = new MemoryLinkStorage();
  const clock = new TestClock();
  const socket = new TestLinkSocket();
  const sockets = [socket];
  const directory = new RecordingDirectory();
  const objects = new RecordingObjects();
  const host: LinkHost = {
    storage,
    clock,
    log: new Logger('silent', 'relay-link'),
    handlerEvents: opts.handlerEvents,
    sockets: () => sockets,
    directory: () => directory,
    // the session's id stands for its shard, so tests can see which shard was reached
    shardOfSession: (sessionId) => objects.shard(sessionId),
    room: (name) => objects.room(name),
  };
  return { link: new RelayConnection(host, opts.secret), storage, clock, socket, sockets, directory, objects };
}

export const NONCE = 'nonce-0123456789abcdef';

export function frame(m: RelayMessageInput): string {
  return JSON.stringify(m);
}

export function registerFrame(relayId = 'relay-a'): string {
  return frame({ type: 'register', relayId, region: 'eu', address: '10.0.0.1', capacity: 100, load: 0, nonce: NONCE });
}

/** A link accepted and registered (welcome sent). */
export async function registeredLink(opts?: { handlerEvents?: boolean }): Promise<LinkFixture> {
  const f = makeLink({ secret: SECRET, ...opts });
  await f.link.accept(LINK_ID);
  await f.link.message(f.socket, registerFrame());
  return f;
}

/** Lets the link's awaits between a reply and the command's caller run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Runs a command, answers it as the relay would with `reply`, and returns the outcome. */
export async function runCommand(
  f: LinkFixture,
  cmd: CommandInput,
  reply: { ok: true; result: Record<string, unknown> } | { ok: false; error: { code: number; reason: string } },
): Promise<RpcResult<unknown>> {
  const outcome = f.link.command(cmd);
  const sent = f.socket.commands().at(-1);
  if (!sent) throw new Error('no cmd frame sent');
  await f.link.message(f.socket, frame({ type: 'reply', id: sent.id, ...reply }));
  return outcome;
}

export function peerCreate(sessionId: number, handleId: number): CommandInput {
  return { op: 'peer.create', sessionId, handleId, plugin: 'janus.plugin.echotest', offer: { sdp: 'v=0\r\n' } };
}
