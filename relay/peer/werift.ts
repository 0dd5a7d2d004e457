import type { Socket } from 'node:dgram';
import {
  DtlsClient,
  RtcpPayloadSpecificFeedback,
  ReceiverEstimatedMaxBitrate,
  RtpHeader,
  RtpPacket,
  type RTCDtlsTransport,
  type RTCPeerConnection,
  type RTCRtpReceiver,
  type RTCRtpSender,
} from 'werift';
import { UdpPath } from '../net/directUdp.js';

/**
 * Everything that touches werift beyond its public W3C-ish surface lives here, so a werift upgrade
 * has one file to check.
 */

/**
 * werift's ICE `Connection` falls back to stun.l.google.com whenever no STUN server is configured
 * (`iceServers: []` included), so every gathering would resolve and query Google. Call this before
 * every `setLocalDescription` (transports are created lazily) to gather host candidates only.
 */
export function disableDefaultStun(pc: RTCPeerConnection): void {
  for (const t of pc.iceTransports) {
    const conn = t.connection as unknown as { stunServer?: unknown };
    conn.stunServer = undefined;
  }
}

/** A private copy of a packet for one output (werift's sendRtp rewrites the header and caches it). */
export function copyPacket(rtp: RtpPacket, dropExtensionIds?: ReadonlySet<number>): RtpPacket {
  const h = rtp.header;
  const extensions = dropExtensionIds ? h.extensions.filter((e) => !dropExtensionIds.has(e.id)) : h.extensions.slice();
  return new RtpPacket(new RtpHeader({ ...h, extensions, csrc: h.csrc.slice() }), rtp.payload);
}

const RID_URIS = new Set([
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
]);

/** Negotiated ids of the rid / repaired-rid header extensions (stripped from echoed simulcast). */
export function ridExtensionIds(pc: RTCPeerConnection): Set<number> {
  const ids = new Set<number>();
  for (const [id, uri] of Object.entries(pc.extIdUriMap)) if (RID_URIS.has(uri)) ids.add(Number(id));
  return ids;
}

/**
 * Re-bases the sender's sequence numbers and timestamps so the next packet (from a different source,
 * e.g. another simulcast layer) continues the outgoing stream without a jump.
 */
export function rebaseSender(sender: RTCRtpSender, next: RtpPacket): void {
  sender.replaceRTP({
    sequenceNumber: (next.header.sequenceNumber + 0xffff) & 0xffff,
    timestamp: (next.header.timestamp - 1) >>> 0,
  });
}

/**
 * Accounts for one incoming packet that is deliberately not sent (a filtered VP8 temporal layer), so
 * the packets after it keep consecutive sequence numbers and the receiver sees no loss to NACK.
 */
export function skipSequenceNumber(sender: RTCRtpSender): void {
  const s = sender as unknown as { seqOffset: number };
  s.seqOffset = (s.seqOffset + 0xffff) & 0xffff;
}

export async function sendRemb(receiver: RTCRtpReceiver, bitrate: number, ssrcs: number[]): Promise<void> {
  if (ssrcs.length === 0 || receiver.stopped) return;
  let mantissa = Math.max(0, Math.floor(bitrate));
  let exp = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  const packet = new RtcpPayloadSpecificFeedback({
    feedback: new ReceiverEstimatedMaxBitrate({
      senderSsrc: receiver.rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: ssrcs.length,
      brExp: exp,
      brMantissa: mantissa,
      ssrcFeedbacks: ssrcs,
    }),
  });
  await receiver.dtlsTransport.sendRtcp([packet]);
}

/**
 * Sends a DTLS close_notify alert on a connected transport, as browsers and Janus do when they close a
 * PeerConnection (werift has no API for it). The alert goes through werift's own record layer: its
 * application-data path with the content type switched to alert(21) before encryption.
 */
export async function sendCloseNotify(dtls: RTCDtlsTransport): Promise<void> {
  const socket = (
    dtls as unknown as {
      dtls?: { cipher?: { encryptPacket(pkt: unknown): unknown }; send(buf: Buffer): Promise<void> };
    }
  ).dtls;
  const cipher = socket?.cipher;
  if (!socket || !cipher || dtls.state !== 'connected') return;
  const encrypt = cipher.encryptPacket;
  cipher.encryptPacket = function (pkt: unknown) {
    (pkt as { recordLayerHeader: { contentType: number } }).recordLayerHeader.contentType = 21;
    return encrypt.call(this, pkt);
  };
  try {
    await socket.send(Buffer.from([1, 0])); // level warning(1), close_notify(0)
  } catch {
    // best effort
  } finally {
    cipher.encryptPacket = encrypt;
  }
}

interface DtlsSocketInternals {
  dtls: { flight: number };
  onHandleHandshakes: (assembled: Array<{ msg_type: number }>) => Promise<void>;
}
const hardenedTransports = new WeakSet<object>();

/**
 * Works around werift's DTLS client failing the handshake ("onHandleHandshakes error" in Flight3)
 * when a HelloVerifyRequest arrives twice — which happens whenever its ClientHello was retransmitted
 * under load (the server answers both). Duplicate HelloVerifyRequests are dropped. Call after every
 * negotiation; it hooks each DTLS transport once and patches the socket werift creates on start.
 */
export function hardenDtls(pc: RTCPeerConnection): void {
  for (const transport of pc.dtlsTransports) {
    if (hardenedTransports.has(transport)) continue;
    hardenedTransports.add(transport);
    transport.onStateChange.subscribe((state) => {
      if (state !== 'connecting') return;
      // werift assigns transport.dtls right after announcing "connecting", before it sends anything.
      queueMicrotask(() => {
        const socket = (transport as unknown as { dtls?: DtlsSocketInternals }).dtls;
        if (!socket || !(socket instanceof DtlsClient)) return;
        const handle = socket.onHandleHandshakes;
        socket.onHandleHandshakes = (assembled) => {
          const rest = socket.dtls.flight >= 3 ? assembled.filter((h) => h.msg_type !== 3) : assembled;
          return rest.length ? handle(rest) : Promise.resolve();
        };
      });
    });
  }
}

/**
 * Makes the relay the DTLS server when the offerer leaves the choice to it (`a=setup:actpass`):
 * werift's DTLS server copes with retransmitted flights better than its client.
 */
export function preferDtlsServer(answerSdp: string, offerSdp: string): string {
  if (!/^a=setup:actpass/m.test(offerSdp)) return answerSdp;
  return answerSdp.replace(/^a=setup:active/gm, 'a=setup:passive');
}

export interface Endpoint {
  address: string;
  port: number;
  type: string;
  transport: string;
  family: string;
}

interface IceCandidateLike {
  host: string;
  port: number;
  type: string;
  transport: string;
}

function endpoint(c: IceCandidateLike): Endpoint {
  return {
    address: c.host,
    port: c.port,
    type: c.type,
    transport: c.transport.toLowerCase(),
    family: c.host.includes(':') ? 'ipv6' : 'ipv4',
  };
}

export function selectedPair(pc: RTCPeerConnection): { local: Endpoint; remote: Endpoint } | null {
  const conn = pc.iceTransports[0]?.connection as unknown as
    { nominated?: { localCandidate: IceCandidateLike; remoteCandidate: IceCandidateLike } } | undefined;
  const pair = conn?.nominated;
  if (!pair) return null;
  try {
    return { local: endpoint(pair.localCandidate), remote: endpoint(pair.remoteCandidate) };
  } catch {
    return null;
  }
}

/** Local candidate ports the PeerConnection's ICE transports use (for port accounting checks). */
export function localCandidatePorts(pc: RTCPeerConnection): number[] {
  const ports: number[] = [];
  for (const t of pc.iceTransports) {
    const conn = t.connection as unknown as { localCandidates?: IceCandidateLike[] };
    for (const c of conn.localCandidates ?? []) ports.push(c.port);
  }
  return ports;
}

interface StreamStatisticsLike {
  packets_lost: number;
  jitter: number;
  clockRate: number;
}

/** Loss and jitter (ms) of what the client sends on this receiver. */
export function receiverQuality(receiver: RTCRtpReceiver): { lost: number; jitterMs: number } {
  const streams = (receiver as unknown as { remoteStreams?: Record<number, StreamStatisticsLike> }).remoteStreams ?? {};
  let lost = 0;
  let jitterMs = 0;
  for (const s of Object.values(streams)) {
    lost += s.packets_lost;
    jitterMs = Math.max(jitterMs, (s.jitter / s.clockRate) * 1000);
  }
  return { lost, jitterMs: Math.round(jitterMs * 100) / 100 };
}

/** RTT (ms) and loss the client reports for what we send on this sender. */
export function senderQuality(sender: RTCRtpSender): { rttMs: number; lostByRemote: number; remb: number } {
  const s = sender as unknown as { rtt?: number; remotePacketsLost?: number; receiverEstimatedMaxBitrate?: bigint };
  return {
    rttMs: s.rtt !== undefined ? Math.round(s.rtt * 1000) : 0,
    lostByRemote: s.remotePacketsLost ?? 0,
    remb: Number(s.receiverEstimatedMaxBitrate ?? 0n),
  };
}

interface IceConnectionInternals {
  checkList?: Array<{ requestsReceived?: number }>;
  earlyChecks?: unknown[];
}

/** Whether the client's ICE agent has sent us at least one connectivity check (a STUN binding request). */
export function iceChecksReceived(pc: RTCPeerConnection): boolean {
  for (const t of pc.iceTransports) {
    const conn = t.connection as unknown as IceConnectionInternals;
    if ((conn.earlyChecks?.length ?? 0) > 0) return true;
    if (conn.checkList?.some((pair) => (pair.requestsReceived ?? 0) > 0)) return true;
  }
  return false;
}

interface IceTransportInternals {
  /** Set while `start()` runs its connectivity checks. */
  waitStart?: unknown;
}

/**
 * werift runs ICE checks at a PeerConnection's first connect only: after an ICE restart with DTLS still
 * up its `connect()` returns early, so a relay that offered the restart (the controlling agent) would
 * check and nominate only by chance. Starts a restarted transport's checks (no pair nominated, none
 * running) once it has something to check: a remote candidate, or a check from the client (its
 * peer-reflexive address); an agent with neither would fail at once. Called after the client's answer
 * and on the peer's tick.
 */
export function startRestartedIceChecks(pc: RTCPeerConnection): void {
  for (const dtls of pc.dtlsTransports) {
    const ice = dtls.iceTransport;
    const conn = ice.connection;
    if (dtls.state !== 'connected' || !conn.iceControlling || !conn.remoteUsername || conn.nominated) continue;
    if (ice.state === 'failed' || ice.state === 'closed' || (ice as unknown as IceTransportInternals).waitStart)
      continue;
    const early = (conn as unknown as IceConnectionInternals).earlyChecks?.length ?? 0;
    if (conn.remoteCandidates.length > 0 || early > 0) ice.start().catch(() => undefined);
  }
}

interface SrtpSessionInternals {
  config?: { keys: { localMasterKey: Buffer; localMasterSalt: Buffer }; profile: number };
}

/** werift's current SRTP session of a transport (replaced when DTLS re-keys); undefined before DTLS completed. */
export function srtpSession(dtls: RTCDtlsTransport): object | undefined {
  return (dtls as unknown as { srtp?: object }).srtp;
}

/** The local SRTP master key, salt and protection profile werift exported into `session`. */
export function localSrtpKeys(session: object): { profile: number; key: Buffer; salt: Buffer } | undefined {
  const config = (session as SrtpSessionInternals).config;
  if (!config) return undefined;
  return { profile: config.profile, key: config.keys.localMasterKey, salt: config.keys.localMasterSalt };
}

/** The SRTP profile ids (RFC 5764) a DTLS transport offers or accepts, most preferred first. */
export function preferSrtpProfiles(dtls: RTCDtlsTransport, profiles: readonly number[]): void {
  // werift hands every transport one shared module array: give this one its own
  (dtls as unknown as { srtpProfiles: number[] }).srtpProfiles = [...profiles];
}

interface NominatedPairInternals {
  protocol: { type: string; transport?: { type: string; closed: boolean; socket: Socket } };
  remoteCandidate: { host: string; port: number };
  packetsSent: number;
  bytesSent: number;
}
interface IceSendInternals {
  nominated?: NominatedPairInternals;
  canSendApplicationData(): boolean;
  send(data: Buffer): Promise<void>;
}
interface DtlsCounters {
  bytesSent: number;
  packetsSent: number;
}

/** Where an output last sent: werift's nominated pair object and the direct path to its remote candidate. */
export interface SrtpRoute {
  pair: object | undefined;
  path: UdpPath | undefined;
}

/**
 * Sends an SRTP datagram (`data[0 .. length]`) where werift's `RTCDtlsTransport.sendRtp` would (the
 * nominated ICE pair, only with ICE consent), straight on the pair's UDP socket (relay/net/directUdp.ts:
 * sendto(2) on its descriptor, else dgram) rather than through werift's two async layers, and keeps
 * the same statistics. `reused`: `data` is overwritten after this returns, so any deferred send
 * copies it. TURN/TCP pairs go through werift's own send.
 */
export function sendSrtp(
  dtls: RTCDtlsTransport,
  data: Buffer,
  length: number,
  reused: boolean,
  route: SrtpRoute,
): void {
  const conn = dtls.iceTransport.connection as unknown as IceSendInternals;
  const pair = conn.nominated;
  if (!pair || !conn.canSendApplicationData()) return;
  const counters = dtls as unknown as DtlsCounters;
  counters.bytesSent += length;
  counters.packetsSent++;
  const t = pair.protocol.transport;
  if (pair.protocol.type !== 'stun' || t?.type !== 'udp') {
    conn.send(reused || length !== data.length ? Buffer.from(data.subarray(0, length)) : data).catch(() => undefined);
    return;
  }
  if (t.closed) return;
  let path = route.path;
  if (route.pair !== pair || path?.socket !== t.socket) {
    route.pair = pair;
    route.path = path = new UdpPath(t.socket, pair.remoteCandidate.host, pair.remoteCandidate.port);
  }
  path.send(data, length, reused);
  pair.packetsSent++;
  pair.bytesSent += length;
}

/** The remote (the client's) SRTP master key, salt and protection profile werift exported into `session`. */
export function remoteSrtpKeys(session: object): { profile: number; key: Buffer; salt: Buffer } | undefined {
  const config = (
    session as { config?: { keys: { remoteMasterKey: Buffer; remoteMasterSalt: Buffer }; profile: number } }
  ).config;
  if (!config) return undefined;
  return { profile: config.profile, key: config.keys.remoteMasterKey, salt: config.keys.remoteMasterSalt };
}

/** Unprotects a transport's inbound media: the clear packet, or undefined to drop the datagram. */
export interface InboundSrtp {
  rtp(datagram: Buffer): Buffer | undefined;
  rtcp(datagram: Buffer): Buffer | undefined;
}

interface DecryptingSession {
  decrypt: (datagram: Buffer) => Buffer;
}

/**
 * Takes inbound SRTP/SRTCP of a DTLS transport away from werift's SrtpSession/SrtcpSession (a
 * cipher and an HMAC object per packet, no replay window). Every media datagram the ICE connection
 * delivers (first byte 128-191, RTCP by werift's own test) goes first to the {@link InboundSrtp}
 * that `open` made for werift's current keys: a dropped datagram never reaches werift; a clear one
 * is delivered unchanged and werift's `decrypt`, replaced on each session, hands back the clear
 * packet, so werift parses, counts and routes it as before. When `open` declines a profile, or
 * before DTLS produced keys, werift decrypts as it always did.
 */
export function interceptInboundSrtp(
  dtls: RTCDtlsTransport,
  open: (keys: { profile: number; key: Buffer; salt: Buffer }) => InboundSrtp | undefined,
): void {
  const onData = (dtls.iceTransport.connection as unknown as { onData: { execute: (data: Buffer) => void } }).onData;
  const deliver = onData.execute;
  let session: object | undefined;
  let input: InboundSrtp | undefined;
  /** The clear packet of the datagram being delivered, for werift's `decrypt`. */
  let clear: Buffer | undefined;
  const takeOver = (s: DecryptingSession | undefined) => {
    if (!s) return;
    const own = s.decrypt;
    s.decrypt = (datagram) => {
      const c = clear;
      clear = undefined;
      return c ?? own(datagram);
    };
  };
  onData.execute = (data: Buffer) => {
    const current = srtpSession(dtls);
    const first = data[0] ?? 0;
    if (!current || first < 128 || first > 191) return deliver(data);
    if (current !== session) {
      session = current;
      const keys = remoteSrtpKeys(current);
      input = keys && open(keys);
      if (input) {
        takeOver(current as DecryptingSession);
        takeOver((dtls as unknown as { srtcp?: DecryptingSession }).srtcp);
      }
    }
    if (!input) return deliver(data);
    const out = data.length >= 2 && data[1]! >= 192 && data[1]! <= 208 ? input.rtcp(data) : input.rtp(data);
    if (!out) return;
    clear = out;
    try {
      deliver(data);
    } finally {
      clear = undefined;
    }
  };
}
