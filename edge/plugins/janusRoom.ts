import { constantTimeEqual } from '../auth/signedToken.js';

/** A plugin's error codes for what every room checks, each made into that plugin's error. */
export interface RoomErrors {
  noSuchRoom(text: string): Error;
  missing(text: string): Error;
  unauthorized(text: string): Error;
}

/** What every room needs from its Durable Object: persist, tell a participant's handle, log. */
export interface RoomHostBase<S, Call> {
  save(state: S | undefined): void;
  /** false: the handle's shard no longer has it. */
  notify(to: { sessionId: number; handleId: number }, call: Call): Promise<boolean>;
  readonly log: { warn(msg: string, fields?: Record<string, unknown>): void };
}

/**
 * What the rooms of Janus's plugins (VideoRoom, AudioBridge) share: the state (undefined until
 * `create`, or after `destroy`), the id it is named by for error texts, JANUS_CHECK_SECRET for
 * secrets, pins and admin keys, and telling participants, where a handle that is gone leaves.
 */
export abstract class JanusRoom<
  S extends { options: { secret?: string; pin?: string } },
  Call,
  H extends RoomHostBase<S, Call> = RoomHostBase<S, Call>,
> {
  state?: S;
  /** The room id this object is named by, for error texts before the room exists. */
  private name?: string | number;
  /** What ends a participant whose handle is gone (set by the room logic to its one leave path). */
  onHandleMissing?: (who: { sessionId: number; handleId: number }) => void;

  constructor(
    readonly host: H,
    private readonly errors: RoomErrors,
  ) {}

  /** The room, or the plugin's "no such room" when it does not exist. */
  current(): S {
    if (!this.state) throw this.errors.noSuchRoom(`No such room (${this.name ?? '?'})`);
    return this.state;
  }

  /** Every entry point names the room it expects, so errors can say which one is missing. */
  remember(room: unknown): void {
    if (typeof room === 'number' || typeof room === 'string') this.name ??= room;
  }

  save(): void {
    this.host.save(this.state);
  }

  /** Janus's JANUS_CHECK_SECRET: absent is a missing element, different is unauthorized. */
  checkSecret(secret: string | undefined): void {
    this.checkCredential('secret', this.current().options.secret, secret);
  }

  /** The room's pin, checked as Janus checks secrets. */
  checkPin(pin: string | undefined): void {
    this.checkCredential('pin', this.current().options.pin, pin);
  }

  protected checkCredential(
    name: 'secret' | 'pin' | 'admin_key',
    want: string | undefined,
    given: string | undefined,
  ): void {
    if (want === undefined) return;
    if (given === undefined) throw this.errors.missing(`Missing mandatory element (${name})`);
    if (!constantTimeEqual(given, want)) throw this.errors.unauthorized(`Unauthorized (wrong ${name})`);
  }

  /**
   * Tells one participant; a handle that went away meanwhile is not an error. A handle its shard no
   * longer has is a participant whose leave never arrived (a shard lost mid-teardown): it leaves now.
   */
  tell(to: { sessionId: number; handleId: number }, call: Call): Promise<void> {
    return this.host.notify(to, call).then(
      (delivered) => {
        if (delivered) return;
        try {
          this.onHandleMissing?.(to);
        } catch (err) {
          this.host.log.warn('a participant whose handle is gone could not leave', { error: String(err) });
        }
      },
      () => undefined,
    );
  }
}
