/**
 * Recording through the real stack (issue 13): VideoRoom publishers (`record`/`filename` on
 * configure, `enable_recording`) and the EchoTest (`record`/`filename`) make the relay write Janus
 * `.mjr` files under Janus's names, and each closed file reaches the event handlers as a type-64
 * `recordingdone`; refusals are Janus errors that change nothing. The two media tests need the relay
 * side of recording (`peer.record`, relay/recording): before it the relay refuses the command ("not
 * supported") and they fail; the refusals pass on the edge alone.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../shared/janus/events.js';
import { Webhook, waitUntil } from '../blackbox/support/janus.js';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { JanusWs } from '../support/janusWs.js';
import type { Stack } from '../support/stack.js';
import { Participant, publish } from './support/participant.js';
import { startRecordingStack, type RecordingStack } from './support/recordingStack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A closed `.mjr` file: Janus's header (MJR00002) and more than the header. */
async function expectRecording(path: string): Promise<void> {
  const head = (await readFile(path)).subarray(0, 8).toString('latin1');
  expect(head, path).toBe('MJR00002');
  expect((await stat(path)).size, path).toBeGreaterThan(200);
}

describe('recording through edge and relay', () => {
  let rec: RecordingStack | undefined;
  let stack: Stack;
  let hook: Webhook;
  let root: string;
  beforeAll(async () => {
    rec = await startRecordingStack('rec-e2e-', (root) => ({ RELAY_RECORDINGS_DIR: join(root, 'default') }));
    ({ stack, hook, root } = rec);
  });
  afterAll(() => rec?.stop());

  /** The `recordingdone` events handlers got for files under `dir`. */
  const closedIn = (dir: string) =>
    hook.events
      .filter((e) => e.type === EventType.PLUGIN)
      .map((e) => (e.event as { plugin: string; data: Record<string, any> }).data)
      .filter((d) => d.event === 'recordingdone' && String(d.path).startsWith(`${dir}/`));

  it('refusals reach the client as Janus errors and change nothing: lock_record on joinandconfigure, paths, RECORDINGS_ROOT', async () => {
    const room = 9_200_000 + Math.floor(Math.random() * 1e5);
    const p = await Participant.connect(stack);
    try {
      expect(await p.sync({ request: 'create', room, secret: 's', lock_record: true })).toMatchObject({
        videoroom: 'created',
      });
      const refused = await p.ask({ request: 'joinandconfigure', ptype: 'publisher', room, id: 1, record: true });
      expect(refused.plugindata.data).toEqual({
        videoroom: 'event',
        error_code: 429,
        error: 'Missing mandatory element (secret)',
      });
      expect((await p.sync({ request: 'listparticipants', room })).participants).toEqual([]);
      const joined = await p.ask({
        request: 'joinandconfigure',
        ptype: 'publisher',
        room,
        id: 1,
        record: true,
        secret: 's',
      });
      expect(joined.plugindata.data).toMatchObject({ videoroom: 'joined', id: 1 });
      const bad = async (body: Record<string, unknown>) =>
        (await p.ask({ request: 'configure', secret: 's', ...body })).plugindata.data;
      expect(await bad({ filename: 'a/b' })).toMatchObject({
        error_code: 430,
        error: 'Invalid element (filename: a file name or an absolute path)',
      });
      expect(await bad({ filename: '/etc/alice' })).toMatchObject({
        error_code: 430,
        error: `Invalid element (filename: outside the recordings root ${root})`,
      });
      expect(await bad({ record: 'yes' })).toMatchObject({ error_code: 430 });
      expect(await bad({ record: false, secret: 'x' })).toMatchObject({ error_code: 433 });
      expect(await bad({ record: false })).toMatchObject({ configured: 'ok' });
    } finally {
      await p.close();
    }
  });

  it('a VideoRoom publisher records under its filename, then every publisher under Janus names with enable_recording', async () => {
    const room = 9_100_000 + Math.floor(Math.random() * 1e5);
    const recDir = join(root, `room-${room}`);
    const admin = await Participant.connect(stack);
    expect((await admin.sync({ request: 'create', room, rec_dir: '/etc', secret: 's' })).error_code).toBe(430);
    expect(await admin.sync({ request: 'create', room, rec_dir: recDir, secret: 's' })).toMatchObject({
      videoroom: 'created',
    });
    const list = (await admin.sync({ request: 'list' })).list as Array<Record<string, unknown>>;
    expect(list.find((r) => r.room === room)).toMatchObject({ record: false, rec_dir: recDir, lock_record: false });

    const pub = await Participant.connect(stack);
    expect((await pub.ask({ request: 'join', ptype: 'publisher', room, id: 1 })).plugindata.data.videoroom).toBe(
      'joined',
    );
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const video = client.addMedia('video');
    const ev = await pub.ask(
      { request: 'configure', audio: true, video: true, record: true, filename: 'alice' },
      { type: 'offer', sdp: await client.createOffer() },
    );
    expect(ev.plugindata.data).toMatchObject({ videoroom: 'event', configured: 'ok' });
    await client.acceptAnswer(ev.jsep.sdp);
    await pub.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === pub.handleId, 15_000, 'webrtcup');
    client.startSending(audio, 20);
    client.startSending(video, 33);
    try {
      await sleep(1500);
      // Stopping closes the files; handlers hear of each.
      expect((await pub.ask({ request: 'configure', record: false })).plugindata.data).toMatchObject({
        configured: 'ok',
      });
      await waitUntil(() => closedIn(recDir).length >= 2, 10_000, 'recordingdone for alice');
      expect((await readdir(recDir)).sort()).toEqual(['alice-audio-0.mjr', 'alice-video-1.mjr']);
      for (const f of ['alice-audio-0.mjr', 'alice-video-1.mjr']) await expectRecording(join(recDir, f));
      expect(closedIn(recDir)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            room,
            id: 1,
            media: 'audio',
            path: join(recDir, 'alice-audio-0.mjr'),
            size: expect.any(Number) as unknown,
            duration: expect.any(Number) as unknown,
            damaged: false,
          }),
        ]),
      );

      // enable_recording: the room records every publisher: alice still under her filename (as in
      // Janus, a publisher's filename lasts as long as its PeerConnection), bob under Janus's
      // videoroom-<room>-user-<id>-<µs>.
      const bob = await Participant.connect(stack);
      expect((await bob.ask({ request: 'join', ptype: 'publisher', room, id: 2 })).plugindata.data.videoroom).toBe(
        'joined',
      );
      const bobClient = new EchoClient();
      const bobVideo = bobClient.addMedia('video');
      const bobAudio = bobClient.addMedia('audio');
      const bobEv = await bob.ask(
        { request: 'configure', audio: true, video: true },
        { type: 'offer', sdp: await bobClient.createOffer() },
      );
      await bobClient.acceptAnswer(bobEv.jsep.sdp);
      await bob.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === bob.handleId, 15_000, 'bob webrtcup');
      bobClient.startSending(bobVideo, 33);
      bobClient.startSending(bobAudio, 20);
      expect(await admin.sync({ request: 'enable_recording', room, record: true })).toMatchObject({
        error_code: 429,
      });
      expect(await admin.sync({ request: 'enable_recording', room, secret: 's', record: true })).toEqual({
        videoroom: 'success',
        record: true,
      });
      await sleep(1500);
      expect((await pub.ask({ request: 'unpublish' })).plugindata.data).toMatchObject({ unpublished: 'ok' });
      expect((await bob.ask({ request: 'unpublish' })).plugindata.data).toMatchObject({ unpublished: 'ok' });
      await bobClient.close();
      await bob.close();
      await waitUntil(() => closedIn(recDir).length >= 6, 20_000, 'recordingdone after unpublish');
      expect(closedIn(recDir).filter((d) => d.id === 1 && String(d.path).includes('/alice-'))).toHaveLength(4);
      const named = (await readdir(recDir)).filter((f) => f.startsWith(`videoroom-${room}-user-2-`)).sort();
      expect(named).toHaveLength(2);
      expect(named[0]).toMatch(new RegExp(`^videoroom-${room}-user-2-\\d{16}-audio-1\\.mjr$`));
      expect(named[1]).toMatch(new RegExp(`^videoroom-${room}-user-2-\\d{16}-video-0\\.mjr$`));
      for (const f of named) await expectRecording(join(recDir, f));
      // No client ever hears of a recording closing (Janus says nothing).
      expect(pub.janus.events.some((m) => JSON.stringify(m).includes('recordingdone'))).toBe(false);
    } finally {
      await client.close();
      await pub.close();
      await admin.close();
    }
  });

  it('a remote publisher in a recorded room is recorded where its RTP arrives, and its files close when it is removed', async () => {
    const source = 9_300_000 + Math.floor(Math.random() * 1e5);
    const target = source + 1;
    const recDir = join(root, `remote-${target}`);
    const admin = await Participant.connect(stack);
    expect((await admin.sync({ request: 'create', room: source })).videoroom).toBe('created');
    expect(
      (await admin.sync({ request: 'create', room: target, secret: 'rt', record: true, rec_dir: recDir })).videoroom,
    ).toBe('created');
    const pub = await publish(stack, source, 1);
    pub.client.startSending(pub.video, 20);
    pub.client.startSending(pub.audio, 20);
    try {
      const streams = pub.client.pc.getTransceivers().map((t, mindex) => ({
        mid: t.mid!,
        mindex,
        type: t.kind,
        codec: t.kind === 'audio' ? 'opus' : 'vp8',
      }));
      const added = await admin.sync({ request: 'add_remote_publisher', room: target, secret: 'rt', id: 77, streams });
      expect(added.videoroom, JSON.stringify(added)).toBe('success');
      const remotely = await admin.sync({
        request: 'publish_remotely',
        room: source,
        publisher_id: 1,
        remote_id: 'rec',
        host: '127.0.0.1',
        port: added.port,
        rtcp_port: added.rtcp_port,
      });
      expect(remotely.videoroom, JSON.stringify(remotely)).toBe('success');
      await sleep(2000);
      expect(
        (await admin.sync({ request: 'remove_remote_publisher', room: target, secret: 'rt', id: 77 })).videoroom,
      ).toBe('success');
      // Its handle never existed: the relay hands back what the room gave it, and handlers hear of each file.
      await waitUntil(() => closedIn(recDir).length >= 2, 10_000, 'recordingdone for the remote publisher');
      expect(closedIn(recDir)).toEqual(
        expect.arrayContaining([expect.objectContaining({ room: target, id: 77, media: 'video', damaged: false })]),
      );
      const files = (await readdir(recDir)).sort();
      expect(files).toHaveLength(2);
      expect(files[0]).toMatch(new RegExp(`^videoroom-${target}-user-77-\\d{16}-audio-0\\.mjr$`));
      expect(files[1]).toMatch(new RegExp(`^videoroom-${target}-user-77-\\d{16}-video-1\\.mjr$`));
      for (const f of files) await expectRecording(join(recDir, f));
    } finally {
      await pub.client.close();
      await pub.p.close();
      await admin.close();
    }
  });

  it('the EchoTest records its echo per kind under the filename’s folder', async () => {
    const dir = join(root, 'echo');
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, 'janus.plugin.echotest');
    const client = new EchoClient();
    const keys = [client.addMedia('audio'), client.addMedia('video')];
    const ack = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: { audio: true, video: true, record: true, filename: join(dir, 'e1') },
      jsep: { type: 'offer', sdp: await client.createOffer() },
    });
    const ev = await janus.waitEvent((m) => m.transaction === ack.transaction && m.janus === 'event', 15_000, 'answer');
    expect(ev.plugindata.data).toEqual({ echotest: 'event', result: 'ok' });
    await client.acceptAnswer(ev.jsep.sdp);
    await client.connected(15_000);
    try {
      for (const key of keys) client.startSending(key, 20);
      await waitFor(() => client.echoedTags.video.size > 20, 10_000, 'echoed video');
      await janus.request({ janus: 'hangup', session_id: sessionId, handle_id: handleId });
      await waitUntil(() => closedIn(dir).length >= 2, 10_000, 'recordingdone for the echo');
      expect((await readdir(dir)).sort()).toEqual(['e1-audio.mjr', 'e1-video.mjr']);
      for (const f of ['e1-audio.mjr', 'e1-video.mjr']) await expectRecording(join(dir, f));
    } finally {
      await client.close();
      await janus.close();
    }
  });
});
