import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../relay/config.js';
import { recordingDir } from '../../../relay/recording/recordingDir.js';
import { RecordedRtpContinuity } from '../../../relay/recording/rtpContinuity.js';

const base = { RELAY_SECRET: 'test-secret-0123456789', EDGE_URL: 'ws://127.0.0.1:1' };
const scratch = mkdtempSync(join(tmpdir(), 'rec-settings-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('recording settings (relay/config.ts)', () => {
  it('defaults to <tmpdir>/janus-recordings, or the root when one is set', () => {
    expect(loadConfig(base).recordings).toEqual({
      defaultDir: join(tmpdir(), 'janus-recordings'),
      root: undefined,
      queueLimitBytes: 8 * 1024 * 1024,
    });
    expect(loadConfig({ ...base, RELAY_RECORDINGS_ROOT: '/srv/rec' }).recordings.defaultDir).toBe('/srv/rec');
    expect(
      loadConfig({ ...base, RELAY_RECORDINGS_ROOT: '/srv/rec', RELAY_RECORDINGS_DIR: '/srv/rec/a' }).recordings,
    ).toMatchObject({ defaultDir: '/srv/rec/a', root: '/srv/rec' });
    expect(loadConfig({ ...base, RELAY_RECORDING_QUEUE_KB: '1024' }).recordings.queueLimitBytes).toBe(1024 * 1024);
  });

  it('refuses relative paths, a default directory outside the root, a tiny queue', () => {
    expect(() => loadConfig({ ...base, RELAY_RECORDINGS_DIR: 'rec' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RELAY_RECORDINGS_ROOT: 'rec' })).toThrow(/absolute/);
    expect(() =>
      loadConfig({ ...base, RELAY_RECORDINGS_ROOT: '/srv/rec', RELAY_RECORDINGS_DIR: '/srv/other' }),
    ).toThrow(/inside RELAY_RECORDINGS_ROOT/);
    expect(() => loadConfig({ ...base, RELAY_RECORDING_QUEUE_KB: '1' })).toThrow(ConfigError);
  });

  it('creates a missing directory inside the root, refuses a sibling whose name starts like the root', async () => {
    const root = join(scratch, 'root');
    const s = { defaultDir: root, root, queueLimitBytes: 1 << 20 };
    expect(await recordingDir(undefined, s)).toBe(root);
    expect(await recordingDir(join(root, 'a', 'b'), s)).toBe(join(root, 'a', 'b'));
    await expect(recordingDir(`${root}-sibling`, s)).rejects.toMatchObject({ code: 403 });
  });
});

describe("the recorder's sequence/timestamp rewriting (Janus's switching context)", () => {
  it('starts at ts 0 / seq 1, wraps like RTP, bridges an SSRC change with 90 kHz of wall clock', () => {
    const c = new RecordedRtpContinuity(true);
    c.update(10, 96, 0xffff, 0xffffff00, 1000);
    expect([c.seq, c.ts]).toEqual([1, 0]);
    c.update(10, 96, 0, 0xffffff00 + 3000, 1033);
    expect([c.seq, c.ts]).toEqual([2, 3000]);
    c.update(20, 96, 500, 77, 1133); // 100 ms later, another layer
    expect([c.seq, c.ts]).toEqual([3, 3000 + 9000]);
    c.update(20, 96, 501, 77 + 3000, 1166);
    expect([c.seq, c.ts]).toEqual([4, 15000]);
  });

  it('audio at 48 kHz, G.711 at 8 kHz', () => {
    const opus = new RecordedRtpContinuity(false);
    opus.update(1, 111, 5, 100, 0.5);
    opus.update(2, 111, 9, 1, 20.5);
    expect(opus.ts).toBe(20 * 48);
    const pcmu = new RecordedRtpContinuity(false);
    pcmu.update(1, 0, 5, 100, 0.5);
    pcmu.update(2, 0, 9, 1, 20.5);
    expect(pcmu.ts).toBe(20 * 8);
  });
});
