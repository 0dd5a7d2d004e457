import type { SfuPublisherStream } from '../../../shared/control/sfu.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { remoteForwardStreams, remoteStreamsOf } from '../videoroom/remoteWire.js';
import type { StreamingHost } from './host.js';
import type { MountpointState, StreamCascade } from './state.js';

/**
 * The streams a cascade carries: every one, each data stream on its own forwarder and SSRC, so the far
 * relay keeps each one's last message (`buffermsg`) as the home relay does; there, as at home, every
 * data stream's messages reach the viewers of the first one.
 */
const streamsOf = (m: MountpointState): SfuPublisherStream[] =>
  m.streams.map((s) => ({
    type: s.type,
    mindex: s.mindex,
    mid: s.mid,
    ...(s.codec !== undefined ? { codec: s.codec } : {}),
    ...(s.simulcast ? { simulcast: true } : {}),
  }));

/**
 * A mountpoint's media carried to the relays of viewers in other regions, with the VideoRoom's
 * cascade wire (relay/cascade): a remote publisher on the far relay under the mountpoint's own key
 * (so viewers there subscribe exactly as viewers at home), fed by forwarders on the home relay that
 * answer NACKs. One cascade per far relay, shared by every viewer there; {@link prune} closes those
 * no viewer needs, derived from the viewers, never counted.
 */
export class StreamCascades {
  private readonly opening = new Map<string, Promise<void>>();

  constructor(
    private readonly host: StreamingHost,
    /** Whether the mountpoint still exists (it may be destroyed while relays work). */
    private readonly live: (m: MountpointState) => boolean,
  ) {}

  /** Makes the mountpoint's media available on `to` (a no-op at home or where a cascade exists). */
  ensure(m: MountpointState, to: RelayRef): Promise<void> {
    if (to.linkId === m.home.linkId || m.cascades.some((c) => c.to.linkId === to.linkId)) return Promise.resolve();
    const key = `${m.id}@${to.linkId}`;
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.open(m, to).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  private async open(m: MountpointState, to: RelayRef): Promise<void> {
    const relays = this.host.relays;
    const streams = streamsOf(m);
    const buffered = new Set(m.streams.filter((s) => s.bufferkf).map((s) => s.mid));
    const svc = new Set(m.streams.filter((s) => s.svc).map((s) => s.mid));
    const keptData = new Set(m.streams.filter((s) => s.buffermsg).map((s) => s.mid));
    const fmtps = new Map(m.streams.flatMap((s) => (s.fmtp ? [[s.mid, s.fmtp] as const] : [])));
    const added = await relays.command(to, {
      op: 'sfu.remoteAdd',
      ...m.key,
      streams: remoteStreamsOf(streams).map((s) => ({
        ...s,
        ...(buffered.has(s.mid) ? { bufferKeyframe: true } : {}),
        ...(svc.has(s.mid) ? { svc: true } : {}),
        ...(keptData.has(s.mid) ? { bufferMessage: true } : {}),
        ...(fmtps.has(s.mid) ? { fmtp: fmtps.get(s.mid)! } : {}),
      })),
    });
    const c: StreamCascade = { to, forwarderIds: [] };
    try {
      const target = { host: added.ip, port: added.port, rtcpPort: added.rtcp_port };
      const out = await relays.command(m.home, {
        op: 'sfu.forward',
        ...m.key,
        streams: remoteForwardStreams(streams, target, streams, true),
      });
      c.forwarderIds = out.forwarders.map((f) => f.id);
    } catch (err) {
      void this.close(m, c);
      throw err;
    }
    if (!this.live(m)) {
      void this.close(m, c);
      return;
    }
    m.cascades.push(c);
    // its viewer may have left meanwhile
    this.prune(m);
  }

  /** Stops the forwarders and removes the far remote publisher; a relay that is gone is not waited for. */
  close(m: MountpointState, c: StreamCascade): Promise<unknown> {
    const relays = this.host.relays;
    return Promise.all([
      ...c.forwarderIds.map((id) =>
        relays.command(m.home, { op: 'sfu.stopForward', ...m.key, id }).catch(() => undefined),
      ),
      relays.command(c.to, { op: 'sfu.remoteRemove', ...m.key }).catch(() => undefined),
    ]);
  }

  /** Closes the cascades of relays where no viewer of the mountpoint is left. */
  prune(m: MountpointState): void {
    const needed = new Set(m.viewers.map((v) => v.relay.linkId));
    const drop = m.cascades.filter((c) => !needed.has(c.to.linkId));
    if (drop.length === 0) return;
    m.cascades = m.cascades.filter((c) => needed.has(c.to.linkId));
    for (const c of drop) void this.close(m, c);
  }
}
