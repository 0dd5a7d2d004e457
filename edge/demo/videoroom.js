// The VideoRoom demo page: pick a room, a name and a region, then see everyone in a grid with where
// their media goes through; mute, leave and join again without reloading. Failures are shown on the
// page. `window.room` exposes the state for automated checks. `?transport=http` uses REST + long
// poll instead of WebSocket; `?autojoin=1&room=&name=&pin=&region=` fills the form and joins;
// `?debug=1` turns janus.js's console logging on.
import { RoomVisit } from './roomVisit.js';
import { $, formValues, http, openForm, pageLines, params, serverUrl } from './roomPage.js';

/** The current visit, while joining or in a room. */
let visit = null;

const state = (window.room = {
  joined: false,
  publishing: false,
  id: null,
  region: null,
  relay: null,
  audioMuted: false,
  videoMuted: false,
  /** feed id → {display, region, relay, audioMuted, videoMuted} of the other participants. */
  remoteFeeds: {},
  error: null,
  senders: () => visit?.senders() ?? [],
});

const { showError, clearError, say } = pageLines(state);

/** Which controls apply: `idle` (the form), `joining` or `in` (leave, mute). */
function setControls(phase) {
  for (const id of ['room-id', 'name', 'pin', 'region', 'join-button']) $(id).disabled = phase !== 'idle';
  if (http) $('region').disabled = true;
  $('leave').disabled = phase === 'idle';
  // Muting acts on the tracks being sent: there are none before publishing.
  for (const id of ['mute-audio', 'mute-video']) $(id).disabled = phase !== 'in' || !state.publishing;
  $('mute-audio').textContent = state.audioMuted ? 'Unmute mic' : 'Mute mic';
  $('mute-video').textContent = state.videoMuted ? 'Start camera' : 'Stop camera';
  $('mute-audio').setAttribute('aria-pressed', String(state.audioMuted));
  $('mute-video').setAttribute('aria-pressed', String(state.videoMuted));
}

/** Copies the visit's state to `window.room` and the controls. */
function refresh(v) {
  if (v !== visit) return;
  state.joined = v.id !== null;
  state.publishing = v.publishing;
  state.id = v.id;
  state.region = v.placement.region ?? null;
  state.relay = v.placement.relay ?? null;
  state.audioMuted = v.muted.audio;
  state.videoMuted = v.muted.video;
  state.remoteFeeds = Object.fromEntries(v.feeds);
  setControls(state.joined ? 'in' : 'joining');
}

function reset() {
  Object.assign(state, {
    joined: false,
    publishing: false,
    id: null,
    region: null,
    relay: null,
    audioMuted: false,
    videoMuted: false,
    remoteFeeds: {},
  });
  setControls('idle');
}

$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  if (visit) return;
  clearError();
  const { room, display, region } = formValues();
  const v = new RoomVisit(
    { server: serverUrl(region), room, display, pin: $('pin').value || undefined, debug: params.has('debug') },
    {
      status: (text) => v === visit && say(text),
      failed: (text) => v === visit && showError(text),
      changed: () => refresh(v),
      ended: () => {
        if (v !== visit) return;
        visit = null;
        reset();
        if (!state.error) say('left the room');
      },
    },
  );
  visit = v;
  setControls('joining');
  say(`joining room ${room} (region ${region || 'nearest'})…`);
  v.start();
});

$('leave').addEventListener('click', () => visit?.leave());
$('mute-audio').addEventListener('click', () => visit?.toggle('audio'));
$('mute-video').addEventListener('click', () => visit?.toggle('video'));

reset();
openForm(['pin']);
