import type { StreamingCall, StreamingHost } from '../../../edge/plugins/streaming/host.js';
import type { MountpointId } from '../../../edge/plugins/streaming/schemas.js';
import type { HandleAddress, MountpointState } from '../../../edge/plugins/streaming/state.js';
import { Streaming } from '../../../edge/plugins/streaming/streaming.js';
import type { CommandArgs, RelayRef } from '../../../edge/relays/relayClient.js';
import type { CommandInput, CommandOp, CommandResult } from '../../../shared/control/commands.js';
import { FakeRelays, relayA } from '../videoroom/harness.js';

/** A fake relay answering the Streaming ops as a relay would (ports it picked, counters). */
class StreamingFakeRelays extends FakeRelays {
  private port = 30000;
  override async command<O extends CommandOp>(relay: RelayRef, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    const out = await super.command(relay, cmd);
    const c = cmd as CommandInput;
    if (c.op === 'streaming.create')
      return {
        ip: '192.0.2.7',
        media: c.media.map((m) => ({
          mid: m.mid,
          port: m.port || this.port++,
          ...(m.rtcpport !== undefined ? { rtcpport: m.rtcpport || this.port++ } : {}),
        })),
      } as CommandResult<O>;
    if (c.op === 'streaming.record')
      return {
        files: (c.start ?? []).map((t) => ({ mid: t.mid, kind: 'video', path: `${t.dir ?? '/rec'}/${t.base}.mjr` })),
      } as CommandResult<O>;
    if (c.op === 'streaming.info')
      return { media: [{ mid: 'v', packetsIn: 10, bytesIn: 1000, ageMs: 20, viewers: 0 }] } as CommandResult<O>;
    return out;
  }
}

/** An in-memory host for the Streaming logic: saves kept per mountpoint, relay commands recorded, calls to viewers recorded. */
export class StreamingHarness implements StreamingHost {
  readonly stored = new Map<MountpointId, MountpointState>();
  readonly told: Array<{ to: HandleAddress; call: StreamingCall }> = [];
  /** What event handlers heard (type 64), with the handle each names. */
  readonly handlerEvents: Array<{ data: unknown; from?: HandleAddress }> = [];
  readonly relays = new StreamingFakeRelays();
  readonly log = { warn: () => undefined };
  adminKey?: string;
  recordingsRoot?: string;
  /** Relay links watched now. */
  readonly watched = new Set<string>();
  private nextId = 100;
  readonly streaming: Streaming;

  constructor(stored: MountpointState[] = []) {
    this.streaming = new Streaming(this, stored);
  }

  pluginEvent(data: unknown, from?: HandleAddress): void {
    this.handlerEvents.push({ data, ...(from ? { from } : {}) });
  }

  save(id: MountpointId, state: MountpointState | undefined): void {
    if (state) this.stored.set(id, structuredClone(state));
    else this.stored.delete(id);
  }

  async notify(to: HandleAddress, call: StreamingCall): Promise<boolean> {
    this.told.push({ to, call });
    return true;
  }

  async pickRelay(): Promise<RelayRef | undefined> {
    return relayA;
  }

  watchLink(linkId: string): void {
    this.watched.add(linkId);
  }

  unwatchLink(linkId: string): void {
    this.watched.delete(linkId);
  }

  randomId(): number {
    return this.nextId++;
  }

  /** A sync request's answer, or the code it was refused with. */
  async code(request: Parameters<Streaming['sync']>[0], body: Record<string, unknown>): Promise<number | 'ok'> {
    try {
      await this.streaming.sync(request, body);
      return 'ok';
    } catch (err) {
      return (err as { code: number }).code;
    }
  }
}

export const av = [
  { type: 'audio', mid: 'a', port: 0, pt: 111, codec: 'opus' },
  { type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' },
];
