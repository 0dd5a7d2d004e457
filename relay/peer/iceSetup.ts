import type { Socket } from 'node:net';
import { Candidate, candidateFoundation, candidatePriority, TcpPassiveProtocol, type RTCPeerConnection } from 'werift';
import { advertisedHosts, type IceAddressing } from '../net/iceAddresses.js';
import type { IceTcpListener } from '../net/iceTcp.js';
import { disableDefaultStun } from './werift.js';

/**
 * The relay's ICE beyond werift's options (werift internals, like werift.ts): host candidates
 * advertised under the announced addresses, and a passive ICE-TCP candidate on the relay's one
 * shared listener. werift gathers on the bound addresses; each ICE connection is hooked once,
 * before its first gathering (transports are created lazily: call this before every
 * `setLocalDescription`).
 */
export interface IceSetup {
  /** Bound and announced addresses; absent: werift's host candidates as they are. */
  ice?: IceAddressing | undefined;
  /** The relay's ICE-TCP listener; absent: UDP only. */
  iceTcp?: IceTcpListener | undefined;
}

interface ConnectionInternals {
  state: string;
  checkList: unknown[];
  schedulingChecks(): boolean;
  localUsername: string;
  generation: number;
  protocols: Array<{ localCandidate?: Candidate }>;
  appendLocalCandidate(candidate: Candidate): void;
  getCandidatePromises(addresses: string[], timeout?: number): Array<Promise<unknown>>;
  ensureProtocol(protocol: unknown): void;
}

interface TcpProtocolInternals {
  localIp?: string;
  localCandidate?: Candidate;
  registerSocket(socket: Socket, remote: [string, number]): unknown;
  close(): Promise<void>;
}

const hooked = new WeakSet<object>();

export function prepareIce(pc: RTCPeerConnection, setup: IceSetup): void {
  disableDefaultStun(pc);
  const { ice, iceTcp } = setup;
  if (!ice && !iceTcp) return;
  for (const t of pc.iceTransports) {
    const conn = t.connection as unknown as ConnectionInternals;
    if (hooked.has(conn)) continue;
    hooked.add(conn);
    if (ice) advertiseAnnounced(conn, ice);
    if (iceTcp) advertiseTcpPassive(conn, iceTcp);
  }
}

/** Every host candidate goes out once per address it is advertised under (Janus's nat_1_1_mapping). */
function advertiseAnnounced(conn: ConnectionInternals, ice: IceAddressing): void {
  const append = conn.appendLocalCandidate.bind(conn);
  conn.appendLocalCandidate = (c: Candidate) => {
    if (c.type !== 'host') return append(c);
    for (const host of advertisedHosts(c.host, ice)) append(host === c.host ? c : withHost(c, host));
  };
}

function withHost(c: Candidate, host: string): Candidate {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(c) as object) as Candidate, c);
  copy.host = host;
  copy.foundation = candidateFoundation('host', c.transport, host);
  return copy;
}

/**
 * Adds, beside werift's UDP host candidates, a passive TCP candidate per bound address the
 * listener serves: a werift TCP protocol that never listens itself but takes the connections the
 * shared listener routes to this connection's ufrag.
 */
function advertiseTcpPassive(conn: ConnectionInternals, listener: IceTcpListener): void {
  const gather = conn.getCandidatePromises.bind(conn);
  conn.getCandidatePromises = (addresses, timeout) => {
    const promises = gather(addresses, timeout);
    // an ICE restart re-advertises the existing protocol (werift's gatherCandidates does that)
    if (conn.protocols.some((p) => p instanceof TcpPassiveProtocol)) return promises;
    for (const address of addresses) if (listener.serves(address)) promises.push(addPassive(conn, listener, address));
    return promises;
  };
  // A client with only TCP candidates gives us nothing to check: werift would fail ICE at once with an
  // empty check list. Keep waiting for its check to arrive on the listener instead (the ICE start
  // timeout, RELAY_ICE_START_TIMEOUT, still hangs up a peer that never gets one).
  const schedule = conn.schedulingChecks.bind(conn);
  conn.schedulingChecks = () => schedule() || (conn.checkList.length === 0 && conn.state !== 'closed');
}

function addPassive(conn: ConnectionInternals, listener: IceTcpListener, address: string): Promise<Candidate> {
  const protocol = new TcpPassiveProtocol() as unknown as TcpProtocolInternals;
  const priority = candidatePriority('host', { transport: 'tcp', tcptype: 'passive' });
  const candidate = new Candidate(
    candidateFoundation('host', 'tcp', address),
    1,
    'tcp',
    priority,
    address,
    listener.port,
    'host',
    undefined,
    undefined,
    'passive',
    conn.generation,
    conn.localUsername,
  );
  protocol.localIp = address;
  protocol.localCandidate = candidate;
  conn.ensureProtocol(protocol);
  conn.protocols.push(protocol);
  const unregister = listener.register({
    matches: (ufrag) => ufrag === conn.localUsername,
    adopt: (socket, firstBytes) => {
      protocol.registerSocket(socket, [socket.remoteAddress ?? '', socket.remotePort ?? 0]);
      socket.emit('data', firstBytes);
    },
  });
  const close = protocol.close.bind(protocol);
  protocol.close = async () => {
    unregister();
    await close();
  };
  conn.appendLocalCandidate(candidate);
  return Promise.resolve(candidate);
}
