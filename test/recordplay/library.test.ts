import { describe, expect, it } from 'vitest';
import { parseNfo } from '../../relay/playback/nfo.js';
import { scheduleTrack } from '../../relay/playback/schedule.js';
import type { MjrFrame } from '../../relay/recording/mjrReader.js';

describe('.nfo files', () => {
  it('reads the section id, name, date and files (suffix added where missing)', () => {
    expect(
      parseNfo(
        '[12345678]\nname = My videoroom recording\ndate = 2014-10-14 17:11:26\naudio = mcu-audio.mjr\nvideo = mcu-video\n',
      ),
    ).toEqual({
      id: 12345678,
      name: 'My videoroom recording',
      date: '2014-10-14 17:11:26',
      audio: 'mcu-audio.mjr',
      video: 'mcu-video.mjr',
    });
  });

  it('takes quoted values, CRLF lines and comments', () => {
    expect(parseNfo('# made by hand\r\n[7]\r\nname = "With = sign"\r\ndate = d\r\naudio = "a.mjr"\r\n')).toEqual({
      id: 7,
      name: 'With = sign',
      date: 'd',
      audio: 'a.mjr',
    });
  });

  it.each([
    ['no section', 'name = x\ndate = y\naudio = a.mjr\n'],
    ['a section that is no id', '[abc]\nname = x\ndate = y\naudio = a.mjr\n'],
    ['id 0', '[0]\nname = x\ndate = y\naudio = a.mjr\n'],
    ['no name', '[1]\ndate = y\naudio = a.mjr\n'],
    ['no media', '[1]\nname = x\ndate = y\n'],
    ['a path outside the folder', '[1]\nname = x\ndate = y\naudio = ../a.mjr\n'],
    ['an absolute path', '[1]\nname = x\ndate = y\nvideo = /etc/passwd\n'],
  ])('names no recording with %s', (_what, text) => {
    expect(parseNfo(text)).toBeUndefined();
  });
});

const frame = (seq: number, timestamp: number, offset = seq): MjrFrame => ({
  offset,
  length: 100,
  timeMs: 0,
  seq,
  timestamp,
  ssrc: 1,
  payloadType: 96,
  marker: false,
});

describe('playout schedule', () => {
  it('times packets by their RTP timestamps and numbers them continuously from the given start', () => {
    const s = scheduleTrack([frame(10, 1000), frame(11, 1960), frame(13, 2920)], 48000, 65535, 4294967000);
    expect([...s.dueMs]).toEqual([0, 20, 40]);
    // A packet lost while recording leaves no gap; the sequence number wraps.
    expect([...s.seq]).toEqual([65535, 0, 1]);
    // The timestamps keep their spacing and wrap at 2^32.
    expect([...s.timestamp]).toEqual([4294967000, 4294967960 - 2 ** 32, 4294968920 - 2 ** 32]);
  });

  it('orders packets recorded out of order by timestamp, then sequence number (as Janus does)', () => {
    const frames = [frame(1, 0), frame(3, 3000), frame(2, 3000), frame(4, 6000), frame(5, 4500)];
    const s = scheduleTrack(frames, 90000, 0, 0);
    expect([...s.source].map((k) => frames[k]!.seq)).toEqual([1, 2, 3, 5, 4]);
    // The file's places go with them.
    expect([...s.offset]).toEqual([1, 2, 3, 5, 4]);
    expect([...s.dueMs]).toEqual([0, 100 / 3, 100 / 3, 50, 200 / 3]);
  });

  it('follows a recording across the 32-bit timestamp wrap and sequence number wrap', () => {
    const frames = [frame(65534, 2 ** 32 - 960), frame(65535, 0), frame(0, 960)];
    const s = scheduleTrack(frames, 48000, 0, 0);
    expect([...s.source].map((k) => frames[k]!.seq)).toEqual([65534, 65535, 0]);
    expect([...s.dueMs]).toEqual([0, 20, 40]);
  });
});
