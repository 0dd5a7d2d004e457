/**
 * The part of the fan-out benchmark both targets share: counting what the subscribers receive
 * without decrypting it, and the measurement window itself.
 */
import type { RTCDtlsTransport, RTCPeerConnection } from 'werift';
import type { PubClient } from '../../test/relay/sfu/support.js';
import { SeqCounter } from '../../test/relay/sfu/seqCounter.js';
import { readStat, rssKb } from '../support/proc.js';

export interface FanoutOptions {
  pps: number;
  seconds: number;
  warmup: number;
}

export interface FanoutRow {
  subscribers: number;
  seconds: number;
  sentPps: number;
  forwardedPps: number;
  cpuPct: number;
  /** Relay (or janus) CPU µs per forwarded packet. */
  usPerForwarded: number;
  /** CPU µs per forwarded packet of every process of the server (npm start: its node, workerd, the relay). */
  stackUsPerForwarded: number;
  /** CPU µs per forwarded packet of the bench process: the publisher, the subscribers' counting and the test edge. */
  clientUsPerForwarded: number;
  delivered: number;
  /** Lowest share of the window's packets one subscriber got. */
  worstDelivered: number;
  /** Per subscriber, by sequence number over the whole run: duplicates, and holes below the highest seen. */
  duplicates: number;
  subscribersWithDuplicates: number;
  lost: number;
  subscribersWithLoss: number;
  rssMb: number;
  /** Seconds from the publisher's offer to the last subscriber connected. */
  setupS: number;
  /** CPU µs per forwarded packet of each server process (`comm:pid`), where the stack figure goes. */
  perProcess: Record<string, number>;
  /** The server's own account of its memory at the end of the window, when it gives one. */
  serverMemory?: Record<string, unknown>;
}

/**
 * Counts a connected subscriber's incoming RTP by sequence number (from the clear-text header) and
 * drops it before SRTP, so the bench process's own decryption does not compete with the server for
 * the CPU.
 */
export function countAndDrop(pc: RTCPeerConnection): SeqCounter {
  const counter = new SeqCounter();
  const dtls = pc.dtlsTransports[0] as RTCDtlsTransport;
  dtls.iceTransport.connection.onData.subscribe((data: Buffer) => {
    if (data.length < 12 || data[0]! >> 6 !== 2) return;
    const pt = data[1]! & 0x7f;
    if (pt >= 64 && pt <= 95) return; // RTCP
    counter.add((data[2]! << 8) | data[3]!);
  });
  // werift's own inbound path: drop everything from now on (debug knob of its DTLS transport);
  // STUN is handled below onData, so ICE keeps working.
  (dtls as unknown as { config: { debug?: Record<string, number> } }).config.debug = { inboundPacketLoss: 1e-9 };
  return counter;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the publisher, waits the warm-up, then measures the server process `pid` over the window:
 * CPU (utime+stime) per forwarded packet, where forwarded = packets sent × subscribers, and the
 * share of those the subscribers got.
 */
export async function measure(
  pid: number,
  pub: PubClient,
  counters: SeqCounter[],
  opts: FanoutOptions,
  setupS: number,
  stackPids: number[] = [pid],
): Promise<FanoutRow> {
  const n = counters.length;
  const cpu = () => readStat(pid)?.cpuMs ?? NaN;
  // Per process, so that the stack's figure can be split (node, workerd, relay).
  const stackCpu = () => new Map(stackPids.map((p) => [p, readStat(p)] as const));
  const received = () => counters.reduce((a, c) => a + c.distinct, 0);
  pub.start(opts.pps);
  await sleep(opts.warmup * 1000);
  const sent0 = pub.sent.video;
  const got0 = received();
  const each0 = counters.map((c) => c.distinct);
  const cpu0 = cpu();
  const stack0 = stackCpu();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(opts.seconds * 1000);
  const cpu1 = cpu();
  const stack1 = stackCpu();
  const own = process.cpuUsage(own0);
  const t1 = performance.now();
  const sent = pub.sent.video - sent0;
  pub.stop();
  await sleep(300); // in-flight packets
  const got = received() - got0;
  const worst = Math.min(...counters.map((c, i) => (c.distinct - each0[i]!) / Math.max(1, sent)));
  const forwarded = sent * n;
  const cpuMs = cpu1 - cpu0;
  const usPer = (ms: number) => Math.round(((ms * 1000) / Math.max(1, forwarded)) * 100) / 100;
  const perProcess: Record<string, number> = {};
  let stackMs = 0;
  for (const [p, after] of stack1) {
    const before = stack0.get(p);
    if (!after || !before) continue; // started or gone during the window
    stackMs += after.cpuMs - before.cpuMs;
    perProcess[`${after.comm}:${p}`] = usPer(after.cpuMs - before.cpuMs);
  }
  const ms = t1 - t0;
  return {
    subscribers: n,
    seconds: Math.round(ms / 100) / 10,
    sentPps: Math.round(sent / (ms / 1000)),
    forwardedPps: Math.round(forwarded / (ms / 1000)),
    cpuPct: Math.round((cpuMs / ms) * 1000) / 10,
    usPerForwarded: usPer(cpuMs),
    stackUsPerForwarded: usPer(stackMs),
    clientUsPerForwarded: Math.round(((own.user + own.system) / Math.max(1, forwarded)) * 100) / 100,
    delivered: Math.round((got / Math.max(1, forwarded)) * 10000) / 10000,
    worstDelivered: Math.round(worst * 10000) / 10000,
    duplicates: counters.reduce((a, c) => a + c.duplicates, 0),
    subscribersWithDuplicates: counters.filter((c) => c.duplicates > 0).length,
    lost: counters.reduce((a, c) => a + c.holes, 0),
    subscribersWithLoss: counters.filter((c) => c.holes > 0).length,
    rssMb: Math.round((rssKb(pid).rss / 1024) * 10) / 10,
    setupS: Math.round(setupS * 10) / 10,
    perProcess,
  };
}
