import { z } from 'zod';

/**
 * Debugging captures, edge↔relay (Janus's `start_pcap` / `start_text2pcap` / `stop_pcap` /
 * `stop_text2pcap` admin requests on a handle): the relay holding the handle's PeerConnection writes
 * its clear RTP and RTCP, both ways, to a pcap or text2pcap file on the relay host.
 */

const peerKey = {
  sessionId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  handleId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
};

/**
 * `capture: true` starts (refused while one runs: `pcap already started` / `text2pcap already
 * started`, by what was asked), false stops whichever runs (`Capture not started` when none). The
 * edge keeps a handle's capture and asks again for each PeerConnection the handle gets.
 * - `folder`: the directory (relative: to the relay's working directory), created if missing;
 *   default the relay's `RELAY_RECORDINGS_DIR`, refused outside `RELAY_RECORDINGS_ROOT` when set.
 * - `filename`: default `janus-text2pcap-<random>.pcap|.txt`, as Janus; appended to if it exists (a
 *   pcap header only into an empty file, so the captures of successive PeerConnections make one file).
 * - `truncate`: bytes kept of each packet, 0 all of it.
 * A file that cannot be opened answers `Error starting pcap dump` / `Error starting text2pcap dump`.
 * The relay's capture ends with the PeerConnection; the edge asks the handle's next one again.
 */
/** What a start names, as `peer.capture` carries it. */
const captureFields = {
  text: z.boolean().default(false),
  folder: z.string().min(1).max(1024).optional(),
  filename: z.string().min(1).max(255).optional(),
  truncate: z.number().int().nonnegative().max(0x7fffffff).default(0),
};

export const peerCaptureSchema = z.object({
  op: z.literal('peer.capture'),
  ...peerKey,
  capture: z.boolean(),
  ...captureFields,
});

/** The file being written after a start; nothing after a stop. */
export const peerCaptureResultSchema = z.object({ file: z.string().optional() });

/** A running capture, as `peer.info` reports it (Janus handle_info's `dump-to-pcap` / `pcap-file`). */
export const captureInfoSchema = z.object({ text: z.boolean(), file: z.string() });

/**
 * A handle's capture as the edge keeps it (Janus keeps it on the handle, across its PeerConnections):
 * the file name chosen once (Janus's random default included), so every PeerConnection of the handle
 * appends to one file.
 */
export const captureSpecSchema = z.object({ ...captureFields, filename: captureFields.filename.unwrap() });
export type CaptureSpec = z.infer<typeof captureSpecSchema>;
