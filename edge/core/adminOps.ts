import { handleIn, sessionIn, type Handle, type Session } from './session.js';
import type { SessionCore } from './sessionCore.js';
import type { AdminOp } from './shardApi.js';

/** The Admin API's session and handle requests, run by the shard that owns the session. */
export class AdminOps {
  constructor(
    private readonly core: SessionCore,
    private readonly now: () => number,
  ) {}

  async run(op: AdminOp): Promise<Record<string, unknown>> {
    const core = this.core;
    const s = sessionIn(core.sessions, op.sessionId);
    switch (op.kind) {
      case 'destroy_session':
        core.endSession(s, 'destroyed');
        return {};
      case 'set_session_timeout':
        s.timeout = op.timeout < 0 ? undefined : op.timeout;
        core.persist(s);
        core.timeouts.reschedule();
        return { timeout: op.timeout };
      case 'list_handles':
        return { handles: [...s.handles.keys()] };
      case 'handle_info':
        return { info: await this.handleInfo(s, handleIn(s, op.handleId), op.pluginOnly) };
      case 'detach_handle':
        core.releaseHandle(s, handleIn(s, op.handleId), 'Detach', true);
        core.persist(s);
        return {};
      case 'hangup_webrtc':
        core.media.hangup(s, handleIn(s, op.handleId), 'Admin API');
        return {};
      case 'capture':
        await core.media.capture(s, handleIn(s, op.handleId), op);
        return {};
    }
  }

  private async handleInfo(s: Session, h: Handle, pluginOnly: boolean): Promise<Record<string, unknown>> {
    const pluginSpecific = (await h.plugin.queryHandle?.(h.ctx)) ?? {};
    const base = {
      session_id: s.id,
      session_last_activity: s.lastActivity * 1000,
      session_timeout: s.timeout ?? this.core.settings.sessionTimeout,
      session_transport: s.source.kind === 'http' ? 'janus.transport.http' : 'janus.transport.websockets',
      handle_id: h.id,
      'loop-running': true,
      created: h.createdAt * 1000,
      current_time: this.now() * 1000,
      plugin: h.plugin.info.package,
      plugin_specific: pluginSpecific,
    };
    // Like Janus, plugin_only leaves out the WebRTC details but keeps the identification.
    if (pluginOnly) return base;
    const webrtc: Record<string, unknown> | null = h.hasPeer ? await this.core.media.peerInfo(h) : null;
    return {
      ...base,
      opaque_id: h.opaqueId,
      token: h.token,
      flags: {
        'got-offer': h.mids !== undefined,
        'got-answer': h.hasPeer,
        negotiated: h.hasPeer,
        ready: h.hasPeer,
        stopped: false,
        alert: false,
      },
      sdps: {},
      'queued-packets': 0,
      ...captureInfo(webrtc?.capture ?? pendingCapture(h)),
      relay: h.relay?.relayId ?? null,
      webrtc,
    };
  }
}

/** Janus's handle_info keys of a running capture (`dump-to-pcap` and `pcap-file`, or the text2pcap pair). */
function captureInfo(capture: unknown): Record<string, unknown> {
  const c = capture as { text?: boolean; file?: string } | undefined;
  if (!c?.file) return {};
  return c.text
    ? { 'dump-to-text2pcap': true, 'text2pcap-file': c.file }
    : { 'dump-to-pcap': true, 'pcap-file': c.file };
}

/** A capture waiting for the handle's next PeerConnection: its file as asked (the relay resolves it). */
function pendingCapture(h: Handle): { text: boolean; file: string } | undefined {
  const c = h.capture;
  return c && { text: c.text, file: c.folder !== undefined ? `${c.folder}/${c.filename}` : c.filename };
}
