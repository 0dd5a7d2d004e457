/**
 * Steps of plugin scripts: a session with a plugin handle on one connection, and the messages to that
 * handle (synchronous answers compared in the `success` plugindata, asynchronous ones in the `event`).
 */
import type { Step } from './harness.js';

/** A session on connection `conn` with a handle of `plugin`, saved as $s<conn> and $h<conn>. */
export const pluginHandle = (plugin: string, conn: string): Step[] => [
  { via: 'ws', conn, body: { janus: 'create' }, save: { [`s${conn}`]: 'data.id' }, expect: { janus: 'success' } },
  {
    via: 'ws',
    conn,
    body: { janus: 'attach', session_id: `$s${conn}`, plugin },
    save: { [`h${conn}`]: 'data.id' },
    expect: { janus: 'success' },
  },
];

/** A `message` to the handle of connection `conn`, with the jsep saved as `jsep` (a `$name`) if any. */
const message = (conn: string, body: Record<string, unknown>, jsep?: string) =>
  ({
    janus: 'message',
    session_id: `$s${conn}`,
    handle_id: `$h${conn}`,
    body,
    ...(jsep ? { jsep } : {}),
  }) as never;

/** A synchronous request: the `success` reply's plugindata is compared. */
export const sync = (conn: string, name: string, body: Record<string, unknown>, extra: Partial<Step> = {}): Step => ({
  name,
  via: 'ws',
  conn,
  body: message(conn, body),
  at: 'plugindata',
  expect: { janus: 'success' },
  ...extra,
});

/** An asynchronous request: the `ack`, then the `event` carrying the answer. */
export const async_ = (conn: string, name: string, body: Record<string, unknown>, extra: Partial<Step> = {}): Step => ({
  name,
  via: 'ws',
  conn,
  body: message(conn, body),
  events: ['event'],
  expect: { janus: 'ack' },
  ...extra,
});

/** An asynchronous request carrying the answer saved as `$<answer>`. */
export const withAnswer = (
  conn: string,
  name: string,
  body: Record<string, unknown>,
  answer: string,
  extra: Partial<Step> = {},
): Step => ({ ...async_(conn, name, body, extra), body: message(conn, body, `$${answer}`) });
