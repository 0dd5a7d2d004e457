import type { RelayRef } from '../../relays/relayClient.js';
import type { RpcResult } from '../../rpc.js';
import type { MountpointId, SyncRequest } from './schemas.js';
import type { HandleAddress, JanusData } from './state.js';
import type { WatchedMountpoint } from './viewerInfo.js';
import type { WatchPlan } from './viewers.js';

/**
 * What the Streaming object answers over RPC (`StreamingDO` implements it): the plugin in the
 * session shards calls these. Declared apart from the Durable Object so that `Env` and the stubs
 * type the namespace without importing the class.
 */
export interface StreamingApi extends Rpc.DurableObjectBranded {
  /** `placement`: where a `create` puts the mountpoint's ingest (the creator's region). */
  /** `from`: the requesting handle, which event handlers hear of (none for admin `message_plugin`). */
  sync(
    request: SyncRequest,
    body: Record<string, unknown>,
    placement?: RelayRef,
    from?: HandleAddress,
  ): Promise<RpcResult<JanusData>>;
  watch(who: HandleAddress, id: MountpointId, pin: string | undefined, relay: RelayRef): Promise<RpcResult<WatchPlan>>;
  switchTo(who: HandleAddress, id: MountpointId): Promise<RpcResult<WatchPlan>>;
  leave(who: HandleAddress): Promise<void>;
  /** What admin `handle_info` shows of a viewer's mountpoint (undefined: gone). */
  watched(id: MountpointId): Promise<RpcResult<WatchedMountpoint | undefined>>;
  relayLost(linkId: string): Promise<void>;
}
