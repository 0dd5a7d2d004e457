import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../shared/control/commands.js';
import { viewerNegotiation } from '../../../edge/plugins/streaming/viewerNegotiation.js';
import { StreamingException } from '../../../edge/plugins/streaming/errors.js';

const stream = (mid: string, type: 'audio' | 'video', active: boolean, mindex: number) => ({
  mindex,
  mid,
  type,
  feedId: 1,
  feedMid: type === 'audio' ? 'a' : 'v',
  active,
  send: true,
});
const result = (r: object) => r as CommandResult<'peer.create'>;

describe("a Streaming viewer's negotiation", () => {
  it("passes the relay's offer on with every m-line", () => {
    const streams = [stream('a', 'audio', true, 0), stream('v', 'video', false, 1)];
    const n = viewerNegotiation(result({ offer: { type: 'offer', sdp: 'v=0' }, streams }));
    expect(n).toEqual({ jsep: { type: 'offer', sdp: 'v=0' }, streams });
  });

  it("keeps the m-lines of the viewer's offer that carry a stream", () => {
    const streams = [stream('0', 'audio', false, 0), stream('1', 'video', true, 1)];
    const n = viewerNegotiation(result({ answer: { type: 'answer', sdp: 'v=0' }, streams }));
    expect(n.jsep.type).toBe('answer');
    expect(n.streams.map((s) => s.mid)).toEqual(['1']);
  });

  it('refuses an answer that carries nothing (454)', () => {
    const streams = [stream('0', 'audio', false, 0)];
    let err: unknown;
    try {
      viewerNegotiation(result({ answer: { type: 'answer', sdp: 'v=0' }, streams }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StreamingException);
    expect((err as StreamingException).code).toBe(454);
  });
});
