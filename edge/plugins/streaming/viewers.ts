import type { RelayRef } from '../../relays/relayClient.js';
import { noSuchMountpoint, stError, StreamingError } from './errors.js';
import type { Mountpoints } from './mountpoints.js';
import type { MountpointId } from './schemas.js';
import { feedKeyOf, sameHandle, type HandleAddress, type MountpointState, type MountStream } from './state.js';

/** What a viewer's handle subscribes to: the mountpoint's feed key on its relay and its streams. */
export interface WatchPlan {
  id: MountpointId;
  feedKey: string;
  streams: Array<Pick<MountStream, 'mid' | 'type' | 'mindex' | 'svc'>>;
}

const planOf = (m: MountpointState): WatchPlan => ({
  id: m.id,
  feedKey: feedKeyOf(m),
  streams: m.streams.map((s) => ({ mid: s.mid, type: s.type, mindex: s.mindex, ...(s.svc ? { svc: true } : {}) })),
});

/**
 * Who watches which mountpoint, and on which relay: a viewer is recorded before its media is
 * carried there, so that a cascade being opened is known to be wanted, and removed on every end
 * (stop, hangup, detach, kick, destroy), after which cascades nobody needs are closed.
 */
export class Viewers {
  constructor(private readonly mounts: Mountpoints) {}

  private watching(who: HandleAddress): MountpointState | undefined {
    for (const m of this.mounts.all.values()) if (m.viewers.some((v) => sameHandle(v, who))) return m;
    return undefined;
  }

  private open(id: MountpointId): MountpointState {
    const m = this.mounts.get(id);
    if (!m.enabled) throw stError(StreamingError.NO_SUCH_MOUNTPOINT, `Mountpoint ${id} is disabled`);
    return m;
  }

  /** `watch`: the pin (453/457), not watching already (460); the media reaches the viewer's relay. */
  async watch(who: HandleAddress, id: MountpointId, pin: string | undefined, relay: RelayRef): Promise<WatchPlan> {
    const m = this.open(id);
    if (m.pin !== undefined) {
      if (pin === undefined) throw stError(StreamingError.MISSING_ELEMENT, 'Missing mandatory element (pin)');
      if (pin !== m.pin) throw stError(StreamingError.UNAUTHORIZED, 'Unauthorized (wrong pin)');
    }
    const current = this.watching(who);
    if (current) throw stError(StreamingError.INVALID_STATE, `Already watching mountpoint ${current.id}`);
    await this.join(m, who, relay);
    return planOf(m);
  }

  private async join(m: MountpointState, who: HandleAddress, relay: RelayRef): Promise<void> {
    m.viewers.push({ sessionId: who.sessionId, handleId: who.handleId, relay });
    this.mounts.save(m);
    try {
      await this.mounts.cascades.ensure(m, relay);
    } catch (err) {
      this.remove(m, who);
      throw err;
    }
    if (!this.mounts.all.has(m.id)) throw noSuchMountpoint(m.id);
  }

  /** `switch`: the viewer moves to another mountpoint on the same relay, its media follows. */
  async switchTo(who: HandleAddress, id: MountpointId): Promise<WatchPlan> {
    const from = this.watching(who);
    if (!from) throw stError(StreamingError.NO_SUCH_MOUNTPOINT, "Can't switch: not on a mountpoint");
    const to = this.open(id);
    if (to === from) return planOf(to);
    const relay = from.viewers.find((v) => sameHandle(v, who))!.relay;
    await this.join(to, who, relay);
    this.remove(from, who);
    return planOf(to);
  }

  /** The viewer stopped, hung up or went: it watches nothing now. */
  leave(who: HandleAddress): void {
    const m = this.watching(who);
    if (m) this.remove(m, who);
  }

  /**
   * A relay connection was lost: its viewers are gone (their PeerConnections with it) and so are the
   * cascades to it; a mountpoint whose RTP arrived there is gone too (its ports with the relay), and
   * its viewers elsewhere are stopped.
   */
  async relayLost(linkId: string): Promise<void> {
    for (const m of [...this.mounts.all.values()]) {
      if (m.home.linkId === linkId) {
        await this.mounts.remove(m);
        continue;
      }
      m.viewers = m.viewers.filter((v) => v.relay.linkId !== linkId);
      m.cascades = m.cascades.filter((c) => c.to.linkId !== linkId);
      this.mounts.cascades.prune(m);
      this.mounts.save(m);
    }
  }

  private remove(m: MountpointState, who: HandleAddress): void {
    m.viewers = m.viewers.filter((v) => !sameHandle(v, who));
    this.mounts.cascades.prune(m);
    this.mounts.save(m);
  }
}
