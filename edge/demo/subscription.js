// One multistream subscriber handle: joins with the first streams, adds more with `subscribe`
// (streams that come while it joins follow once it is in; the server queues a subscribe that
// arrives mid-negotiation), answers every offer, and reports tracks by feed. Once closed, nothing
// it receives any more reaches the page.
import { describe } from './janusErrors.js';

export class Subscription {
  /**
   * @param {object} janus the session
   * @param {{room: number, privateId: number, pin?: string}} opts
   * @param {{track(feed, track, on: boolean): void, failed(text: string): void, lost(): void}} on
   */
  constructor(janus, opts, streams, on) {
    this.opts = opts;
    this.on = on;
    this.handle = null;
    this.joined = false;
    this.started = false;
    this.closed = false;
    this.pending = [];
    /** mid → feed id, as the last offer described the streams. */
    this.midToFeed = new Map();
    janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: (handle) => {
        this.handle = handle;
        if (this.closed) return handle.detach();
        handle.send({
          message: {
            request: 'join',
            ptype: 'subscriber',
            room: opts.room,
            private_id: opts.privateId,
            streams,
            ...(opts.pin ? { pin: opts.pin } : {}),
          },
        });
      },
      error: (err) => this.lose(`subscriber attach: ${describe(err)}`),
      onmessage: (msg, jsep) => this.message(msg, jsep),
      onremotetrack: (track, mid, on) => {
        const feed = this.midToFeed.get(mid);
        if (!this.closed && feed !== undefined) this.on.track(feed, track, on);
      },
      webrtcState: (up) => {
        if (up) this.started = true;
        else this.lose();
      },
    });
  }

  add(streams) {
    if (this.closed) return;
    if (this.joined) this.handle.send({ message: { request: 'subscribe', streams } });
    else this.pending.push(...streams);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.handle?.detach();
  }

  /** The handle or its PeerConnection is gone: the owner decides whether to start over. */
  lose(reason) {
    if (this.closed) return;
    if (reason) this.on.failed(reason);
    this.close();
    this.on.lost();
  }

  message(msg, jsep) {
    if (this.closed) return;
    if (msg.error) {
      // A feed may go away between its announcement and our subscribe: shown, and the room goes on.
      if (this.joined) return this.on.failed(`subscriber: ${describe(msg)}`);
      return this.lose(`subscriber: ${describe(msg)}`);
    }
    for (const s of msg.streams ?? []) if (s.feed_id !== undefined) this.midToFeed.set(s.mid, s.feed_id);
    if (msg.videoroom === 'attached') {
      this.joined = true;
      const next = this.pending;
      this.pending = [];
      if (next.length > 0) this.add(next);
    }
    if (!jsep) return;
    this.handle.createAnswer({
      jsep,
      tracks: [{ type: 'data' }],
      success: (answer) =>
        !this.closed &&
        this.handle.send({
          message: { request: 'start', room: this.opts.room },
          jsep: answer,
          error: (err) => this.lose(`start: ${describe(err)}`),
        }),
      error: (err) => this.lose(`answer: ${describe(err)}`),
    });
  }
}
