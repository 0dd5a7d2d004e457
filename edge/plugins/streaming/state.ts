import type { RelayRef } from '../../relays/relayClient.js';
import type { JsonObject } from '../videoroom/schemas.js';
import type { MountpointId } from './schemas.js';

/** A Janus message body, typed as JSON so that it crosses Durable Object RPC. */
export type JanusData = JsonObject;

/** A viewer's handle, as the mountpoints address it. */
export interface HandleAddress {
  sessionId: number;
  handleId: number;
}

export const sameHandle = (a: HandleAddress, b: HandleAddress) =>
  a.sessionId === b.sessionId && a.handleId === b.handleId;

/** One stream of a mountpoint, as created (ports as the relay opened them). */
export interface MountStream {
  mindex: number;
  type: 'audio' | 'video' | 'data';
  mid: string;
  label: string;
  msid?: string;
  /** Audio and video only. */
  pt?: number;
  codec?: string;
  /** Data only: binary messages (else text), and whether the last one is kept for new viewers. */
  binary?: boolean;
  buffermsg?: boolean;
  fmtp?: string;
  port: number;
  rtcpport?: number;
  /** Simulcast video: the higher substreams' ports. */
  simulcast?: boolean;
  port2?: number;
  port3?: number;
  /** VP9 SVC video: viewers choose spatial/temporal layers. */
  svc?: boolean;
  bufferkf: boolean;
  /** Being recorded on the home relay: Janus's file name (`<base>.mjr`, as `info` shows it) and its path there. */
  recording?: { filename: string; path?: string };
}

/** A viewer of a mountpoint: its handle and the relay its PeerConnection is on. */
export interface Viewer extends HandleAddress {
  relay: RelayRef;
}

/** The mountpoint's media carried to another relay: forwarders on the home relay, a remote publisher there. */
export interface StreamCascade {
  to: RelayRef;
  forwarderIds: number[];
}

/** One RTP mountpoint, persisted by the Streaming object. */
export interface MountpointState {
  id: MountpointId;
  name: string;
  description: string;
  metadata?: string;
  is_private: boolean;
  secret?: string;
  pin?: string;
  enabled: boolean;
  streams: MountStream[];
  /** Its RTP arrives SRTP-protected (the key stays on its relay; `info` says only that). */
  srtp?: boolean;
  /** The relay receiving its RTP, and the address senders send to. */
  home: RelayRef;
  host: string;
  /** Its key on relays (`${sessionId}:${handleId}`), the feed key viewers subscribe to. */
  key: HandleAddress;
  viewers: Viewer[];
  cascades: StreamCascade[];
  /** An `rtsp` mountpoint: the relay is the RTSP client of this URL. */
  rtsp?: { url: string };
}

export const feedKeyOf = (m: MountpointState) => `${m.key.sessionId}:${m.key.handleId}`;

/** Every relay connection the mountpoints use: their homes, their cascades' far ends, their viewers'. */
export function linksInUse(mounts: Iterable<MountpointState>): Set<string> {
  const links = new Set<string>();
  for (const m of mounts) {
    links.add(m.home.linkId);
    for (const c of m.cascades) links.add(c.to.linkId);
    for (const v of m.viewers) links.add(v.relay.linkId);
  }
  return links;
}
