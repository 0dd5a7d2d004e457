/**
 * A participant's inbound packets before they are decoded, with Janus's `prebuffer` semantics
 * (janus_audiobridge.c 1.1.x): packets are kept sorted by sequence number; a participant enters the
 * mix once more than `prebuffer` packets wait (again after a reset); once mixing, a queue that grew
 * to twice that is trimmed back to `prebuffer`, oldest first, so latency stays bounded. The mixer
 * takes one frame per tick: the expected packet, or a concealed frame for a missing one (from the
 * next packet's in-band FEC when allowed and that packet is there, else the decoder's PLC).
 */

export type JitterOut =
  /** `silent`: its audio-level extension said digital silence (127), as a muted browser track sends. */
  | { kind: 'packet'; payload: Buffer; silent: boolean }
  /** Recover the missing frame from the next packet's in-band FEC. */
  | { kind: 'fec'; payload: Buffer }
  | { kind: 'plc' };

interface Queued {
  seq: number;
  payload: Buffer;
  silent: boolean;
}

/** A gap this long (packets) is a new stream (sender restart), not loss to conceal. */
const MAX_CONCEALED_GAP = 10;
/** Packets older than the next expected one by at most this much are late; beyond, a wrap/restart. */
const MAX_MISORDER = 50;

/** Signed distance a → b on the 16-bit sequence circle. */
function seqDiff(a: number, b: number): number {
  return ((b - a + 0x8000) & 0xffff) - 0x8000;
}

export class JitterBuffer {
  prebuffering = true;
  /** Packets dropped: late, duplicate, or trimmed. */
  dropped = 0;
  concealed = 0;
  private readonly queue: Queued[] = [];
  private expected: number | undefined;

  constructor(public prebuffer: number) {}

  get length(): number {
    return this.queue.length;
  }

  push(seq: number, payload: Buffer, silent = false): void {
    const q = this.queue;
    if (this.expected !== undefined) {
      const d = seqDiff(this.expected, seq);
      if (d < 0 && d > -MAX_MISORDER) {
        this.dropped++;
        return;
      }
    }
    // insert sorted (usually at the end)
    let i = q.length;
    while (i > 0 && seqDiff(q[i - 1]!.seq, seq) < 0) i--;
    if (i > 0 && q[i - 1]!.seq === seq) {
      this.dropped++;
      return;
    }
    q.splice(i, 0, { seq, payload, silent });
    if (this.prebuffering) {
      if (q.length > this.prebuffer) this.prebuffering = false;
      return;
    }
    const keep = Math.max(this.prebuffer, 1);
    if (q.length >= keep * 2) {
      const trim = q.length - keep;
      q.splice(0, trim);
      this.dropped += trim;
      this.expected = undefined;
    }
  }

  /** This tick's frame, or undefined (prebuffering, or nothing queued). */
  next(fecAllowed: boolean): JitterOut | undefined {
    if (this.prebuffering) return undefined;
    const head = this.queue[0];
    if (!head) return undefined;
    const gap = this.expected === undefined ? 0 : seqDiff(this.expected, head.seq);
    if (gap <= 0 || gap > MAX_CONCEALED_GAP) {
      this.queue.shift();
      this.expected = (head.seq + 1) & 0xffff;
      return { kind: 'packet', payload: head.payload, silent: head.silent };
    }
    this.expected = (this.expected! + 1) & 0xffff;
    this.concealed++;
    return gap === 1 && fecAllowed ? { kind: 'fec', payload: head.payload } : { kind: 'plc' };
  }

  /** Janus `resetdecoder` and a move to another mixer: start afresh, prebuffering again. */
  reset(): void {
    this.queue.length = 0;
    this.expected = undefined;
    this.prebuffering = true;
  }
}
