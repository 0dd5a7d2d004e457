import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MjrFile } from '../../relay/recording/mjrReader.js';
import { streamInto } from '../relay/recording/media.js';
import { PubClient } from '../relay/sfu/support.js';
import { waitFor } from '../relay/support/client.js';
import { JanusWs } from '../support/janusWs.js';
import { iceOn } from '../support/referenceNet.js';
import { Viewer } from './viewer.js';

const RP = 'janus.plugin.recordplay';
let nextClient = 100;

/**
 * One Record&Play recording script against a server (the reference Janus or ours), recording as `id`
 * into `folder`: every answer (ids written as ID), the `.nfo` written (date as DATE), the frames of the
 * files and the packets a viewer gets from playing the recording.
 */
export async function runRecord(wsUrl: string, iceAddress: string, folder: string, id: number) {
  const janus = await JanusWs.connect(wsUrl);
  const session = await janus.createSession();
  const normalize = (v: unknown): unknown => {
    if (v === id) return 'ID';
    if (typeof v === 'string') return v.replaceAll(String(id), 'ID');
    if (Array.isArray(v)) return v.map(normalize);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
    return v ?? null;
  };
  let jsepSdp = '';
  /** A handle of the session; its `answered` sends a request and returns the answer (event or error). */
  const attach = async () => {
    const handleId = await janus.attach(session, RP);
    const send = (body: Record<string, unknown>, jsep?: Record<string, unknown>) =>
      janus.request({ janus: 'message', session_id: session, handle_id: handleId, body, ...(jsep ? { jsep } : {}) });
    const answered = async (body: Record<string, unknown>, jsep?: Record<string, unknown>) => {
      const r = await send(body, jsep);
      if (r.janus !== 'ack') return { janus: r.janus, data: normalize(r.plugindata?.data), error: r.error };
      const ev = await janus.waitEvent((m) => m.janus === 'event' && m.transaction === r.transaction, 15_000, 'event');
      jsepSdp = ev.jsep?.sdp ?? '';
      return { janus: 'event', data: normalize(ev.plugindata.data), jsep: ev.jsep?.type };
    };
    return { send, answered };
  };
  const pub = new PubClient(nextClient++);
  iceOn(pub.pc, iceAddress);
  const offer = { type: 'offer', sdp: await pub.offer() };
  const transcript: Record<string, unknown> = {};
  for (const [name, [body, jsep]] of Object.entries({
    noOffer: [{ request: 'record', name: 'x' }, undefined],
    noName: [{ request: 'record' }, offer],
    emptyName: [{ request: 'record', name: '' }, offer],
    badId: [{ request: 'record', name: 'x', id: 'x' }, offer],
    existing: [{ request: 'record', name: 'x', id: 4242 }, offer],
  } as Record<string, [Record<string, unknown>, Record<string, unknown> | undefined]>)) {
    // each on a handle of its own: Janus's core takes one first offer per handle
    transcript[name] = await (await attach()).answered(body, jsep);
    // our gateway takes at most 5 offers a second from a session
    await new Promise((r) => setTimeout(r, 250));
  }
  const { send, answered } = await attach();
  transcript.record = await answered({ request: 'record', name: 'Compared', id }, offer);
  if (!jsepSdp) throw new Error(`no answer to record: ${JSON.stringify(transcript)}`);
  await pub.accept(jsepSdp);
  await pub.connected();
  const src = await streamInto(pub, {
    seconds: 2,
    video: { width: 176, height: 144, fps: 15, kbps: 200 },
    audio: true,
  });
  await src.done;
  await new Promise((r) => setTimeout(r, 300));
  transcript.stop = await answered({ request: 'stop' });
  await waitFor(() => janus.events.some((m) => m.plugindata?.data?.result === 'done'), 5_000, 'done');
  await pub.pc.close();
  const nfoPath = join(folder, `${id}.nfo`);
  await waitFor(
    () => {
      try {
        return readFileSync(nfoPath, 'utf8');
      } catch {
        return undefined;
      }
    },
    5_000,
    '.nfo',
  );
  const nfo = String(normalize(readFileSync(nfoPath, 'utf8').replace(/date = .*\r\n/, 'date = DATE\r\n')));
  const frames: Record<string, number> = {};
  for (const kind of ['audio', 'video']) {
    const mjr = await MjrFile.open(join(folder, `rec-${id}-${kind}.mjr`));
    frames[kind] = mjr.index.frames.length;
    await mjr.close();
  }
  await send({ request: 'update' });
  const list = await answered({ request: 'list' });
  const entry = (list.data as { list: Array<{ id: string; date?: string }> }).list.find((e) => e.id === 'ID');
  if (entry) delete entry.date;
  transcript.listed = entry;
  janus.events.length = 0; // the recording's `done` is not the playout's
  transcript.play = await answered({ request: 'play', id });
  const viewer = new Viewer(iceAddress);
  transcript.start = await answered({ request: 'start' }, { type: 'answer', sdp: await viewer.answer(jsepSdp) });
  await janus.waitEvent((m) => m.plugindata?.data?.result === 'done', 20_000, 'playout done');
  await janus.close();
  await viewer.pc.close();
  const played = { audio: viewer.got.audio.length, video: viewer.got.video.length };
  return { transcript, nfo, frames, played, sent: { audio: src.sent.audio.packets, video: src.sent.video.packets } };
}
