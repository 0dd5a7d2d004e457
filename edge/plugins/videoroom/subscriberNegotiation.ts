import type { CommandResult } from '../../../shared/control/commands.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { unwrap } from '../../rpc.js';
import type { HandleContext } from '../plugin.js';
import { errorCode, errorEvent, VR } from './errors.js';
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
    'prepareSubscribe' | 'subscribed' | 'subscribeFailed' | 'subscriptionFailed' | 'subscriptionChanged'
  >,
) {
  async function subscribe(ctx: HandleContext, body: Record<string, unknown>): Promise<Result> {
    const { room } = parseJanus(S.roomOnlySchema, body, VR);
    const stub = roomStub(room);
    // The relay is chosen first (the client's region): the room brings the feeds there before the offer.
    const relay = await ctx.media.place();
    const prep = unwrap(await stub.prepareSubscribe(who(ctx), body, relay));
    ctx.setState({ room, role: 'subscriber' } satisfies HandleState);
    try {
      const result = await ctx.media.open(undefined, { role: 'subscriber', room, streams: prep.streams }, relay);
      const offered = 'offer' in result && 'streams' in result ? result : undefined;
      const done = unwrap(await stub.subscribed(who(ctx), offered?.streams ?? [], relayOf(ctx)));
      return {
        data: { videoroom: 'attached', room, streams: done.streams },
        jsep: 'offer' in result ? result.offer : undefined,
      };
    } catch (err) {
      ctx.setState(undefined);
      await stub.subscribeFailed(who(ctx));
      if (ctx.media.hasPeer) ctx.media.close('Subscribe failed');
      throw err;
    }
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

  return { subscribe, renegotiate, flushPending };
}
