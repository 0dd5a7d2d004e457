import { viewerPeerInfoSchema, type ViewerLegInfo } from '../../../shared/control/streaming.js';
import type { HandleContext } from '../plugin.js';
import { viewerState } from './handleState.js';
import type { MountpointState } from './state.js';

/** What admin `handle_info` needs of the mountpoint a viewer watches (the Streaming object answers it). */
export interface WatchedMountpoint {
  name: string;
  viewers: number;
  /** Its streams by mid: which are simulcast or VP9 SVC. */
  streams: Array<{ mid: string; simulcast?: boolean; svc?: boolean }>;
}

export const watchedMountpoint = (m: MountpointState): WatchedMountpoint => ({
  name: m.name,
  viewers: m.viewers.length,
  streams: m.streams.map((s) => ({
    mid: s.mid,
    ...(s.simulcast ? { simulcast: true } : {}),
    ...(s.svc ? { svc: true } : {}),
  })),
});

/** Janus's `simulcast` object of a viewer m-line (janus_streaming_query_session). */
const simulcastOf = (l: ViewerLegInfo) => ({
  substream: l.layer,
  'substream-target': l.substream,
  'temporal-layer': l.temporalLayer,
  'temporal-layer-target': l.temporal,
  // Janus shows its drop trigger (µs) only once `configure` set one
  ...(l.fallbackMs !== DEFAULT_FALLBACK_MS ? { fallback: l.fallbackMs * 1000 } : {}),
});

/** Janus's `svc` object of a viewer m-line. */
const svcOf = (l: ViewerLegInfo) => ({
  'spatial-layer': l.layer,
  'target-spatial-layer': l.substream,
  'temporal-layer': l.temporalLayer,
  'target-temporal-layer': l.temporal,
});

/** The relay's fallback when `configure` set none (relay/sfu/rewrite.ts DEFAULT_FALLBACK_MS). */
const DEFAULT_FALLBACK_MS = 250;

/** The viewer's legs as its relay reports them (none while it has no PeerConnection, or the relay cannot tell). */
async function legsOf(ctx: HandleContext): Promise<ViewerLegInfo[]> {
  if (!ctx.media.hasPeer) return [];
  try {
    const parsed = viewerPeerInfoSchema.safeParse(await ctx.media.command('peer.info', {}));
    return parsed.success ? parsed.data.sfu.legs : [];
  } catch {
    return [];
  }
}

/**
 * Admin `handle_info`'s `plugin_specific` of a Streaming handle, as Janus 1.1.2's query_session: what
 * it watches, each m-line with the simulcast substream / temporal layer or the VP9 SVC spatial /
 * temporal layer forwarded and wanted, read from the relay; the state flags; and `relay`, ours.
 * `dataready` is left out: the relay does not report a viewer's DataChannel state.
 */
export async function viewerInfo(
  ctx: HandleContext,
  mountpoint: (id: number) => Promise<WatchedMountpoint | undefined>,
): Promise<Record<string, unknown>> {
  const st = viewerState(ctx);
  const flags = { hangingup: 0, started: st?.started ? 1 : 0, paused: st?.paused ? 1 : 0, stopping: 0, destroyed: 0 };
  if (!st) return { state: 'idle', ...flags };
  const [mp, legs] = await Promise.all([mountpoint(st.id).catch(() => undefined), legsOf(ctx)]);
  const media = st.mlines.map((l, mindex) => {
    const leg = legs.find((x) => x.mid === l.mid);
    const stream = leg ? mp?.streams.find((s) => s.mid === leg.feedMid) : undefined;
    return {
      type: l.type,
      mindex,
      mid: l.mid,
      ...(leg && stream?.simulcast ? { simulcast: simulcastOf(leg) } : {}),
      ...(leg && (stream?.svc || l.svc) ? { svc: svcOf(leg) } : {}),
    };
  });
  return {
    state: 'watching',
    mountpoint_id: st.id,
    ...(mp ? { mountpoint_name: mp.name, mountpoint_viewers: mp.viewers } : {}),
    media,
    ...flags,
    relay: ctx.media.relay?.relayId ?? null,
  };
}
