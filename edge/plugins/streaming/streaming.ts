import type { RelayRef } from '../../relays/relayClient.js';
import type { StreamingHost } from './host.js';
import { Mountpoints } from './mountpoints.js';
import { MountpointRecording } from './recording.js';
import * as S from './schemas.js';
import type { StaticMountpoints } from './staticMountpointConfig.js';
import { StaticMountpointKeeper, type TombstoneStore } from './staticMountpoints.js';
import type { HandleAddress, JanusData, MountpointState } from './state.js';
import { Viewers } from './viewers.js';

/** Configured mountpoints, and the tombstones of those destroyed (stored beside the mountpoints). */
export interface StreamingStatics {
  configured: StaticMountpoints;
  tombstones: Record<string, string>;
  store: TombstoneStore;
}

/** The Streaming plugin's shared state: the mountpoints and their viewers, over a host. */
export class Streaming {
  readonly mounts: Mountpoints;
  readonly viewers: Viewers;
  readonly recording: MountpointRecording;
  readonly statics: StaticMountpointKeeper;

  constructor(host: StreamingHost, stored: MountpointState[] = [], statics?: StreamingStatics) {
    this.mounts = new Mountpoints(host);
    for (const m of stored) this.mounts.all.set(m.id, m);
    this.mounts.watchLinks();
    this.viewers = new Viewers(this.mounts);
    this.recording = new MountpointRecording(this.mounts);
    this.statics = new StaticMountpointKeeper(
      this.mounts,
      statics?.configured ?? new Map(),
      statics?.tombstones ?? {},
      statics?.store ?? { save: () => undefined },
    );
  }

  /** A synchronous request, validated and answered in Janus's shape; `from`: the requester, named to event handlers. */
  sync(
    request: S.SyncRequest,
    body: Record<string, unknown>,
    placement?: RelayRef,
    from?: HandleAddress,
  ): Promise<JanusData> | JanusData {
    switch (request) {
      case 'list':
        return this.mounts.list();
      case 'info':
        return this.mounts.info(body);
      case 'create':
        return this.mounts.create(body, placement, from);
      case 'destroy':
        return this.mounts.destroy(body, from).then((r) => (this.statics.destroyed(body.id as S.MountpointId), r));
      case 'edit':
        return this.mounts.edit(body);
      case 'enable':
        return this.mounts.setEnabled(body, true);
      case 'disable':
        return this.recording.disable(body);
      case 'kick':
      case 'kick_all':
        return this.mounts.kick(body, request === 'kick_all', from);
      case 'recording':
        return this.recording.request(body);
    }
  }
}
