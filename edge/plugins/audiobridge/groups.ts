import { abError, AudioBridgeError } from './errors.js';
import type { AbRoomState } from './state.js';

/**
 * Janus 1.1.2's forwarding groups: a room created with `groups` tags each participant (and each file
 * played) with one of them, and an `rtp_forward` naming a group forwards the mix of only that group.
 * Groups change nothing else: everyone still hears everyone. The checks and their codes are Janus's
 * (janus_audiobridge.c: create, join, configure, changeroom, play_file, rtp_forward).
 */

/** Janus's JANUS_AUDIOBRIDGE_MAX_GROUPS. */
export const MAX_GROUPS = 5;

/** `create`'s `groups`: at most 5 strings; duplicates skipped; none (or an empty array): no groups. */
export function roomGroups(groups: unknown[] | undefined): string[] | undefined {
  if (groups === undefined || groups.length === 0) return undefined;
  if (groups.length > MAX_GROUPS)
    throw abError(AudioBridgeError.INVALID_ELEMENT, `Too many groups specified (max ${MAX_GROUPS} allowed)`);
  if (!groups.every((g): g is string => typeof g === 'string'))
    throw abError(AudioBridgeError.INVALID_ELEMENT, 'Invalid element in the groups array (not a string)');
  return [...new Set(groups)];
}

/**
 * The group a participant joins (join, changeroom) or a file plays in (play_file): required in a room
 * with groups (483 without, 494 for one the room does not have); ignored in a room without, as Janus.
 */
export function requiredGroup(r: AbRoomState, group: string | undefined): string | undefined {
  const groups = r.options.groups;
  if (!groups) return undefined;
  if (group === undefined) throw abError(AudioBridgeError.MISSING_ELEMENT, 'Missing mandatory element (group)');
  if (!groups.includes(group)) throw abError(AudioBridgeError.NO_SUCH_GROUP, `No such group (${group})`);
  return group;
}

/**
 * A group a request may name (configure's new group, rtp_forward's): 494 for one the room does not
 * have (rtp_forward's text names none, as Janus's); ignored in a room without groups.
 */
export function optionalGroup(r: AbRoomState, group: string | undefined, named = true): string | undefined {
  const groups = r.options.groups;
  if (!groups || group === undefined) return undefined;
  if (!groups.includes(group))
    throw abError(AudioBridgeError.NO_SUCH_GROUP, named ? `No such group (${group})` : 'No such group');
  return group;
}
