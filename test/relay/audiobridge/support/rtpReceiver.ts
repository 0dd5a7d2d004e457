import { createSocket } from 'node:dgram';
import { g711Decode } from '../../../../relay/audiobridge/g711.js';
import { OpusDecoder } from '../../../../relay/audiobridge/opus.js';
import { toneAmplitude } from './goertzel.js';

/** A UDP receiver of a forwarder's RTP: the payload type, SSRC and decoded PCM (48 kHz Opus or 8 kHz G.711). */
export function rtpReceiver(codec: 'opus' | 'pcmu') {
  const socket = createSocket('udp4');
  const decoder = codec === 'opus' ? new OpusDecoder(48000) : undefined;
  const pcm: number[] = [];
  const got = { packets: 0, pt: -1, ssrc: -1, seqs: [] as number[] };
  const frame = new Int16Array(5760);
  socket.on('message', (m) => {
    got.packets++;
    got.pt = m[1]! & 0x7f;
    got.ssrc = m.readUInt32BE(8);
    got.seqs.push(m.readUInt16BE(2));
    const n = decoder ? decoder.decode(m.subarray(12), frame) : g711Decode('pcmu', m.subarray(12), frame);
    for (let i = 0; i < n; i++) pcm.push(frame[i]!);
  });
  return {
    got,
    rate: codec === 'opus' ? 48000 : 8000,
    level(freq: number, ms = 400): number {
      const n = Math.round((this.rate * ms) / 1000);
      return toneAmplitude(Int16Array.from(pcm.slice(-n)), this.rate, freq);
    },
    async bind(): Promise<number> {
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      return socket.address().port;
    },
    async close(): Promise<void> {
      decoder?.close();
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
