import type { ViewerLayerEvent } from '../../../shared/control/streaming.js';
import type { JanusData } from './state.js';

/** The layer fields of a viewer's `configure`. */
interface LayerRequest {
  substream?: number;
  temporal?: number;
  fallback?: number;
  spatial_layer?: number;
  temporal_layer?: number;
}

/**
 * What the relay's `sfu.configure` gets for one video m-line: the simulcast substream / VP8 temporal
 * layer (and fallback) for a plain stream, or, for a VP9 SVC stream, its spatial / temporal layer in
 * the same two fields (a leg follows one or the other). As Janus, the fields of the other kind are
 * ignored on a stream.
 */
export function layerTargets(
  r: LayerRequest,
  svc: boolean,
): { substream?: number; temporal?: number; fallback?: number } {
  if (svc)
    return {
      ...(r.spatial_layer !== undefined ? { substream: r.spatial_layer } : {}),
      ...(r.temporal_layer !== undefined ? { temporal: r.temporal_layer } : {}),
    };
  return {
    ...(r.substream !== undefined ? { substream: r.substream } : {}),
    ...(r.temporal !== undefined ? { temporal: r.temporal } : {}),
    ...(r.fallback !== undefined ? { fallback: r.fallback } : {}),
  };
}

/** The relay's layer event of an SVC m-line as Janus's Streaming events: `{mid, spatial_layer}`, `{mid, temporal_layer}`. */
export function svcLayerEvents(e: ViewerLayerEvent): JanusData[] {
  return [
    ...(e.substream !== undefined ? [{ mid: e.mid, spatial_layer: e.substream }] : []),
    ...(e.temporal !== undefined ? [{ mid: e.mid, temporal_layer: e.temporal }] : []),
  ];
}
