/**
 * bench:fanout's kernel floor: what sending the same datagrams costs a process that does nothing
 * else, measured in the same run as the servers. On loopback the kernel delivers a datagram into the
 * receiving socket (and wakes its reader) inside the sender's sendto(2), so most of a forwarding
 * server's CPU per packet is this floor, and it moves from day to day with the machine (the same
 * relay measured 7.4 and 12.2 µs at 100 subscribers on two days). `ours − floor` is what the relay
 * costs beyond a bare sender: its own work, and what its sends cost the kernel beyond the floor's.
 *
 * The sender (floorSender.ts) has one socket per destination and uses the relay's own send path;
 * the destinations are plain dgram sockets in this process that count what arrives, as the
 * subscribers count without decrypting.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createSocket, type Socket } from 'node:dgram';
import { readStat } from '../support/proc.js';
import type { FanoutOptions } from './measure.js';

/** About the size of the forwarded VP8 packets: 200-byte payload, RTP header and extensions, SRTP tag. */
const DATAGRAM_BYTES = 240;

export interface FloorRow {
  subscribers: number;
  /** CPU µs of the sending process per datagram. */
  usPerDatagram: number;
  delivered: number;
  /** Whether the sender used direct sendto(2) like the relay (koffi loaded), else dgram.send. */
  direct: boolean;
}

type SenderReply = { type: 'ready'; direct: boolean } | { type: 'count'; sent: number; tick: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureKernelFloor(n: number, opts: FanoutOptions): Promise<FloorRow> {
  const receivers: Socket[] = [];
  // datagrams received, by the sender's tick they were sent in: the window is exact whatever the
  // reader's lag behind the sender
  const byTick = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const s = createSocket('udp4');
    s.on('message', (d: Buffer) => {
      const t = d.readUInt32BE(0);
      byTick.set(t, (byTick.get(t) ?? 0) + 1);
    });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    receivers.push(s);
  }
  const ports = receivers.map((s) => s.address().port).join(',');
  // fork keeps this process's execArgv: tsx's loader runs the sender's TypeScript too
  const child = fork(new URL('./floorSender.ts', import.meta.url), [ports, String(DATAGRAM_BYTES), String(opts.pps)]);
  const exited = once(child, 'exit').then(() => {
    throw new Error('floor sender exited');
  });
  exited.catch(() => undefined);
  /** The sender's next reply, after sending it `request` if given. */
  const reply = async (request?: string): Promise<SenderReply> => {
    const next = once(child, 'message');
    if (request) child.send(request);
    const [m] = await Promise.race([next, exited]);
    return m as SenderReply;
  };
  try {
    const ready = await reply();
    if (ready.type !== 'ready') throw new Error(`floor sender answered ${ready.type}`);
    const sentSoFar = async () => {
      const r = await reply('count');
      if (r.type !== 'count') throw new Error(`floor sender answered ${r.type}`);
      return r;
    };
    child.send('start');
    await sleep(opts.warmup * 1000);
    const cpu0 = readStat(child.pid!)?.cpuMs ?? NaN;
    const from = await sentSoFar();
    await sleep(opts.seconds * 1000);
    const cpu1 = readStat(child.pid!)?.cpuMs ?? NaN;
    const to = await sentSoFar();
    child.send('stop');
    await sleep(300); // the last datagrams read
    const sent = to.sent - from.sent;
    let got = 0;
    for (let t = from.tick; t < to.tick; t++) got += byTick.get(t) ?? 0;
    return {
      subscribers: n,
      usPerDatagram: Math.round((((cpu1 - cpu0) * 1000) / Math.max(1, sent)) * 100) / 100,
      delivered: Math.round((got / Math.max(1, sent)) * 10000) / 10000,
      direct: ready.direct,
    };
  } finally {
    child.kill();
    for (const s of receivers) s.close();
  }
}
