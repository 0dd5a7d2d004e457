import type { RTCPeerConnection } from 'werift';

/**
 * Taking back an ICE-restart offer of the relay whose answer was refused. werift restarts its ICE agent
 * when it makes the offer (`createOffer({ iceRestart: true })`), dropping the nominated pair and the
 * client's credentials before any answer, and a signaling rollback does not bring them back: so the
 * agent's session is saved first and put back by hand. Like `werift.ts`, this reaches into werift's
 * internals (its ICE `Connection` and `RTCIceTransport`): check it on a werift upgrade.
 */

/** The fields of werift's ICE `Connection` an ICE restart resets (`Connection.restart`). */
const ICE_SESSION_FIELDS = [
  'generation',
  'localUsername',
  'localPassword',
  'remoteUsername',
  'remotePassword',
  'localCandidates',
  '_remoteCandidates',
  'remoteCandidatesEnd',
  'localCandidatesEnd',
  'state',
  'nominated',
  'nominating',
  'checkList',
  'checkListDone',
  'checkListState',
  'earlyChecks',
  'earlyChecksDone',
  'localCandidatesStart',
  '_iceControlling',
] as const;

interface IceSessionInternals {
  [field: string]: unknown;
  protocols: Array<{ localCandidate?: { id: string; generation: number; ufrag?: string } }>;
  queryConsent(): void;
}
interface IceTransportSessionInternals {
  state: string;
  waitStart?: unknown;
  iceGather: { gatheringState: string };
  setState(state: string): void;
}

/** An ICE session as it was before an ICE restart, and how to put it back. */
export interface IceSessionSnapshot {
  restore(): void;
}

/**
 * Takes what an ICE restart of `pc` resets, before its offer is made. Put back, the previous session
 * goes on as if the restart never happened: the same credentials, pair and candidates, its consent
 * checks started again.
 */
export function snapshotIceSession(pc: RTCPeerConnection): IceSessionSnapshot {
  const saved = pc.dtlsTransports.map((dtls) => {
    const transport = dtls.iceTransport as unknown as IceTransportSessionInternals;
    const conn = dtls.iceTransport.connection as unknown as IceSessionInternals;
    const fields = Object.fromEntries(
      ICE_SESSION_FIELDS.map((f) => [f, Array.isArray(conn[f]) ? [...(conn[f] as unknown[])] : conn[f]]),
    );
    // a restart renames the host candidates it re-advertises (id, generation, ufrag)
    const candidates = conn.protocols.flatMap(({ localCandidate: c }) =>
      c ? [{ c, id: c.id, generation: c.generation, ufrag: c.ufrag }] : [],
    );
    return {
      transport,
      conn,
      fields,
      candidates,
      state: transport.state,
      gathering: transport.iceGather.gatheringState,
    };
  });
  return {
    restore() {
      for (const s of saved) {
        Object.assign(s.conn, s.fields);
        for (const { c, id, generation, ufrag } of s.candidates) Object.assign(c, { id, generation, ufrag });
        s.transport.waitStart = undefined;
        s.transport.iceGather.gatheringState = s.gathering;
        if (s.conn.nominated) s.conn.queryConsent();
        s.transport.setState(s.state);
      }
    },
  };
}

/**
 * Rolls back the relay's pending ICE-restart offer: signaling stable again on the description before
 * it, and the ICE session `before` it. Returns the local description now in force.
 */
export async function rollBackIceRestart(
  pc: RTCPeerConnection,
  before: IceSessionSnapshot,
): Promise<string | undefined> {
  await pc.setLocalDescription({ type: 'rollback' });
  before.restore();
  return pc.localDescription?.sdp;
}
