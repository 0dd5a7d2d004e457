/**
 * Admin `set_no_media_timer` and `set_slowlink_threshold` act on the relays, as Janus's act on its
 * ICE loops: the timer decides when a silent stream is reported `receiving: false`, `get_status`
 * reports what is in force, and bad values are refused (467) without changing it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function admin(body: Record<string, unknown>): Promise<any> {
  const res = await fetch(stack.adminUrl, {
    method: 'POST',
    body: JSON.stringify({ transaction: 'a', admin_secret: 'janusoverlord', ...body }),
  });
  return res.json();
}

/** Seconds between the last audio packet sent and the `media` receiving=false event. */
async function silenceReportedAfter(): Promise<number> {
  const janus = await JanusWs.connect(stack.wsUrl);
  const sessionId = await janus.createSession();
  const handleId = await janus.attach(sessionId, 'janus.plugin.echotest');
  const client = new EchoClient();
  const key = client.addMedia('audio');
  const ack = await janus.request({
    janus: 'message',
    session_id: sessionId,
    handle_id: handleId,
    body: { audio: true },
    jsep: { type: 'offer', sdp: await client.createOffer() },
  });
  const ev = await janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction, 15_000, 'answer');
  await client.acceptAnswer(ev.jsep.sdp);
  await client.connected(15_000);
  client.startSending(key, 20);
  await janus.waitEvent((m) => m.janus === 'media' && m.receiving === true, 10_000, 'receiving');
  await waitFor(() => client.echoedTags.audio.size > 5, 10_000, 'echo');
  client.stopSending(key);
  const stoppedAt = Date.now();
  await janus.waitEvent((m) => m.janus === 'media' && m.receiving === false, 10_000, 'receiving false');
  const seconds = (Date.now() - stoppedAt) / 1000;
  await client.close();
  await janus.request({ janus: 'destroy', session_id: sessionId });
  await janus.close();
  return seconds;
}

describe('relay-wide media settings from the admin API', () => {
  it('set_no_media_timer changes when silence is reported; get_status says what is in force', async () => {
    expect((await admin({ janus: 'get_status' })).status.no_media_timer).toBe(1);
    expect(await silenceReportedAfter()).toBeLessThan(2.2);

    expect(await admin({ janus: 'set_no_media_timer', no_media_timer: 4 })).toMatchObject({
      janus: 'success',
      no_media_timer: 4,
    });
    expect((await admin({ janus: 'get_status' })).status.no_media_timer).toBe(4);
    expect(await silenceReportedAfter()).toBeGreaterThan(3.5);

    // Bad values change nothing.
    expect((await admin({ janus: 'set_no_media_timer', no_media_timer: -1 })).error.code).toBe(467);
    expect((await admin({ janus: 'set_no_media_timer' })).error.code).toBe(456);
    expect((await admin({ janus: 'get_status' })).status.no_media_timer).toBe(4);
    await admin({ janus: 'set_no_media_timer', no_media_timer: 1 });
  }, 90_000);

  it('set_slowlink_threshold is stored and reported; bad values are refused', async () => {
    expect(await admin({ janus: 'set_slowlink_threshold', slowlink_threshold: 5 })).toMatchObject({
      janus: 'success',
      slowlink_threshold: 5,
    });
    expect((await admin({ janus: 'get_status' })).status.slowlink_threshold).toBe(5);
    expect((await admin({ janus: 'set_slowlink_threshold', slowlink_threshold: 'x' })).error.code).toBe(467);
    expect((await admin({ janus: 'get_status' })).status.slowlink_threshold).toBe(5);
  });
});
