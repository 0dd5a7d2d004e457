/**
 * Micro-benchmark of the relay's SRTP path (relay/srtp/: libcrypto through koffi, and the Node-crypto
 * fallback) against werift's, per RTP packet, for both profiles the relay negotiates:
 *
 *   npx tsx bench/fanout/srtp.ts [--packets=50000] [--size=1100]
 *
 * Prints µs of CPU per protected packet (process.cpuUsage over the loop, after a warm-up).
 */
import { randomBytes } from 'node:crypto';
import { arg, positiveInt } from '../support/args.js';
import { createProtector, srtpImplementation } from '../../relay/srtp/protector.js';
import { RolloverCounter } from '../../relay/srtp/rollover.js';
import { benchHeader, srtpCases } from './srtpCases.js';

const PACKETS = positiveInt(arg('packets'), 50_000, '--packets');
const SIZE = positiveInt(arg('size'), 1100, '--size');

function cpuUs(n: number, f: (i: number) => void): number {
  for (let i = 0; i < 3000; i++) f(i);
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

const payload = randomBytes(SIZE);
const { header, bytes: hb } = benchHeader();

console.log(`# SRTP protect, ${SIZE}-byte payload, ${PACKETS} packets, µs CPU per packet`);
const native = srtpImplementation() === 'libcrypto';
console.log(
  '| profile | werift SrtpSession | relay/srtp, Node crypto | relay/srtp, libcrypto | werift / best |\n|---|---:|---:|---:|---:|',
);
for (const { name, ours, key, salt, werift: session } of srtpCases()) {
  const w = session();
  const node = createProtector(ours, key, salt, 'node');
  const lc = native ? createProtector(ours, key, salt, 'libcrypto') : undefined;
  const werift = cpuUs(PACKETS, (i) => {
    header.sequenceNumber = i & 0xffff;
    w.encrypt(payload, header);
  });
  const relay = (p: typeof node): number => {
    const roc = new RolloverCounter();
    return cpuUs(PACKETS, (i) => {
      const seq = i & 0xffff;
      hb.writeUInt16BE(seq, 2);
      p.protectRtpInto(hb, hb.length, payload, 0x1234, seq, roc.next(seq));
    });
  };
  const viaNode = relay(node);
  const viaLc = lc ? relay(lc) : undefined;
  const best = Math.min(viaNode, viaLc ?? Infinity);
  console.log(
    `| ${name} | ${werift.toFixed(2)} | ${viaNode.toFixed(2)} | ${viaLc?.toFixed(2) ?? 'unavailable'} | ${(werift / best).toFixed(1)}x |`,
  );
}
