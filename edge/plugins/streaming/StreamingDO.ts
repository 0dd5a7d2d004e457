import { DurableObject } from 'cloudflare:workers';
import { EventType } from '../../../shared/janus/events.js';
import { loadConfig } from '../../config.js';
import { deliveryFromShared } from '../../events/eventMask.js';
import { EventSink } from '../../events/eventSink.js';
import { RoomEventDelivery } from '../audiobridge/eventDelivery.js';
import { randomSafeInt } from '../../core/ids.js';
import type { Env } from '../../env.js';
import { Logger } from '../../log.js';
import { LinkRelayClient, type RelayRef } from '../../relays/relayClient.js';
import { rpcRun, type RpcResult } from '../../rpc.js';
import { Stubs } from '../../stubs.js';
import { StreamingError } from './errors.js';
import { STREAMING_OBJECT } from './linkWatch.js';
import type { StreamingHost } from './host.js';
import type { MountpointId, SyncRequest } from './schemas.js';
import type { HandleAddress, JanusData, MountpointState } from './state.js';
import { Streaming } from './streaming.js';
import type { StreamingApi } from './streamingApi.js';
import { watchedMountpoint, type WatchedMountpoint } from './viewerInfo.js';
import type { WatchPlan } from './viewers.js';

/** Storage key of the destroyed configured mountpoints' tombstones. */
const TOMBSTONES = 'static-tombstones';

/** A call to a relay link nobody waits for: a link that is gone (or an id that names none) changes nothing. */
function tellLink(call: () => Promise<void>): void {
  try {
    void call().catch(() => undefined);
  } catch {
    // not a link id of this namespace: nothing to watch
  }
}

/**
 * The Streaming plugin's mountpoints as a Durable Object: a thin shell that gives the logic
 * ({@link Streaming}) its storage (one key per mountpoint, `mp:<id>`, so they survive eviction),
 * relays and the way to viewers' handles, and answers RPC with {@link RpcResult}s.
 */
export class StreamingDO extends DurableObject<Env> implements StreamingApi {
  private streaming!: Streaming;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = loadConfig(env);
    const stubs = new Stubs(env, config.shardCount);
    const log = new Logger(config.logLevel, 'streaming');
    // Event handlers hear the mountpoints' events under the mask and grouping in force, read from the core.
    const delivery = new RoomEventDelivery(
      {
        read: async () => deliveryFromShared(await stubs.core().getSettings(), config.eventDelivery),
        now: () => Date.now(),
      },
      config.eventDelivery,
    );
    const events = new EventSink(config.eventsUrl, config.serverName, log, () => delivery.current());
    const host: StreamingHost = {
      pluginEvent: (data, from) => {
        if (events.enabled)
          delivery.whenFresh(() =>
            events.emit(EventType.PLUGIN, { plugin: 'janus.plugin.streaming', data }, from ?? {}),
          );
      },
      save: (id, state) => {
        if (state) void ctx.storage.put(`mp:${id}`, state, { allowUnconfirmed: true });
        else void ctx.storage.delete(`mp:${id}`, { allowUnconfirmed: true });
      },
      notify: (to, call) => stubs.shardOfSession(to.sessionId).pluginCall(to.sessionId, to.handleId, call),
      relays: new LinkRelayClient(stubs),
      pickRelay: async () => {
        const entry = await stubs.core().pickRelay();
        return entry ? { relayId: entry.relayId, linkId: entry.linkId, region: entry.region } : undefined;
      },
      randomId: randomSafeInt,
      ...(config.videoroom.recordingsRoot !== undefined ? { recordingsRoot: config.videoroom.recordingsRoot } : {}),
      ...(config.streamingAdminKey !== undefined ? { adminKey: config.streamingAdminKey } : {}),
      watchLink: (linkId) => tellLink(() => stubs.relayLink(linkId).watch(STREAMING_OBJECT)),
      unwatchLink: (linkId) => tellLink(() => stubs.relayLink(linkId).unwatch(STREAMING_OBJECT)),
      log,
    };
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.list<MountpointState>({ prefix: 'mp:' });
      const tombstones = (await ctx.storage.get<Record<string, string>>(TOMBSTONES)) ?? {};
      if (stored.size > 0) log.info('streaming restored', { mountpoints: stored.size });
      this.streaming = new Streaming(host, [...stored.values()], {
        configured: config.streamingMountpoints,
        tombstones,
        store: { save: (t) => void ctx.storage.put(TOMBSTONES, t, { allowUnconfirmed: true }) },
      });
    });
  }

  /** Configured mountpoints exist before a request looks (a slow RTSP server delays it by at most 3 s). */
  private async withStatics(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | null = null;
    await Promise.race([
      this.streaming.statics.ensure(),
      new Promise<void>((r) => {
        timer = setTimeout(r, 3000);
      }),
    ]);
    if (timer !== null) clearTimeout(timer);
  }

  async sync(
    request: SyncRequest,
    body: Record<string, unknown>,
    placement?: RelayRef,
    from?: HandleAddress,
  ): Promise<RpcResult<JanusData>> {
    await this.withStatics();
    return rpcRun(() => this.streaming.sync(request, body, placement, from), StreamingError.UNKNOWN_ERROR);
  }

  async watch(
    who: HandleAddress,
    id: MountpointId,
    pin: string | undefined,
    relay: RelayRef,
  ): Promise<RpcResult<WatchPlan>> {
    await this.withStatics();
    return rpcRun(() => this.streaming.viewers.watch(who, id, pin, relay), StreamingError.UNKNOWN_ERROR);
  }

  async switchTo(who: HandleAddress, id: MountpointId): Promise<RpcResult<WatchPlan>> {
    await this.withStatics();
    return rpcRun(() => this.streaming.viewers.switchTo(who, id), StreamingError.UNKNOWN_ERROR);
  }

  async leave(who: HandleAddress): Promise<void> {
    this.streaming.viewers.leave(who);
  }

  async watched(id: MountpointId): Promise<RpcResult<WatchedMountpoint | undefined>> {
    return rpcRun(() => {
      const m = this.streaming.mounts.all.get(id);
      return m ? watchedMountpoint(m) : undefined;
    }, StreamingError.UNKNOWN_ERROR);
  }

  async relayLost(linkId: string): Promise<void> {
    await this.streaming.viewers.relayLost(linkId);
  }
}
