import { captureSpecSchema } from '../../shared/control/capture.js';
import type { CommandOp, CommandResult, TrickleCandidate } from '../../shared/control/commands.js';
import { trickleCandidateSchema } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { EventType } from '../../shared/janus/events.js';
import { jsepSchema, type Jsep, type RequestOf } from '../../shared/janus/requests.js';
import { parseJanus } from '../../shared/janus/validate.js';
import type { PeerCreateOptions } from '../plugins/plugin.js';
import type { CommandArgs } from '../relays/relayClient.js';
import type { EventDelivery } from './eventDelivery.js';
import { runDetached, type ShardHost } from './host.js';
import { handlerEventsFor, janusMessageFor } from './relayEvents.js';
import { midsOf } from './sdp.js';
import { reply, type JanusMessage } from './replies.js';
import { fromOwnSocket, type Handle, type RelayRef, type Session, type Source } from './session.js';
import type { CaptureRequest } from './shardApi.js';

/** Client candidates kept per handle until its PeerConnection exists. */
const MAX_PENDING_CANDIDATES = 64;

/**
 * Handles' PeerConnections on relays: placing them, forwarding trickled candidates, hanging them up,
 * and relay events back to clients. Every command goes through the host's relay client.
 */
export class PeerMedia {
  constructor(
    private readonly host: ShardHost,
    private readonly delivery: EventDelivery,
    private readonly sessions: ReadonlyMap<number, Session>,
    private readonly persist: (s: Session) => void,
  ) {}

  /** The least loaded relay in the session's region. */
  async pickRelay(s: Session): Promise<RelayRef> {
    const relay = await this.host.core().pickRelay(s.region);
    if (!relay) throw new JanusApiError(JanusError.UNKNOWN, 'No media relay available');
    return { relayId: relay.relayId, linkId: relay.linkId, region: relay.region };
  }

  private live(s: Session, h: Handle): boolean {
    return this.sessions.get(s.id)?.handles.get(h.id) !== undefined;
  }

  async openPeer(
    s: Session,
    h: Handle,
    offer: { sdp: string } | undefined,
    options: PeerCreateOptions,
    placement?: RelayRef,
  ): Promise<CommandResult<'peer.create'>> {
    const relay = placement ?? (await this.pickRelay(s));
    h.relay = { relayId: relay.relayId, linkId: relay.linkId, ...(relay.region ? { region: relay.region } : {}) };
    const plugin = h.plugin.info.package as CommandArgs<'peer.create'>['plugin'];
    let result: CommandResult<'peer.create'>;
    try {
      result = await this.command(h, { op: 'peer.create', sessionId: s.id, handleId: h.id, plugin, offer, options });
    } catch (err) {
      h.hungUpWhileOpening = undefined;
      h.hangupEchoes = undefined;
      if (this.live(s, h)) h.relay = undefined;
      throw err;
    }
    if (!this.live(s, h) || s.ending) {
      // The handle went away while the relay worked: release what was just made.
      this.tell(h, { op: 'peer.hangup', sessionId: s.id, handleId: h.id, reason: 'Detach' });
      throw new JanusApiError(JanusError.HANDLE_NOT_FOUND, 'Handle detached during negotiation');
    }
    // The relay serializes a handle's commands: every echo of an earlier hangup came before this reply.
    h.hangupEchoes = undefined;
    h.hasPeer = true;
    h.hungUp = false;
    this.persist(s);
    const lost = h.hungUpWhileOpening;
    h.hungUpWhileOpening = undefined;
    if (lost !== undefined) {
      // Already gone on the relay: it ends like any hangup, after the plugin has the answer in hand. The
      // hangup to the relay is answered "no such peer", but lets its link forget the peer it just recorded.
      this.release(h, lost);
      this.host.clock.after(0, () => this.peerGone(s, h, lost));
      return result;
    }
    for (const c of h.pendingCandidates.splice(0))
      this.tell(h, { op: 'peer.trickle', sessionId: s.id, handleId: h.id, candidate: c });
    // the relay runs a peer's commands in order: the capture starts before any answer can bring media
    if (h.capture)
      this.command(h, { op: 'peer.capture', sessionId: s.id, handleId: h.id, capture: true, ...h.capture }).catch(
        (err: unknown) => this.host.log.warn('packet capture not started', { handle: h.id, error: String(err) }),
      );
    return result;
  }

  /** One command to the relay holding the handle's PeerConnection; failures throw a JanusApiError. */
  command<O extends CommandOp>(h: Handle, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    if (!h.relay) return Promise.reject(new JanusApiError(JanusError.WEBRTC_STATE, 'No PeerConnection'));
    return this.host.relays.command(h.relay, cmd);
  }

  /** A command nobody waits for (trickle, hangup): a failure only means the peer is already gone. */
  private tell<O extends CommandOp>(h: Handle, cmd: CommandArgs<O>): void {
    this.command(h, cmd).catch((err: unknown) =>
      this.host.log.debug('relay command failed', { op: cmd.op, error: String(err) }),
    );
  }

  /**
   * Trickle: candidates are checked against the negotiated mids (466 for an unknown one) and forwarded
   * to the relay without waiting for it, or kept until the PeerConnection exists. Bad entries inside a
   * `candidates` array are skipped.
   */
  trickle(s: Session, h: Handle, t: RequestOf<'trickle'>): void {
    const list: TrickleCandidate[] = [];
    if (t.candidate !== undefined && t.candidates !== undefined)
      throw new JanusApiError(JanusError.INVALID_JSON, "Can't have both candidate and candidates");
    if (t.candidate !== undefined) {
      const c = t.candidate === null ? { completed: true as const } : t.candidate;
      const problem = candidateProblem(h, c);
      if (problem) throw new JanusApiError(JanusError.TRICKE_INVALID_STREAM, problem);
      list.push(c);
    } else if (t.candidates !== undefined) {
      for (const item of t.candidates) {
        const parsed = trickleCandidateSchema.safeParse(item);
        if (parsed.success && !candidateProblem(h, parsed.data)) list.push(parsed.data);
      }
    } else
      throw new JanusApiError(JanusError.MISSING_MANDATORY_ELEMENT, 'Missing mandatory element (candidate|candidates)');
    for (const c of list) {
      this.host.events.emit(
        EventType.WEBRTC,
        'completed' in c
          ? { 'remote-candidate': 'end-of-candidates' }
          : { 'remote-candidate': c.candidate, stream_id: 1, component_id: 1 },
        { subtype: 3, sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId },
      );
      if (h.hasPeer && h.relay) this.tell(h, { op: 'peer.trickle', sessionId: s.id, handleId: h.id, candidate: c });
      else if (h.pendingCandidates.length < MAX_PENDING_CANDIDATES) h.pendingCandidates.push(c);
    }
  }

  /** Checks a client's JSEP (455, 469, 465, 470) and records its mids, to check trickled candidates against. */
  acceptJsep(s: Session, h: Handle, raw: unknown): Jsep {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new JanusApiError(JanusError.INVALID_JSON_OBJECT, 'Invalid jsep object');
    const jsep = parseJanus(jsepSchema, raw);
    const type = jsep.type.toLowerCase();
    if (type !== 'offer' && type !== 'answer')
      throw new JanusApiError(JanusError.JSEP_UNKNOWN_TYPE, `JSEP error: unknown message type '${jsep.type}'`);
    if (!jsep.sdp.trimStart().startsWith('v=0'))
      throw new JanusApiError(JanusError.JSEP_INVALID_SDP, 'JSEP error: invalid SDP');
    const mids = midsOf(jsep.sdp);
    if (mids === undefined) throw new JanusApiError(JanusError.JSEP_INVALID_SDP, 'JSEP error: invalid SDP');
    // Without a PeerConnection nothing was offered to this handle yet.
    if (type === 'answer' && !h.hasPeer)
      throw new JanusApiError(JanusError.UNEXPECTED_ANSWER, 'Unexpected ANSWER (did we offer?)');
    h.mids = mids;
    this.host.events.emit(
      EventType.JSEP,
      { owner: 'remote', jsep: { type, sdp: jsep.sdp } },
      { sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId },
    );
    return jsep;
  }

  /** API `hangup`: as in Janus, `success` comes first, then what the hang-up causes (`hangup`, plugin events). */
  async hangupRequest(s: Session, h: Handle, tx: string, origin: Source): Promise<JanusMessage> {
    const run = async () => {
      this.hangup(s, h, 'Janus API');
      return reply('success', tx, s.id);
    };
    return fromOwnSocket(s, origin) ? this.delivery.inOrder(s, tx, run, true) : run();
  }

  /**
   * Admin start_pcap / start_text2pcap / stop_*, kept on the handle as Janus keeps them: the relay holding
   * its PeerConnection captures (`peer.capture`, whose errors answer a start), and each PeerConnection
   * the handle gets later is captured into the same file until a stop or the handle's end.
   */
  async capture(s: Session, h: Handle, req: CaptureRequest): Promise<void> {
    const key = { op: 'peer.capture' as const, sessionId: s.id, handleId: h.id };
    if (!req.capture) {
      if (!h.capture) throw new JanusApiError(JanusError.UNKNOWN, 'Capture not started');
      h.capture = undefined;
      this.persist(s);
      // a file that never opened on this PeerConnection has nothing to stop
      if (h.hasPeer) await this.command(h, { ...key, capture: false }).catch(() => undefined);
      return;
    }
    const what = req.text ? 'text2pcap' : 'pcap';
    if (h.capture) throw new JanusApiError(JanusError.UNKNOWN, `${what} already started`);
    const parsed = captureSpecSchema.safeParse({
      text: req.text,
      filename:
        req.filename ?? `janus-text2pcap-${crypto.getRandomValues(new Uint32Array(1))[0]}.${req.text ? 'txt' : 'pcap'}`,
      truncate: req.truncate ?? 0,
      ...(req.folder !== undefined ? { folder: req.folder } : {}),
    });
    // an empty or overlong name: no file could be opened, as Janus answers when it cannot open one
    if (!parsed.success) throw new JanusApiError(JanusError.UNKNOWN, `Error starting ${what} dump`);
    const spec = parsed.data;
    if (h.hasPeer) await this.command(h, { ...key, capture: true, ...spec });
    h.capture = spec;
    this.persist(s);
  }

  /** Hangs up the handle's PeerConnection (API hangup, admin hangup_webrtc, the plugin closing it). */
  hangup(s: Session, h: Handle, reason: string): void {
    if (!h.hasPeer) {
      // Janus tells the plugin even when no PeerConnection exists (its echotest answers "done"), once.
      if (!h.hungUp) runDetached(this.host.log, 'hangupMedia', () => h.plugin.hangupMedia(h.ctx, reason));
      h.hungUp = true;
      return;
    }
    if (h.relay) this.hangUpOnRelay(h, reason);
    this.peerGone(s, h, reason);
  }

  /**
   * Tells the relay to close the PeerConnection, and ignores a `hangup` event of the handle until
   * the relay answered: the relay echoes the hang-up as an event before its reply (its link keeps
   * that echo to itself), and one that comes meanwhile is about this peer, never about one opened
   * next (publish right after unpublish).
   */
  private hangUpOnRelay(h: Handle, reason: string): void {
    h.hangupEchoes = (h.hangupEchoes ?? 0) + 1;
    this.command(h, { op: 'peer.hangup', sessionId: h.ctx.sessionId, handleId: h.id, reason })
      .catch((err: unknown) => this.host.log.debug('relay command failed', { op: 'peer.hangup', error: String(err) }))
      .finally(() => {
        if (h.hangupEchoes) h.hangupEchoes--;
      });
  }

  /** Tells the relay to close the PeerConnection; nothing waits for it. */
  release(h: Handle, reason: string): void {
    if (h.relay) this.tell(h, { op: 'peer.hangup', sessionId: h.ctx.sessionId, handleId: h.id, reason });
  }

  /** The PeerConnection is gone, whichever side ended it: client told, plugin told, state cleared. */
  private peerGone(s: Session, h: Handle, reason: string): void {
    if (!h.hasPeer) return;
    h.hasPeer = false;
    h.relay = undefined;
    h.mids = undefined;
    this.persist(s);
    h.hungUp = true;
    // The plugin first, as in Janus: its last event (echotest "done") comes before the `hangup`.
    runDetached(this.host.log, 'hangupMedia', () => h.plugin.hangupMedia(h.ctx, reason));
    this.delivery.deliver(s, { janus: 'hangup', session_id: s.id, sender: h.id, reason });
    this.host.events.emit(
      EventType.WEBRTC,
      { connection: 'hangup', reason },
      { subtype: 6, sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId },
    );
  }

  /** An event from the relay holding the handle's PeerConnection (ignored from any other link). */
  relayEvent(s: Session, h: Handle, linkId: string, event: PeerEvent): void {
    if (s.ending) return;
    if (event.kind === 'recording') {
      // Files close with their peer, so the report may follow its hangup (then no relay is the handle's).
      runDetached(this.host.log, 'recordingClosed', () => h.plugin.recordingClosed?.(h.ctx, event));
      return;
    }
    if (event.kind === 'hangup' && !h.hasPeer && h.hangupEchoes) {
      h.hangupEchoes--;
      return;
    }
    if (h.relay?.linkId !== linkId) return;
    if (event.kind === 'viewer.layer') {
      runDetached(this.host.log, 'viewerLayer', () => h.plugin.viewerLayer?.(h.ctx, event));
      return;
    }
    for (const e of handlerEventsFor(event))
      this.host.events.emit(e.type, e.body, {
        subtype: e.subtype,
        sessionId: s.id,
        handleId: h.id,
        opaqueId: h.opaqueId,
      });
    if (event.kind === 'hangup') {
      if (!h.hasPeer && h.opening) h.hungUpWhileOpening = event.reason;
      else this.peerGone(s, h, event.reason);
      return;
    }
    const m = janusMessageFor(s.id, h.id, event);
    if (m) this.delivery.deliver(s, m);
    if (event.kind === 'webrtcup') runDetached(this.host.log, 'setupMedia', () => h.plugin.setupMedia?.(h.ctx));
  }

  /** ICE/DTLS state, selected pair and packet counters, asked of the relay holding the peer. */
  async peerInfo(h: Handle): Promise<Record<string, unknown>> {
    try {
      return await this.command(h, { op: 'peer.info', sessionId: h.ctx.sessionId, handleId: h.id });
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }
}

function candidateProblem(h: Handle, c: TrickleCandidate): string | undefined {
  if ('completed' in c || !h.mids) return undefined;
  if (c.sdpMid != null && !h.mids.includes(c.sdpMid)) return `Invalid stream (no mid ${c.sdpMid})`;
  if (c.sdpMid == null && c.sdpMLineIndex != null && c.sdpMLineIndex >= h.mids.length)
    return `Invalid stream (no m-line ${c.sdpMLineIndex})`;
  return undefined;
}
