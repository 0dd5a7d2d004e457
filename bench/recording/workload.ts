/**
 * The recording workload over the Janus API, the same for our stack and the reference Janus: one
 * VideoRoom (recorded or not), P werift publishers sending VP8 at a bit rate and Opus-sized audio,
 * measured over a window; then the room is destroyed, which closes every recording.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JanusWs } from '../../test/support/janusWs.js';
import { iceOn } from '../../test/support/referenceNet.js';
import { PubClient, VIDEOROOM } from '../../test/relay/sfu/support.js';
import { videoroom, withTimeout } from '../fanout/reference.js';
import { cpuMsOf, readStat, rssKb } from '../support/proc.js';

const ROOM = 5151;
const REQUEST_TIMEOUT_MS = 15_000;
/** Video payload per packet: with the RTP header and SRTP tag a packet is ~1,150 bytes, as a browser's. */
const VIDEO_PAYLOAD = 1100;
const TICK_MS = 20;

export interface RecordingOptions {
  publishers: number;
  seconds: number;
  /** Video bit rate per publisher, bit/s. */
  rate: number;
  warmup: number;
}

export interface RecordingTarget {
  name: string;
  wsUrl: string;
  /** The process the media goes through (the relay, or janus). */
  serverPid: number;
  /** Every process of the server. */
  stackPids: () => number[];
}

export interface RecordingRow {
  name: string;
  record: boolean;
  packetsPerSecond: number;
  serverUsPerPacket: number;
  stackUsPerPacket: number;
  bytesWritten: number;
  files: number;
  cachedWhileWriting: number;
  cachedAfterClose: number;
  rssKb: number;
}

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Bytes of these files resident in the page cache (util-linux `fincore`; 0 without files). */
function cachedBytes(files: string[]): number {
  if (files.length === 0) return 0;
  const out = execFileSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', ...files], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => sum + Number(line.trim()), 0);
}

export async function runRecordingWorkload(
  target: RecordingTarget,
  opts: RecordingOptions & { record: boolean; recDir: string; clientAddress?: string },
): Promise<RecordingRow> {
  const pubs: PubClient[] = [];
  const conn = await JanusWs.connect(target.wsUrl);
  let keepalive: NodeJS.Timeout | undefined;
  let sender: NodeJS.Timeout | undefined;
  try {
    const session = await conn.createSession();
    keepalive = setInterval(
      () => void conn.request({ janus: 'keepalive', session_id: session }).catch(() => undefined),
      20_000,
    );
    const admin = await withTimeout(conn.attach(session, VIDEOROOM), REQUEST_TIMEOUT_MS, 'attach');
    const created = await conn.request({
      janus: 'message',
      session_id: session,
      handle_id: admin,
      body: {
        request: 'create',
        room: ROOM,
        publishers: opts.publishers,
        videocodec: 'vp8',
        audiocodec: 'opus',
        bitrate: 0,
        fir_freq: 0,
        record: opts.record,
        rec_dir: opts.recDir,
      },
    });
    if (created.plugindata?.data?.videoroom !== 'created')
      throw new Error(`create room: ${JSON.stringify(created).slice(0, 300)}`);
    for (let i = 0; i < opts.publishers; i++) {
      const pub = new PubClient(i + 1);
      pubs.push(pub);
      if (opts.clientAddress) iceOn(pub.pc, opts.clientAddress);
      const handle = await withTimeout(conn.attach(session, VIDEOROOM), REQUEST_TIMEOUT_MS, 'attach');
      const joined = await videoroom(
        conn,
        session,
        handle,
        { request: 'joinandconfigure', room: ROOM, ptype: 'publisher', id: i + 1, display: `pub${i + 1}` },
        { type: 'offer', sdp: await pub.offer() },
      );
      if (joined.jsep?.type !== 'answer') throw new Error(`joinandconfigure: ${JSON.stringify(joined).slice(0, 300)}`);
      await pub.accept(joined.jsep.sdp as string);
      await pub.connected(REQUEST_TIMEOUT_MS);
    }
    // Packets per tick, fractional parts carried over so each publisher keeps its rate.
    const videoPerTick = (opts.rate / (VIDEO_PAYLOAD * 8)) * (TICK_MS / 1000);
    let carry = 0;
    let sent = 0;
    sender = setInterval(() => {
      carry += videoPerTick;
      const n = Math.floor(carry);
      carry -= n;
      for (const pub of pubs) {
        for (let k = 0; k < n; k++) pub.sendVideo(0, VIDEO_PAYLOAD);
        pub.sendAudio();
      }
      sent += pubs.length * (n + 1);
    }, TICK_MS);
    await new Promise((r) => setTimeout(r, opts.warmup * 1000));
    const cpu0 = { server: readStat(target.serverPid)?.cpuMs ?? 0, stack: cpuMsOf(target.stackPids()) };
    const sent0 = sent;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
    const packets = sent - sent0;
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = { server: readStat(target.serverPid)?.cpuMs ?? 0, stack: cpuMsOf(target.stackPids()) };
    const rss = rssKb(target.serverPid).rss;
    const cachedWhileWriting = cachedBytes(filesUnder(opts.recDir));
    clearInterval(sender);
    sender = undefined;
    // Destroying the room ends every publisher, and with them their recordings.
    await conn.request({
      janus: 'message',
      session_id: session,
      handle_id: admin,
      body: { request: 'destroy', room: ROOM },
    });
    await new Promise((r) => setTimeout(r, 2000));
    const files = filesUnder(opts.recDir).filter((f) => f.endsWith('.mjr'));
    return {
      name: target.name,
      record: opts.record,
      packetsPerSecond: packets / elapsed,
      serverUsPerPacket: ((cpu1.server - cpu0.server) * 1000) / packets,
      stackUsPerPacket: ((cpu1.stack - cpu0.stack) * 1000) / packets,
      bytesWritten: files.reduce((sum, f) => sum + statSync(f).size, 0),
      files: files.length,
      cachedWhileWriting,
      cachedAfterClose: cachedBytes(files),
      rssKb: rss,
    };
  } finally {
    if (sender) clearInterval(sender);
    clearInterval(keepalive);
    for (const p of pubs) await p.pc.close().catch(() => undefined);
    await conn.close();
  }
}
