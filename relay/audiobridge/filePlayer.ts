import type { Logger } from '../logger.js';
import { OggOpusReader } from './oggOpus.js';
import { OpusDecoder } from './opus.js';

/** Packets read ahead of the tick (about a second of 20 ms packets). */
const READ_AHEAD = 50;

/**
 * One announcement (Janus `play_file`): an Ogg Opus file decoded at the room's rate and added to the
 * mix 20 ms a tick, heard by every participant. Packets are read ahead asynchronously
 * ({@link OggOpusReader}); the tick only decodes what is already there (a tick that finds nothing
 * adds nothing). At the end of the file it starts again when `loop`, else it has ended.
 */
export class FilePlayer {
  /** Whether its first frame was mixed (Janus's `announcement-started` then). */
  started = false;
  /** Janus `group`: the forwarding group it plays in (its group's forwarders carry it too). */
  group: string | undefined;
  private readonly packets: Buffer[] = [];
  private readonly decoder: OpusDecoder;
  /** Decoded samples not mixed yet (a packet may hold more than one tick). */
  private pcm: Int16Array;
  private pcmStart = 0;
  private pcmEnd = 0;
  private reading: Promise<void> | undefined;
  private atEnd = false;
  private closed = false;

  private constructor(
    readonly fileId: string,
    readonly path: string,
    readonly loop: boolean,
    private readonly reader: OggOpusReader,
    private readonly rate: number,
    private readonly log: Logger,
  ) {
    this.decoder = new OpusDecoder(rate, 1);
    this.pcm = new Int16Array((rate * 120) / 1000 + rate / 50);
    this.readAhead();
  }

  /** Opens and checks the file (Janus: "Error opening file" when it is no Ogg Opus). */
  static async open(fileId: string, path: string, loop: boolean, rate: number, log: Logger): Promise<FilePlayer> {
    const reader = await OggOpusReader.open(path);
    const p = new FilePlayer(fileId, path, loop, reader, rate, log);
    await p.reading;
    return p;
  }

  /** Played to its end (and not looping): the room drops it. */
  get ended(): boolean {
    return this.atEnd && this.packets.length === 0 && this.pcmEnd === this.pcmStart && !this.reading;
  }

  private readAhead(): void {
    if (this.reading || this.atEnd || this.closed || this.packets.length >= READ_AHEAD / 2) return;
    this.reading = (async () => {
      try {
        while (this.packets.length < READ_AHEAD && !this.closed) {
          let packet = await this.reader.next();
          if (!packet && this.loop) {
            await this.reader.rewind();
            packet = await this.reader.next();
          }
          if (!packet) {
            this.atEnd = true;
            break;
          }
          this.packets.push(packet);
        }
      } catch (err) {
        this.log.warn('announcement read failed', { fileId: this.fileId, err: String(err) });
        this.atEnd = true;
      }
    })().finally(() => {
      this.reading = undefined;
    });
  }

  /**
   * Adds this tick's `samples` into the mix (both channels of a stereo mix), and into `group`'s mix
   * when a forwarder carries it; false when nothing was there.
   */
  mixInto(sum: Int32Array, samples: number, stereo: boolean, group?: Int32Array): boolean {
    while (this.pcmEnd - this.pcmStart < samples && this.packets.length > 0) {
      if (this.pcmStart > 0) {
        this.pcm.copyWithin(0, this.pcmStart, this.pcmEnd);
        this.pcmEnd -= this.pcmStart;
        this.pcmStart = 0;
      }
      const n = this.decoder.decode(this.packets.shift()!, this.pcm.subarray(this.pcmEnd));
      this.pcmEnd += n;
    }
    this.readAhead();
    const n = Math.min(samples, this.pcmEnd - this.pcmStart);
    if (n === 0) return false;
    for (const into of group ? [sum, group] : [sum]) this.addTo(into, n, stereo);
    this.pcmStart += n;
    this.started = true;
    return true;
  }

  private addTo(into: Int32Array, n: number, stereo: boolean): void {
    const f = this.pcm;
    const at = this.pcmStart;
    if (!stereo) for (let i = 0; i < n; i++) into[i] += f[at + i]!;
    else
      for (let i = 0; i < n; i++) {
        into[2 * i] += f[at + i]!;
        into[2 * i + 1] += f[at + i]!;
      }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.decoder.close();
    void (this.reading ?? Promise.resolve()).then(() => this.reader.close());
  }
}
