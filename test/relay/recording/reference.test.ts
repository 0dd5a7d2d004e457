import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { MediaStreamTrack } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeerConnection } from '../../../relay/peer/factory.js';
import { disableDefaultStun, hardenDtls } from '../../../relay/peer/werift.js';
import { referenceJanusAvailable, startReferenceJanus, type ReferenceJanus } from '../../support/janusReference.js';
import { hostAddress, iceOn } from '../../support/referenceNet.js';
import { PubClient } from '../sfu/support.js';
import { recordingEvents, recordingFixture } from './fixture.js';
import { have, streamInto, type MediaClient } from './media.js';
import { parseMjr, rtpOf } from './mjrParse.js';

/**
 * The same media recorded by the reference Janus's EchoTest and by the relay's: the files must have
 * the same layout (magic, JSON header text and keys, frame headers, the recorder's sequence and
 * timestamp rewriting) and janus-pp-rec must read both alike.
 */

const tools = referenceJanusAvailable() && have('ffmpeg') && have('janus-pp-rec');
if (!tools) process.stderr.write('reference recording test skipped: janus, ffmpeg or janus-pp-rec is missing\n');
const fx = recordingFixture([44400, 44499]);
let janus: ReferenceJanus | undefined;

beforeAll(async () => {
  if (tools) janus = await startReferenceJanus();
});
afterAll(() => janus?.stop());

async function post(url: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({ ...body, transaction: Math.random().toString(36).slice(2) }),
  });
  return (await r.json()) as Record<string, any>;
}

async function pollEvent(url: string, pred: (e: Record<string, any>) => boolean): Promise<Record<string, any>> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const r = await fetch(`${url}?maxev=5&rid=${Date.now()}`);
    const body = (await r.json()) as Record<string, any> | Array<Record<string, any>>;
    for (const e of Array.isArray(body) ? body : [body]) if (pred(e)) return e;
  }
  throw new Error('no such event from the reference Janus');
}

/** A werift client of the reference Janus: sendonly audio + video on the host's address. */
async function referenceClient(): Promise<MediaClient & { offer: string; close(): Promise<void> }> {
  const addr = hostAddress();
  const pc = createPeerConnection({ bindAddress: addr, announcedAddress: addr });
  iceOn(pc, addr);
  const audio = pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
  const video = pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
  const offer = await pc.createOffer();
  disableDefaultStun(pc);
  await pc.setLocalDescription(offer);
  hardenDtls(pc);
  return { pc, audio, video, offer: pc.localDescription!.sdp, close: () => pc.close() };
}

/** The header text of a file, with the times blanked. */
const headerShape = (text: string | undefined) => text?.replace(/\d{10,}/g, 'T');

describe.skipIf(!tools)('recordings compared with the reference Janus (EchoTest)', () => {
  it('the same layout, header text and rewriting; janus-pp-rec reads both', async () => {
    const dir = join(fx.root, 'reference');
    // the reference Janus
    const url = janus!.httpUrl;
    const session = (await post(url, { janus: 'create' })).data.id as number;
    const handle = (await post(`${url}/${session}`, { janus: 'attach', plugin: 'janus.plugin.echotest' })).data
      .id as number;
    const ref = await referenceClient();
    await post(`${url}/${session}/${handle}`, {
      janus: 'message',
      body: { audio: true, video: true },
      jsep: { type: 'offer', sdp: ref.offer },
    });
    const answer = await pollEvent(`${url}/${session}`, (e) => e.jsep?.type === 'answer');
    await ref.pc.setRemoteDescription(answer.jsep);
    hardenDtls(ref.pc);
    await ref.pc.connectionStateChange.watch((s) => s === 'connected', 10_000);
    await post(`${url}/${session}/${handle}`, {
      janus: 'message',
      body: { record: true, filename: join(dir, 'janus') },
    });
    // the relay
    const ours = fx.track(new PubClient(1));
    const created = await fx.link.call({
      op: 'peer.create',
      sessionId: 9100,
      handleId: 1,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await ours.offer() },
      options: {},
    });
    await ours.accept((created as { answer: { sdp: string } }).answer.sdp);
    await ours.connected();
    await fx.link.call({
      op: 'peer.record',
      sessionId: 9100,
      handleId: 1,
      record: true,
      dir,
      base: 'relay',
      naming: 'kind',
    });

    const media = { seconds: 3, video: { width: 320, height: 240, fps: 30, kbps: 300 }, audio: true };
    const [a, b] = await Promise.all([streamInto(ref, media), streamInto(ours, media)]);
    await Promise.all([a.done, b.done]);
    await post(`${url}/${session}/${handle}`, { janus: 'message', body: { record: false } });
    await fx.link.call({ op: 'peer.record', sessionId: 9100, handleId: 1, record: false });
    await post(`${url}/${session}`, { janus: 'destroy' });
    await ref.close();
    expect(recordingEvents(fx.link, 9100, 1)).toHaveLength(2);

    for (const kind of ['audio', 'video'] as const) {
      const theirs = parseMjr(join(dir, `janus-${kind}.mjr`));
      const mine = parseMjr(join(dir, `relay-${kind}.mjr`));
      if (process.env.REC_DEBUG)
        process.stderr.write(
          `${theirs.headerText} ${theirs.frames.length}\n${mine.headerText} ${mine.frames.length}\n`,
        );
      expect(mine.magic).toBe(theirs.magic);
      expect(headerShape(mine.headerText)).toBe(headerShape(theirs.headerText));
      expect(theirs.frames.length).toBeGreaterThan(20);
      expect(mine.frames.length).toBeGreaterThan(20);
      expect(mine.trailing).toBe(theirs.trailing);
      for (const f of [theirs, mine]) {
        const first = rtpOf(f.frames[0]!.bytes);
        expect([first.seq, first.ts, f.frames[0]!.relMs]).toEqual([1, 0, 0]);
        const rtp = f.frames.map((x) => rtpOf(x.bytes));
        expect(new Set(rtp.map((x) => x.ssrc)).size).toBe(1);
      }
      for (const who of ['janus', 'relay']) {
        const out = join(dir, `${who}-${kind}.${kind === 'audio' ? 'opus' : 'webm'}`);
        const r = spawnSync('janus-pp-rec', [join(dir, `${who}-${kind}.mjr`), out]);
        expect(r.status, `${who} ${kind}: ${r.stdout.toString()}`).toBe(0);
      }
    }
  });
});
