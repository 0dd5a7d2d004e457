/**
 * Helpers for recording tests through the whole stack: real media from ffmpeg into a werift client
 * (test/relay/recording/media.ts), Janus's own tools on the files, and which `.mjr` files a relay
 * process still holds open (its /proc/<pid>/fd links).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { EchoClient } from '../../relay/support/client.js';
import { have, probe, type MediaClient, type SentStream } from '../../relay/recording/media.js';
import { startStack, type Stack } from '../../support/stack.js';

export const recordingToolsPresent = have('ffmpeg') && have('ffprobe') && have('janus-pp-rec');

/** The werift client as the ffmpeg source wants it: its first audio and video transceivers. */
export function mediaClient(client: EchoClient): MediaClient {
  const ts = client.pc.getTransceivers();
  return { pc: client.pc, audio: ts.find((t) => t.kind === 'audio'), video: ts.find((t) => t.kind === 'video') };
}

/** Paths of the `.mjr` files process `pid` holds open (a file gone between readdir and readlink is skipped). */
export async function openRecordings(pid: number): Promise<string[]> {
  const fds = await readdir(`/proc/${pid}/fd`);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.filter((l) => l.endsWith('.mjr'));
}

/** Waits until `pid` holds no `.mjr` file under `dir` open (the recorder closes asynchronously). */
export async function waitClosed(pid: number, dir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = (await openRecordings(pid)).filter((p) => p.startsWith(`${dir}/`));
    if (open.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still open after ${timeoutMs} ms: ${open.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The `.mjr` files in `dir` whose name has `-<kind>` in it, sorted. */
export async function recordingsOf(dir: string, kind: 'audio' | 'video'): Promise<string[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.mjr') && f.includes(`-${kind}`)).sort();
  return names.map((f) => join(dir, f));
}

/** Janus's header (MJR00002) and `janus-pp-rec --header` reading it. */
export async function expectValidHeader(path: string, runTool = true): Promise<void> {
  expect((await readFile(path)).subarray(0, 8).toString('latin1'), path).toBe('MJR00002');
  if (!runTool) return;
  const r = spawnSync('janus-pp-rec', ['--header', path]);
  expect(r.status, `${path}: ${r.stderr.toString()}`).toBe(0);
}

/** Converts with janus-pp-rec (.webm for video, .opus for audio) and returns ffprobe's view. */
export function convert(path: string): ReturnType<typeof probe> {
  const out = path.replace(/\.mjr$/, path.includes('-video') ? '.webm' : '.opus');
  const r = spawnSync('janus-pp-rec', [path, out]);
  expect(r.status, `${path}: ${r.stdout.toString()}${r.stderr.toString()}`).toBe(0);
  return probe(out);
}

/**
 * Converts a video and an audio recording of the ffmpeg source: VP8 at 320×240 and Opus, or the test
 * fails; ffprobe's view of each, for the test's own checks of their durations.
 */
export function convertAv(videoPath: string, audioPath: string) {
  const video = convert(videoPath);
  expect(video).toMatchObject({ codec: 'vp8', width: 320, height: 240 });
  const audio = convert(audioPath);
  expect(audio.codec).toBe('opus');
  return { video, audio };
}

/** A stack whose relay records under a fresh temporary folder (`root`, removed by `stop`). */
export class RecordingStack {
  stack!: Stack;
  root!: string;
  /** The relay process, whose open files tell which recordings are still being written. */
  relayPid!: number;

  async start(prefix: string, env: Record<string, string> = {}): Promise<this> {
    this.root = await mkdtemp(join(tmpdir(), prefix));
    const root = this.root;
    this.stack = await startStack({
      RECORDINGS_ROOT: root,
      RELAY_RECORDINGS_ROOT: root,
      RELAY_RECORDINGS_DIR: root,
      ...env,
    });
    this.relayPid = this.stack.relays[0]!.pid;
    return this;
  }

  async stop(): Promise<void> {
    await this.stack?.stop();
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}

/** Seconds of media the ffmpeg source sent on a stream, from its RTP timestamps plus one frame. */
export function sentSeconds(s: SentStream, kind: 'audio' | 'video', fps = 30): number {
  if (s.firstTs === undefined) return 0;
  return kind === 'video' ? (s.lastTs - s.firstTs) / 90_000 + 1 / fps : (s.lastTs - s.firstTs) / 48_000 + 0.02;
}
