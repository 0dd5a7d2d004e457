// What the room demo pages (VideoRoom, AudioBridge) share: the query, the Janus API URL with its
// region, the form's values, the error and status lines, and `?autojoin=1&room=&name=&region=`.
import { fillRegions } from './regions.js';

export const $ = (id) => document.getElementById(id);
export const params = new URLSearchParams(location.search);
/** `?transport=http`: REST + long poll instead of WebSocket. */
export const http = params.get('transport') === 'http';

/** The Janus API URL; the region rides on the WebSocket URL (janus.js appends paths to an HTTP one, so it cannot carry it). */
export function serverUrl(region) {
  if (http) return `${location.origin}/janus`;
  const ws = `${location.origin.replace(/^http/, 'ws')}/janus`;
  return region ? `${ws}?region=${encodeURIComponent(region)}` : ws;
}

/** The join form's room (1234 by default), name ("guest") and region ("" for the nearest). */
export function formValues() {
  return {
    room: Number($('room-id').value) || 1234,
    display: $('name').value.trim() || 'guest',
    region: $('region').value,
  };
}

/** The page's error and status lines; the error is mirrored to `state.error` for automated checks. */
export function pageLines(state) {
  return {
    showError(text) {
      state.error = text;
      $('error').textContent = text;
      $('error').hidden = false;
    },
    clearError() {
      state.error = null;
      $('error').textContent = '';
      $('error').hidden = true;
    },
    say: (text) => ($('status').textContent = text),
  };
}

/**
 * Fills the region list and, with `?autojoin=1`, the form from the query (`room`, `name`, and each of
 * `more`, input ids named as their query parameter) before joining. The region from the URL is selected
 * at once; joining does not wait for the list of the others.
 */
export function openForm(more = []) {
  void fillRegions($('region'), params.get('region') ?? undefined);
  if (!params.get('autojoin')) return;
  $('room-id').value = params.get('room') ?? '1234';
  $('name').value = params.get('name') ?? 'guest';
  for (const id of more) $(id).value = params.get(id) ?? '';
  $('join').requestSubmit();
}
