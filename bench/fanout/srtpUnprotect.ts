/**
 * Micro-benchmark of the relay's inbound SRTP path (relay/srtp/unprotector.ts: libcrypto through
 * koffi, and the Node-crypto fallback, each with its replay window) against werift's SrtpSession,
 * per RTP packet, for both profiles the relay negotiates:
 *
 *   npx tsx bench/fanout/srtpUnprotect.ts [--packets=50000] [--size=1100]
 *
 * Prints µs of CPU per unprotected packet (process.cpuUsage over the loop, after a warm-up). The
 * packets are protected beforehand, in order, so every unprotect sees a fresh index; they are read
 * cold from a working set of tens of MB (a datagram just received is hot), so the "floor" column
 * gives what copying each clear packet into a buffer of its own costs here, which every column pays.
 */
import { randomBytes } from 'node:crypto';
import { arg, positiveInt } from '../support/args.js';
import { createProtector, srtpImplementation, type SrtpImplementation } from '../../relay/srtp/protector.js';
import { RolloverCounter } from '../../relay/srtp/rollover.js';
import { createUnprotector } from '../../relay/srtp/unprotector.js';
import { benchHeader, srtpCases } from './srtpCases.js';

const PACKETS = positiveInt(arg('packets'), 50_000, '--packets');
const SIZE = positiveInt(arg('size'), 1100, '--size');
const WARM_UP = 3000;

function cpuUs(packets: Buffer[], f: (p: Buffer) => void): number {
  for (let i = 0; i < WARM_UP; i++) f(packets[i]!);
  const c0 = process.cpuUsage();
  for (let i = WARM_UP; i < packets.length; i++) f(packets[i]!);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (packets.length - WARM_UP);
}

const payload = randomBytes(SIZE);
const { bytes: hb } = benchHeader();

console.log(`# SRTP unprotect, ${SIZE}-byte payload, ${PACKETS} packets, µs CPU per packet`);
const native = srtpImplementation() === 'libcrypto';
console.log(
  '| profile | floor (copy out) | werift SrtpSession | relay/srtp, Node crypto | relay/srtp, libcrypto | werift / best |\n|---|---:|---:|---:|---:|---:|',
);
for (const { name, ours, key, salt, werift: session } of srtpCases()) {
  const sender = createProtector(ours, key, salt);
  const roc = new RolloverCounter();
  const packets: Buffer[] = [];
  for (let i = 0; i < PACKETS + WARM_UP; i++) {
    const seq = i & 0xffff;
    hb.writeUInt16BE(seq, 2);
    packets.push(sender.protectRtp(hb, hb.length, payload, 0x1234, seq, roc.next(seq)));
  }
  const w = session();
  const werift = cpuUs(packets, (p) => w.decrypt(p));
  const relay = (impl: SrtpImplementation): number => {
    const u = createUnprotector(ours, key, salt, impl);
    return cpuUs(packets, (p) => {
      if (!Buffer.isBuffer(u.unprotectRtp(p))) throw new Error('dropped');
    });
  };
  const viaNode = relay('node');
  const viaLc = native ? relay('libcrypto') : undefined;
  let sink: Buffer | undefined;
  const floor = cpuUs(packets, (p) => (sink = Buffer.from(p.subarray(0, p.length - 10))));
  if (!sink) throw new Error('nothing copied');
  const best = Math.min(viaNode, viaLc ?? Infinity);
  console.log(
    `| ${name} | ${floor.toFixed(2)} | ${werift.toFixed(2)} | ${viaNode.toFixed(2)} | ${viaLc?.toFixed(2) ?? 'unavailable'} | ${(werift / best).toFixed(1)}x |`,
  );
}
