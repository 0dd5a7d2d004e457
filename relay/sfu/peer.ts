import type { PeerInfoResult } from '../../shared/control/commands.js';
import { VIDEOROOM_PLUGIN, type FeedIdValue } from '../../shared/control/sfu.js';
import type { PortPool } from '../net/ports.js';
import { PeerBase, type PeerDeps } from '../peer/base.js';
import { sfuMedia } from './wire.js';

/** What a VideoRoom peer needs beyond any peer's dependencies. */
export interface SfuContext {
  /** The room (`options.room`): SFU events name it so the edge routes them to the room. */
  room: FeedIdValue | undefined;
  /** The media port range RTP forwarders bind in. */
  mediaPorts: PortPool;
}

/** What SFU publishers and subscribers share beyond {@link PeerBase}: the room, the SFU's codecs, `peer.info`'s `sfu` part. */
export abstract class SfuPeerBase extends PeerBase {
  readonly plugin = VIDEOROOM_PLUGIN;
  abstract readonly role: 'publisher' | 'subscriber';

  constructor(
    deps: PeerDeps,
    protected readonly sfu: SfuContext,
    media: { audioLevel?: boolean } = {},
  ) {
    super(deps, sfuMedia(media.audioLevel === true));
  }

  protected abstract sfuInfo(): Record<string, unknown>;

  override info(): PeerInfoResult & { sfu: Record<string, unknown> } {
    return { ...super.info(), sfu: { role: this.role, ...this.sfuInfo() } };
  }
}
