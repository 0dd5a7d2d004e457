// One stay in a VideoRoom, from Join to Leave (or to a failure): a Janus session, a publisher handle
// that sends your camera and microphone, and one multistream subscriber handle that follows the
// room's other publishers — the way Janus's own demo uses the unmodified janus.js. Leaving destroys
// the session, so joining again starts from nothing, without reloading the page.
//
// Where each participant's media is comes from our VideoRoom's extra `region`/`relay` keys of
// publisher entries (Janus clients ignore extra keys). Mute state travels as the publisher's
// `metadata` (Janus-standard: `configure` with metadata is announced to the room).
import Janus from '/js/janus.es.js';
import { addTrack, clearGrid, removeParticipant, removeTrack, showParticipant } from './grid.js';
import { describe } from './janusErrors.js';
import { janusOptions } from './janusOptions.js';
import { Subscription } from './subscription.js';

export class RoomVisit {
  /**
   * @param {{server: string, room: number, display: string, pin?: string, debug?: boolean}} opts
   * @param {{status(text: string): void, failed(text: string): void, changed(): void, ended(): void}} page
   */
  constructor(opts, page) {
    this.opts = opts;
    this.page = page;
    this.janus = null;
    this.publisher = null;
    this.id = null;
    this.privateId = null;
    this.publishing = false;
    this.ended = false;
    this.muted = { audio: false, video: false };
    /** Where your own media is, once the room lists it. */
    this.placement = {};
    /** feed id → {display, region, relay, audioMuted, videoMuted, streams}: the other publishers shown. */
    this.feeds = new Map();
    /** The subscriber handle receiving the others' streams, while there is one. */
    this.subscription = null;
  }

  start() {
    Janus.init({
      debug: this.opts.debug ? 'all' : false,
      callback: async () => {
        const options = await janusOptions();
        if (this.ended) return;
        this.janus = new Janus({
          server: this.opts.server,
          ...options,
          success: () => this.attachPublisher(),
          error: (err) => this.fail('connection', err),
        });
      },
    });
  }

  /** Leaves the room: `leave`, then the session goes (the server releases everything with it). */
  leave() {
    if (this.ended) return;
    if (!this.publisher) return this.end();
    this.publisher.send({
      message: { request: 'leave' },
      success: () => this.end(),
      error: () => this.end(),
    });
  }

  /** Mutes or unmutes your microphone or camera, and tells the room. */
  toggle(kind) {
    if (!this.publisher || this.ended) return;
    const mute = !this.muted[kind];
    if (kind === 'audio') mute ? this.publisher.muteAudio() : this.publisher.unmuteAudio();
    else mute ? this.publisher.muteVideo() : this.publisher.unmuteVideo();
    this.muted[kind] = mute;
    showParticipant('self', { audioMuted: this.muted.audio, videoMuted: this.muted.video });
    this.publisher.send({
      message: { request: 'configure', metadata: this.metadata() },
      error: (err) => this.fail('mute', err),
    });
    this.page.changed();
  }

  /** The tracks your publisher PeerConnection sends, and whether each is enabled. */
  senders() {
    const pc = this.publisher?.webrtcStuff?.pc;
    if (!pc) return [];
    return pc
      .getSenders()
      .filter((s) => s.track)
      .map((s) => ({ kind: s.track.kind, enabled: s.track.enabled }));
  }

  metadata() {
    return { audio_muted: this.muted.audio, video_muted: this.muted.video };
  }

  fail(what, err) {
    if (this.ended) return;
    this.page.failed(`${what}: ${describe(err)}`);
    this.end();
  }

  /** Ends the visit on every path: local PeerConnections and captured devices are released with the handles. */
  end() {
    if (this.ended) return;
    this.ended = true;
    // The session's end takes the subscriber's handle with it: it only has to stop listening.
    if (this.subscription) this.subscription.closed = true;
    this.janus?.destroy({ cleanupHandles: true });
    clearGrid();
    this.page.ended();
  }

  // ------------------------------------------------------------------ publisher

  attachPublisher() {
    this.janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.publisher = handle;
        this.enterRoom();
      },
      error: (err) => this.fail('attach', err),
      onmessage: (msg, jsep) => this.onPublisherMessage(msg, jsep),
      onlocaltrack: (track, on) => {
        if (on && track.kind === 'video') addTrack('self', track);
      },
      webrtcState: (up, reason) => {
        if (!up) return this.fail('publisher', reason ?? 'the PeerConnection closed');
        this.publishing = true;
        this.page.status(`publishing in room ${this.opts.room}`);
        this.learnPlacement();
        this.page.changed();
      },
    });
  }

  /** Joins the room, creating it first (with the pin given, if any) when it does not exist. */
  enterRoom() {
    const { room, pin } = this.opts;
    const join = () =>
      this.publisher.send({
        message: {
          request: 'join',
          ptype: 'publisher',
          room,
          display: this.opts.display,
          metadata: this.metadata(),
          ...(pin ? { pin } : {}),
        },
        error: (err) => this.fail('join', err),
      });
    this.publisher.send({
      message: { request: 'exists', room },
      error: (err) => this.fail('exists', err),
      success: (res) => {
        if (res?.error) return this.fail('exists', res);
        if (res.exists) return join();
        this.publisher.send({
          message: {
            request: 'create',
            room,
            publishers: 6,
            description: `Demo room ${room}`,
            ...(pin ? { pin } : {}),
          },
          error: (err) => this.fail('create', err),
          // 427: someone else created it meanwhile.
          success: (out) => (out?.error && out.error_code !== 427 ? this.fail('create', out) : join()),
        });
      },
    });
  }

  onPublisherMessage(msg, jsep) {
    if (jsep) this.publisher.handleRemoteJsep({ jsep, error: (err) => this.fail('answer', err) });
    if (msg.error) return this.fail('videoroom', msg);
    if (msg.videoroom === 'joined') {
      this.id = msg.id;
      this.privateId = msg.private_id;
      this.page.status(`joined room ${this.opts.room} as ${this.opts.display}; publishing…`);
      showParticipant('self', { display: `${this.opts.display} (you)`, audioMuted: false, videoMuted: false });
      this.page.changed();
      this.publish();
      this.addPublishers(msg.publishers ?? []);
    } else if (msg.videoroom === 'event') {
      if (msg.publishers) this.addPublishers(msg.publishers);
      if (msg.leaving === 'ok' && msg.reason === 'kicked') return this.fail('videoroom', 'you were kicked out');
      for (const gone of [msg.unpublished, msg.leaving, msg.kicked])
        if (gone !== undefined && gone !== 'ok') this.removeFeed(gone);
    } else if (msg.videoroom === 'destroyed') {
      this.fail('videoroom', 'the room was destroyed');
    }
  }

  publish() {
    this.publisher.createOffer({
      tracks: [
        { type: 'audio', capture: true, recv: false },
        { type: 'video', capture: true, recv: false },
      ],
      success: (jsep) =>
        this.publisher.send({ message: { request: 'publish' }, jsep, error: (err) => this.fail('publish', err) }),
      error: (err) => this.fail('publish', err),
    });
  }

  /** Where your own media is: the room's participant list carries your relay and its region. */
  learnPlacement() {
    this.publisher.send({
      message: { request: 'listparticipants', room: this.opts.room },
      success: (res) => {
        const me = res?.participants?.find((p) => p.id === this.id);
        if (!me || this.ended) return;
        this.placement = { region: me.region, relay: me.relay };
        showParticipant('self', this.placement);
        this.page.changed();
      },
    });
  }

  // ------------------------------------------------------------------ the others

  /** Publisher entries (new or changed): show them, and subscribe to the streams of new ones. */
  addPublishers(list) {
    const streams = [];
    for (const p of list) {
      if (p.id === this.id) continue;
      const known = this.feeds.has(p.id);
      const info = {
        display: p.display ?? `feed ${p.id}`,
        region: p.region,
        relay: p.relay,
        audioMuted: p.metadata?.audio_muted === true,
        videoMuted: p.metadata?.video_muted === true,
      };
      const wanted = (p.streams ?? [])
        .filter((s) => !s.disabled && s.type !== 'data')
        .map((s) => ({ feed: p.id, mid: s.mid }));
      this.feeds.set(p.id, { ...info, streams: known ? this.feeds.get(p.id).streams : wanted });
      showParticipant(p.id, info);
      if (!known) streams.push(...wanted);
    }
    this.page.changed();
    if (streams.length > 0) this.subscribe(streams);
  }

  removeFeed(feed) {
    if (!this.feeds.delete(feed)) return;
    removeParticipant(feed);
    // Nobody left to receive: the subscriber goes too (the next publisher gets a fresh one). Left to
    // autoupdate, the relay's offer rejects every m-line (port 0, still in BUNDLE), Chromium closes
    // the transport and the relay hangs the subscriber up ("DTLS alert").
    if (this.feeds.size === 0) {
      this.subscription?.close();
      this.subscription = null;
    }
    this.page.changed();
  }

  /** Subscribes to streams: through the current subscriber handle, or a new one. */
  subscribe(streams) {
    if (this.subscription) return this.subscription.add(streams);
    const sub = new Subscription(
      this.janus,
      { room: this.opts.room, privateId: this.privateId, pin: this.opts.pin },
      streams,
      {
        track: (feed, track, on) => {
          if (on) addTrack(feed, track);
          else removeTrack(feed, track);
          this.page.changed();
        },
        failed: (text) => this.page.failed(text),
        lost: () => this.subscriptionLost(sub),
      },
    );
    this.subscription = sub;
  }

  /**
   * The subscriber's PeerConnection or handle went away: one that had worked starts over with every
   * stream still there (a relay lost, say); one that never did waits for the next publisher.
   */
  subscriptionLost(sub) {
    if (sub !== this.subscription || this.ended) return;
    this.subscription = null;
    const streams = [...this.feeds.values()].flatMap((f) => f.streams);
    if (sub.started && streams.length > 0) this.subscribe(streams);
  }
}
