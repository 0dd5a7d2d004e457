import type { RTCDtlsTransport } from 'werift';
import { Codes, RelayError } from '../errors.js';
import { setCapture } from './captureTap.js';
import { PacketCapture, type PacketCaptureOptions } from './packetCapture.js';

/**
 * A peer's packet capture (`peer.capture`), at most one at a time as Janus keeps one per handle: its
 * DTLS transports' taps point at it while it runs (a transport the peer makes later too), and it ends
 * on a stop or with the peer, whichever comes first.
 */
export class PeerCapture {
  private current: PacketCapture | undefined;
  private ended = false;

  constructor(private readonly transports: () => readonly RTCDtlsTransport[]) {}

  /** What handle_info reports while a capture runs. */
  info(): { text: boolean; file: string } | undefined {
    const c = this.current;
    return c ? { text: c.text, file: c.path } : undefined;
  }

  /** Janus's answer to a start while a capture runs, named by what was asked. */
  refuseIfRunning(text: boolean): void {
    if (this.current) throw new RelayError(Codes.UNKNOWN, text ? 'text2pcap already started' : 'pcap already started');
  }

  /** Opens the file and points the transports at it (the relay runs a peer's commands one at a time). */
  async start(opts: PacketCaptureOptions): Promise<string> {
    this.refuseIfRunning(opts.text);
    if (this.ended) throw new RelayError(Codes.WEBRTC_STATE, 'PeerConnection is closing');
    const capture = await PacketCapture.open(opts);
    // the peer may have ended while the file opened: its hang-up no longer sees this capture
    if (this.ended) {
      await capture.close();
      throw new RelayError(Codes.WEBRTC_STATE, 'PeerConnection is closing');
    }
    this.current = capture;
    for (const dtls of this.transports()) setCapture(dtls, capture);
    return capture.path;
  }

  /** A transport the peer made after the start. */
  onTransport(dtls: RTCDtlsTransport): void {
    if (this.current) setCapture(dtls, this.current);
  }

  /** The peer ends (its hang-up): the capture stops and no other starts. */
  end(): Promise<boolean> {
    this.ended = true;
    return this.stop();
  }

  /** Stops the capture and closes its file; false when none ran. */
  async stop(): Promise<boolean> {
    const c = this.current;
    if (!c) return false;
    this.current = undefined;
    for (const dtls of this.transports()) setCapture(dtls, undefined);
    await c.close();
    return true;
  }
}
