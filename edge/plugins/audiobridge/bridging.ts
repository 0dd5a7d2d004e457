import type { AbBridgeTarget, AbLegSrtp } from '../../../shared/control/audiobridge.js';
import { randomSafeInt } from '../../core/ids.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { abError, AudioBridgeError } from './errors.js';
import type { MixerPlace, Placement } from './participants.js';
import type { AudioRoom } from './room.js';
import { mixerKeyOf, type AbParticipant, type AbRoomState, type HandleAddress } from './state.js';

/** The payload type of a bridge's Opus between relays (Janus's default for plain-RTP Opus). */
const BRIDGE_OPUS_PT = 100;
/** The RFC 6464 extension id a bridge carries the client's audio level under. */
const BRIDGE_LEVEL_EXT = 1;

/**
 * Rooms across relays. A room mixes on one relay, its *home* (the first placement's). A participant
 * whose client's region is served by another relay keeps its PeerConnection there, as a bridge peer
 * (relay/audiobridge/bridgePeer.ts), and is in the home mixer as a plain-RTP leg (`ab.rtpJoin`)
 * under a synthetic handle id; the bridge passes its RTP both ways without decoding, so mute,
 * volume, talking and mix-minus stay the mixer's. One UDP flow per bridged participant, SRTP with a
 * key minted for that leg alone (it crosses the internet between regions; a new leg, a new key).
 *
 * When the home relay is lost, the bridged participants (their PeerConnections live on elsewhere)
 * are re-homed: the relay holding most of them becomes the home, each gets a new leg there and its
 * bridge is pointed at it (`ab.bridgeTo`). One that cannot be re-homed leaves (the others hear
 * `leaving`) and its handle's media is closed.
 */
export class Bridges {
  constructor(
    private readonly room: AudioRoom,
    private readonly placeOf: (r: AbRoomState, p: AbParticipant) => MixerPlace,
    private readonly leave: (p: AbParticipant) => void,
  ) {}

  /**
   * Opens a bridged participant's leg at home and says where its bridge peer sends; a failure (or the
   * participant gone meanwhile) undoes the placement.
   */
  async openLeg(who: HandleAddress, placed: Placement, audioLevel: boolean): Promise<Placement> {
    const r = this.room.current();
    const p = this.room.participant(who);
    const bridge = placed.bridge;
    if (!p || !bridge) return placed;
    const target = await this.joinLeg(r, p, placed.relay, audioLevel).catch((err: unknown) => {
      if (p.bridge === bridge) {
        delete p.bridge;
        p.relay = undefined;
        this.room.save();
      }
      throw err;
    });
    if (this.room.participant(who) !== p || p.bridge !== bridge) {
      // left (or re-placed) while its leg was being opened: the leg is nobody's
      this.hangUp(placed.relay, { sessionId: p.sessionId, handleId: bridge.leg });
      throw abError(AudioBridgeError.UNKNOWN_ERROR, 'The participant left while its media was being placed');
    }
    return { relay: bridge.relay, place: { ...placed.place, bridge: target } };
  }

  /**
   * changeroom of a bridged participant into this room, which mixes on another relay than its old
   * room: a new leg here (`join` gave it its key), its bridge pointed at it. A failure throws (the
   * participant is then in no mixer: the plugin takes it out).
   */
  async rebridge(who: HandleAddress, audioLevel: boolean): Promise<void> {
    const r = this.room.current();
    const p = this.room.participantOf(who, 'change room');
    const bridge = p.bridge;
    if (!bridge || !p.relay) return;
    const target = await this.joinLeg(r, p, p.relay, audioLevel);
    if (this.room.participant(who) !== p || p.bridge !== bridge) {
      this.hangUp(p.relay, { sessionId: p.sessionId, handleId: bridge.leg });
      throw abError(AudioBridgeError.UNKNOWN_ERROR, 'The participant left while its media was being moved');
    }
    await this.room.host.relays.command(bridge.relay, {
      op: 'ab.bridgeTo',
      sessionId: p.sessionId,
      handleId: p.handleId,
      target,
    });
  }

  /** The room's home relay is lost: its bridged participants move to a new home. */
  async rehome(r: AbRoomState, movers: AbParticipant[]): Promise<void> {
    const home = busiest(movers.map((p) => p.bridge!.relay));
    r.relay = home;
    for (const p of movers) {
      p.relay = home;
      p.bridge = { relay: p.bridge!.relay, leg: randomSafeInt() };
    }
    this.room.save();
    this.room.host.watchLink(home.linkId, r.room);
    await Promise.all(movers.map((p) => this.move(r, p, home)));
  }

  private async move(r: AbRoomState, p: AbParticipant, home: RelayRef): Promise<void> {
    const bridge = p.bridge!;
    try {
      const target = await this.joinLeg(r, p, home, p.audioLevel === true);
      await this.room.host.relays.command(bridge.relay, {
        op: 'ab.bridgeTo',
        sessionId: p.sessionId,
        handleId: p.handleId,
        target,
      });
    } catch (err) {
      if (this.room.participant(p) !== p || p.bridge !== bridge) return;
      this.room.host.log.warn('audiobridge participant could not be re-homed', { id: p.id, error: String(err) });
      this.leave(p);
      void this.room.tell(p, {
        kind: 'ab.removed',
        data: { audiobridge: 'event', room: r.room, leaving: p.id, reason: 'The room lost its mixing relay' },
      });
    }
  }

  /**
   * Opens a leg in the home mixer. It expects the client's audio level (carried by the bridge) only
   * when the client sends one; otherwise the mixer tells talking from the decoded voice.
   */
  private async joinLeg(
    r: AbRoomState,
    p: AbParticipant,
    home: RelayRef,
    audioLevel: boolean,
  ): Promise<AbBridgeTarget> {
    const { bridge: _, ...place } = this.placeOf(r, p);
    const payloadType = p.codec === 'pcmu' ? 0 : p.codec === 'pcma' ? 8 : BRIDGE_OPUS_PT;
    const audioLevelExt = r.options.audiolevel_ext && audioLevel ? BRIDGE_LEVEL_EXT : undefined;
    const level = audioLevelExt !== undefined ? { audioLevelExt } : {};
    const srtp = mintLegSrtp();
    const leg = await this.room.host.relays.command(home, {
      op: 'ab.rtpJoin',
      ...mixerKeyOf(p),
      ...place,
      // no destination: the home leg latches to the bridge's first authentic packet
      rtp: { payloadType, ...level },
      srtp,
    });
    return { ip: leg.ip, port: leg.port, payloadType, ...level, srtp };
  }

  private hangUp(relay: RelayRef, key: HandleAddress): void {
    this.room.host.relays.command(relay, { op: 'peer.hangup', ...key, reason: 'Left the room' }).catch(() => undefined);
  }
}

/** The relay holding most of the movers' PeerConnections: their bridges then reach the mixer on loopback. */
function busiest(relays: RelayRef[]): RelayRef {
  const counts = new Map<string, { relay: RelayRef; n: number }>();
  for (const relay of relays) {
    const c = counts.get(relay.linkId) ?? { relay, n: 0 };
    c.n++;
    counts.set(relay.linkId, c);
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]!.relay;
}

/** A fresh SRTP master key (16 bytes) and salt (14) for one leg, from the platform's CSPRNG. */
export function mintLegSrtp(): AbLegSrtp {
  const bytes = crypto.getRandomValues(new Uint8Array(30));
  return { profile: 'AES_CM_128_HMAC_SHA1_80', key: base64(bytes.subarray(0, 16)), salt: base64(bytes.subarray(16)) };
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}
