import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { adminPost } from '../support/echoCall.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Janus's packet captures (admin start_pcap / start_text2pcap / stop_*) of an EchoTest call through the
 * edge and a relay: the file holds the call's clear RTP (the client's tagged payloads) both ways, the
 * replies and errors are Janus's, and as in Janus a capture belongs to the handle: started before its
 * PeerConnection, it covers it from the first packet, and the handle's next one too.
 */

const ECHO = 'janus.plugin.echotest';

interface PcapRecord {
  incoming: boolean;
  /** The captured bytes (the packet, or its first `truncate` bytes). */
  data: Buffer;
  /** The packet's length before truncation. */
  length: number;
}

/** Reads a libpcap file of Janus's made-up Ethernet/IPv4/UDP envelopes; fails on anything else. */
function readPcap(file: Buffer): PcapRecord[] {
  expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect([file.readUInt16LE(4), file.readUInt16LE(6), file.readUInt32LE(20)]).toEqual([2, 4, 1]);
  const out: PcapRecord[] = [];
  for (let at = 24; at < file.length;) {
    const incl = file.readUInt32LE(at + 8);
    const orig = file.readUInt32LE(at + 12);
    const frame = file.subarray(at + 16, at + 16 + incl);
    expect(frame.readUInt16BE(12)).toBe(0x0800);
    expect(frame[23]).toBe(17); // UDP
    const src = [...frame.subarray(26, 30)].join('.');
    const srcPort = frame.readUInt16BE(34);
    expect(frame.readUInt16BE(38)).toBe(orig - 34); // UDP length: header + the whole packet
    out.push({ incoming: src === '10.1.1.1' && srcPort === 1000, data: frame.subarray(42), length: orig - 42 });
    at += 16 + incl;
  }
  return out;
}

/** The tag EchoClient writes after its 0x7e marker, if `rtp` carries one. */
function tagOf(rtp: Buffer): number | undefined {
  const csrcs = rtp[0]! & 0x0f;
  let off = 12 + 4 * csrcs;
  if (rtp[0]! & 0x10) off += 4 + 4 * rtp.readUInt16BE(off + 2);
  return rtp[off] === 0x7e && rtp.length >= off + 5 ? rtp.readUInt32BE(off + 1) : undefined;
}

const isRtcp = (p: Buffer) => p[1]! >= 192 && p[1]! <= 208;

describe('packet captures of a handle (admin start_pcap / start_text2pcap)', () => {
  let stack: Stack;
  let root: string;
  let admin: (body: Record<string, unknown>) => Promise<any>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'janus-capture-'));
    stack = await startStack({ SESSION_TIMEOUT: '60', RELAY_RECORDINGS_ROOT: root, RELAY_RECORDINGS_DIR: root });
    admin = (body) => adminPost(stack, body);
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function call() {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const client = new EchoClient();
    const keys = [client.addMedia('audio'), client.addMedia('video')];
    const ack = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: { audio: true, video: true },
      jsep: { type: 'offer', sdp: await client.createOffer() },
    });
    const ev = await janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction, 15_000, 'answer');
    await client.acceptAnswer(ev.jsep.sdp);
    await client.connected(15_000);
    await janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === handleId, 10_000, 'webrtcup');
    const at = { session_id: sessionId, handle_id: handleId };
    const close = async () => {
      await client.close();
      await janus.request({ janus: 'destroy', session_id: sessionId });
      await janus.close();
    };
    return { janus, client, keys, at, close };
  }

  it('captures the clear RTP both ways into a pcap file, with Janus replies and errors', async () => {
    const { client, keys, at, close } = await call();
    const path = join(root, 'call.pcap');
    const started = await admin({ janus: 'start_pcap', ...at, folder: root, filename: 'call.pcap' });
    expect(started).toEqual({ janus: 'success', transaction: 'a' });
    const again = await admin({ janus: 'start_text2pcap', ...at });
    expect(again.error).toEqual({ code: 490, reason: 'text2pcap already started' });
    const info = await admin({ janus: 'handle_info', ...at });
    expect(info.info['dump-to-pcap']).toBe(true);
    expect(info.info['pcap-file']).toBe(path);

    for (const key of keys) client.startSending(key, 20);
    await waitFor(() => client.echoedTags.audio.size > 10 && client.echoedTags.video.size > 10, 10_000, 'echo');
    for (const key of keys) client.stopSending(key);
    expect(await admin({ janus: 'stop_pcap', ...at })).toEqual({ janus: 'success', transaction: 'a' });
    const stopped = await admin({ janus: 'stop_pcap', ...at });
    expect(stopped.error).toEqual({ code: 490, reason: 'Capture not started' });
    expect((await admin({ janus: 'handle_info', ...at })).info['dump-to-pcap']).toBeUndefined();

    const records = readPcap(readFileSync(path));
    const rtp = (incoming: boolean) => records.filter((r) => r.incoming === incoming && !isRtcp(r.data));
    const sent = new Set([...client.sentTags.audio, ...client.sentTags.video]);
    const inTags = rtp(true).flatMap((r) => tagOf(r.data) ?? []);
    const outTags = rtp(false).flatMap((r) => tagOf(r.data) ?? []);
    // clear payloads: the client's own tags, coming in and echoed back
    expect(inTags.length).toBeGreaterThan(20);
    expect(outTags.length).toBeGreaterThan(20);
    expect(inTags.every((t) => sent.has(t))).toBe(true);
    expect(outTags.every((t) => sent.has(t))).toBe(true);
    await close();
  }, 60_000);

  it('writes text2pcap lines, truncated, complete once the PeerConnection ends', async () => {
    const { janus, client, keys, at, close } = await call();
    expect(await admin({ janus: 'start_text2pcap', ...at, truncate: 16 })).toEqual({
      janus: 'success',
      transaction: 'a',
    });
    const file = (await admin({ janus: 'handle_info', ...at })).info['text2pcap-file'] as string;
    expect(file).toMatch(new RegExp(`^${root}/janus-text2pcap-\\d+\\.txt$`));
    for (const key of keys) client.startSending(key, 20);
    await waitFor(() => client.echoedTags.video.size > 10, 10_000, 'echo');
    await janus.request({ janus: 'hangup', ...at });
    await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === at.handle_id, 5_000, 'hangup');
    // the relay closed the file with the PeerConnection (it is complete now); the handle keeps the
    // capture for its next PeerConnection until stopped, as Janus
    const kept = (await admin({ janus: 'handle_info', ...at })).info;
    expect([kept['dump-to-text2pcap'], kept['text2pcap-file']]).toEqual([true, file.slice(root.length + 1)]);
    expect(await admin({ janus: 'stop_text2pcap', ...at })).toEqual({ janus: 'success', transaction: 'a' });
    const lines = readFileSync(file, 'latin1').split('\r\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(20);
    const line =
      /^([IO]) \d\d:\d\d:\d\d\.\d{6} 000000 ((?: [0-9a-f]{2})+) JANUS_TEXT2PCAP_(RTP|RTCP) \[session=(\d+)\]\[handle=(\d+)\]$/;
    for (const l of lines) {
      const m = line.exec(l);
      expect(m, l).not.toBeNull();
      expect(m![2]!.length / 3).toBeLessThanOrEqual(16);
      expect([Number(m![4]), Number(m![5])]).toEqual([at.session_id, at.handle_id]);
    }
    expect(new Set(lines.map((l) => l[0]))).toEqual(new Set(['I', 'O']));
    await close();
  }, 60_000);

  it('refuses what Janus refuses, and files outside the recordings root', async () => {
    const { at, close } = await call();
    const bad = async (body: Record<string, unknown>) => (await admin({ ...at, ...body })).error;
    expect(await bad({ janus: 'start_pcap', truncate: -1 })).toEqual({
      code: 467,
      reason: 'Invalid element type (truncate should be a positive integer)',
    });
    expect(await bad({ janus: 'start_pcap', truncate: 'x' })).toEqual({
      code: 467,
      reason: 'Invalid element type (truncate should be a positive integer)',
    });
    expect(await bad({ janus: 'start_pcap', folder: 5 })).toEqual({
      code: 467,
      reason: 'Invalid element type (folder should be a string)',
    });
    const outside = { code: 490, reason: 'Error starting pcap dump' };
    expect(await bad({ janus: 'start_pcap', folder: tmpdir() })).toEqual(outside);
    expect(await bad({ janus: 'start_pcap', filename: '../escape.pcap' })).toEqual(outside);
    expect(await bad({ janus: 'start_pcap', folder: '' })).toEqual(outside);
    expect(await bad({ janus: 'start_pcap', filename: 'x'.repeat(256) })).toEqual(outside);
    expect(await bad({ janus: 'start_text2pcap', filename: '../escape.txt' })).toEqual({
      code: 490,
      reason: 'Error starting text2pcap dump',
    });
    expect(readdirSync(root).some((f) => f.startsWith('escape'))).toBe(false);
    // at the session's path, as Janus: not a session request
    const atSession = await admin({ janus: 'start_pcap', session_id: at.session_id });
    expect(atSession.error.code).toBe(457);
    await close();
  }, 60_000);

  it('a capture started before the PeerConnection covers it and the next one of the handle, in one file', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const at = { session_id: sessionId, handle_id: handleId };
    expect(await admin({ janus: 'start_pcap', ...at, filename: 'early.pcap' })).toEqual({
      janus: 'success',
      transaction: 'a',
    });
    const pending = (await admin({ janus: 'handle_info', ...at })).info;
    expect([pending['dump-to-pcap'], pending['pcap-file']]).toEqual([true, 'early.pcap']);
    const tags: number[][] = [];
    for (let round = 0; round < 2; round++) {
      const client = new EchoClient();
      const key = client.addMedia('video');
      const ack = await janus.request({
        janus: 'message',
        ...at,
        body: { audio: true, video: true },
        jsep: { type: 'offer', sdp: await client.createOffer() },
      });
      const ev = await janus.waitEvent((m) => m.jsep && m.transaction === ack.transaction, 15_000, 'answer');
      await client.acceptAnswer(ev.jsep.sdp);
      await client.connected(15_000);
      // the first packet the client sends is already captured
      client.sendOne(key);
      client.startSending(key, 20);
      await waitFor(() => client.echoedTags.video.size > 5, 10_000, 'echo');
      client.stopSending(key);
      tags.push([...client.sentTags.video]);
      const live = (await admin({ janus: 'handle_info', ...at })).info;
      expect(live['pcap-file']).toBe(join(root, 'early.pcap'));
      await janus.request({ janus: 'hangup', ...at });
      await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 5_000, 'hangup');
      await client.close();
    }
    expect(await admin({ janus: 'stop_pcap', ...at })).toEqual({ janus: 'success', transaction: 'a' });
    const records = readPcap(readFileSync(join(root, 'early.pcap')));
    const captured = new Set(records.filter((r) => r.incoming && !isRtcp(r.data)).flatMap((r) => tagOf(r.data) ?? []));
    for (const round of tags) expect(captured.has(Math.min(...round))).toBe(true);
    // stopped with no PeerConnection, as Janus
    expect((await admin({ janus: 'stop_pcap', ...at })).error).toEqual({ code: 490, reason: 'Capture not started' });
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 60_000);
});
