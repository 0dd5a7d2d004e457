import type { CommandResult } from '../../../shared/control/commands.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { unwrap } from '../../rpc.js';
import type { HandleContext } from '../plugin.js';
import type { SfuSubscriberStream } from '../../../shared/control/sfu.js';
import type { Jsep } from '../../../shared/janus/requests.js';
import { errorCode, errorEvent, VideoRoomError, vrError, VR } from './errors.js';
import { relayOf, who, type HandleState, type Result } from './handleState.js';
import * as S from './schemas.js';
import type { RoomId } from './schemas.js';
import type { FeedStream } from './subscribers.js';
import type { VideoRoomApi } from './videoRoomApi.js';

/**
 * A subscriber handle's negotiation: the first multistream offer (`join` as subscriber), and the
 * renegotiations that `subscribe`/`unsubscribe`/`update` and a feed going away cause.
 */
export function subscriberNegotiation(
  roomStub: (
    room: RoomId,
  ) => Pick<
    VideoRoomApi,
    | 'prepareSubscribe'
    | 'subscribed'
    | 'subscribeFailed'
    | 'subscriptionFailed'
    | 'subscriptionChanged'
    | 'subscriberSendChanged'
  >,
) {
  /**
   * `join` as subscriber: the relay offers, or, when the client brought an offer (a WHEP player), the
   * relay answers it with the feeds on the m-lines it offered and no `start` is needed.
   */
  async function subscribe(ctx: HandleContext, body: Record<string, unknown>, jsep?: Jsep): Promise<Result> {
    const { room } = parseJanus(S.roomOnlySchema, body, VR);
    if (jsep && jsep.type !== 'offer')
      throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'A subscriber may only bring an offer to join');
    const stub = roomStub(room);
    // The relay is chosen first (the client's region): the room brings the feeds there before the offer.
    const relay = await ctx.media.place();
    const prep = unwrap(await stub.prepareSubscribe(who(ctx), body, relay));
    ctx.setState({ room, role: 'subscriber', ...(jsep ? { offered: true as const } : {}) } satisfies HandleState);
    try {
      const offer = jsep ? { sdp: jsep.sdp } : undefined;
      const result = await ctx.media.open(offer, { role: 'subscriber', room, streams: prep.streams }, relay);
      // A subscriber's peer, offering or answering, lists subscriber streams.
      const streams = 'streams' in result ? (result.streams as SfuSubscriberStream[] | undefined) : undefined;
      const done = unwrap(await stub.subscribed(who(ctx), streams ?? [], relayOf(ctx), jsep !== undefined));
      return {
        data: { videoroom: 'attached', room, streams: done.streams },
        jsep: 'offer' in result ? result.offer : 'answer' in result ? result.answer : undefined,
      };
    } catch (err) {
      ctx.setState(undefined);
      await stub.subscribeFailed(who(ctx));
      if (ctx.media.hasPeer) ctx.media.close();
      throw err;
    }
  }

  /**
   * A subscriber's `configure`: its streams' settings, and `restart` for the relay's ICE-restart offer.
   * A subscriber that offered first (a WHEP player) may bring a new offer instead (its ICE restart),
   * which the relay answers on the m-lines it has; any other subscriber only answers (Janus's 431).
   */
  async function configureSubscriber(
    ctx: HandleContext,
    st: HandleState,
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<Result> {
    const c = parseJanus(S.subscriberConfigureSchema, body, VR);
    const configured = { videoroom: 'event', room: st.room, configured: 'ok' };
    if (!jsep) {
      const out = await ctx.media.command('sfu.configure', { streams: c.streams ?? [], restart: c.restart ?? false });
      await noteSend(ctx, st.room, c.streams);
      return { data: configured, jsep: 'offer' in out ? out.offer : undefined };
    }
    if (!st.offered || jsep.type !== 'offer')
      throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'Only publishers send offers');
    if (c.restart)
      throw vrError(VideoRoomError.INVALID_ELEMENT, 'restart asks for our offer: not with an offer of the subscriber');
    if (c.streams) await ctx.media.command('sfu.configure', { streams: c.streams });
    await noteSend(ctx, st.room, c.streams);
    const out = await ctx.media.command('peer.offer', { sdp: jsep.sdp, iceRestart: jsep.restart === true });
    return { data: configured, jsep: out.answer };
  }

  /** The room's lists show the `send` the relay now applies (only when the request set some). */
  async function noteSend(ctx: HandleContext, room: RoomId, streams: Array<{ mid: string; send?: boolean }> = []) {
    const changes = streams.flatMap((s) => (s.send === undefined ? [] : [{ mid: s.mid, send: s.send }]));
    if (changes.length) unwrap(await roomStub(room).subscriberSendChanged(who(ctx), changes));
  }

  /**
   * Changes a subscription and makes the new offer. While an earlier offer is still unanswered the
   * changes are kept and the answer is `updating`; they are applied, coalesced, once `start` brings
   * the client's answer, and the new offer then arrives as an `updated` event.
   */
  async function renegotiate(ctx: HandleContext, room: RoomId, add: FeedStream[], remove: string[]): Promise<Result> {
    const st = ctx.getState<HandleState>();
    if (st?.pending) {
      st.pending.add.push(...add);
      st.pending.remove.push(...remove);
      ctx.setState(st);
      return { data: { videoroom: 'updating', room } };
    }
    let out: CommandResult<'sfu.update'>;
    try {
      out = await ctx.media.command('sfu.update', { add, remove });
    } catch (err) {
      if (errorCode(err) !== 471 || !st) {
        await roomStub(room).subscriptionFailed(who(ctx));
        throw err;
      }
      ctx.setState({ ...st, pending: { add: [...add], remove: [...remove] } });
      return { data: { videoroom: 'updating', room } };
    }
    const changed = unwrap(await roomStub(room).subscriptionChanged(who(ctx), out.streams));
    return { data: { videoroom: 'updated', room, streams: changed.streams }, jsep: out.offer };
  }

  /** After the client answered: changes that waited make the next offer. */
  async function flushPending(ctx: HandleContext, room: RoomId): Promise<void> {
    const st = ctx.getState<HandleState>();
    if (!st?.pending) return;
    const { add, remove } = st.pending;
    ctx.setState({ ...st, pending: undefined });
    try {
      const r = await renegotiate(ctx, room, add, remove);
      ctx.pushEvent(r.data, r.jsep);
    } catch (err) {
      ctx.pushEvent(errorEvent(err));
    }
  }

  return { subscribe, configureSubscriber, renegotiate, flushPending };
}
