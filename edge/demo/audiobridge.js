// The AudioBridge demo page: pick a room and a name, join (`join`, then `configure` with an audio-only
// offer), hear the room's mix, see who is in the room, muted or talking; mute, leave and join again
// without reloading. Failures are shown with their Janus code. `window.ab` exposes the state for
// automated checks; `?autojoin=1&room=&name=&region=` fills the form and joins; `?transport=http` uses
// REST + long poll; `?debug=1` turns janus.js's console logging on.
import Janus from '/js/janus.es.js';
import { describe } from './janusErrors.js';
import { janusOptions } from './janusOptions.js';
import { $, formValues, http, openForm, pageLines, params, serverUrl } from './roomPage.js';

const state = (window.ab = {
  joined: false,
  id: null,
  muted: false,
  /** participant id → {display, muted, talking, setup} of the others. */
  participants: {},
  error: null,
  /** The PeerConnection carrying your microphone and the mix, while there is one. */
  pc: () => visit?.handle?.webrtcStuff?.pc ?? null,
});

/** The current stay in a room: {janus, handle, ended}, from Join to Leave or a failure. */
let visit = null;

const { showError, clearError, say } = pageLines(state);

/** Which controls apply: `idle` (the form), `joining` or `in` (leave, mute). */
function setControls(phase) {
  for (const id of ['room-id', 'name', 'region', 'join-button']) $(id).disabled = phase !== 'idle';
  if (http) $('region').disabled = true;
  $('leave').disabled = phase === 'idle';
  $('mute').disabled = phase !== 'in';
  $('mute').textContent = state.muted ? 'Unmute mic' : 'Mute mic';
  $('mute').setAttribute('aria-pressed', String(state.muted));
}

/** Redraws the participant list from `state.participants`. */
function render() {
  const list = $('participants');
  list.replaceChildren(
    ...Object.entries(state.participants).map(([id, p]) => {
      const li = document.createElement('li');
      li.dataset.id = id;
      li.className = [p.muted && 'muted', p.talking && 'talking', !p.setup && 'setting-up'].filter(Boolean).join(' ');
      const marks = [p.muted && 'muted', p.talking && 'talking', !p.setup && 'connecting'].filter(Boolean);
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = p.display || `participant ${id}`;
      const status = document.createElement('span');
      status.className = 'state';
      status.textContent = marks.length ? ` (${marks.join(', ')})` : '';
      li.append(name, status);
      return li;
    }),
  );
}

/** Merges a `participants` array from an event into the list (our own entry is skipped). */
function mergeParticipants(list) {
  for (const p of list ?? []) {
    if (String(p.id) === String(state.id)) continue;
    const known = state.participants[p.id] ?? {};
    state.participants[p.id] = {
      display: p.display ?? known.display ?? '',
      muted: p.muted ?? known.muted ?? false,
      talking: p.talking ?? known.talking ?? false,
      setup: p.setup ?? known.setup ?? true,
    };
  }
  render();
}

/** Ends the visit: the session goes (the server releases the handle and the room seat with it). */
function end(v, text) {
  if (v.ended) return;
  v.ended = true;
  if (visit === v) {
    visit = null;
    Object.assign(state, { joined: false, id: null, muted: false, participants: {} });
    render();
    $('mix').srcObject = null;
    setControls('idle');
    if (text) say(text);
  }
  v.janus?.destroy({ cleanupHandles: true });
}

function fail(v, what, err) {
  if (v.ended || v !== visit) return;
  showError(`${what} failed: ${describe(err)}`);
  end(v, 'not connected');
}

/** Sends your microphone: an audio-only offer with `configure`, as Janus's own demo does after `joined`. */
function publish(v) {
  v.handle.createOffer({
    tracks: [{ type: 'audio', capture: true, recv: true }],
    success: (jsep) =>
      v.handle.send({ message: { request: 'configure', muted: false }, jsep, error: (e) => fail(v, 'configure', e) }),
    error: (err) => fail(v, 'microphone', err),
  });
}

function onMessage(v, msg, jsep) {
  if (jsep) v.handle.handleRemoteJsep({ jsep, error: (err) => fail(v, 'answer', err) });
  const event = msg.audiobridge;
  if (msg.error) return fail(v, event === 'joined' ? 'join' : 'request', msg);
  if (event === 'joined') {
    if (!state.joined) {
      state.joined = true;
      state.id = msg.id;
      setControls('in');
      say(`in room ${msg.room} as ${$('name').value.trim() || 'guest'}`);
      publish(v);
    }
    mergeParticipants(msg.participants);
  } else if (event === 'event') {
    if (msg.leaving !== undefined) {
      delete state.participants[msg.leaving];
      render();
    }
    if (msg.participants) mergeParticipants(msg.participants);
  } else if (event === 'talking' || event === 'stopped-talking') {
    mergeParticipants([{ id: msg.id, talking: event === 'talking' }]);
  } else if (event === 'roomchanged') {
    state.participants = {};
    mergeParticipants(msg.participants);
  } else if (event === 'destroyed') {
    showError(`room ${msg.room} was destroyed`);
    end(v, 'not connected');
  }
}

function join() {
  clearError();
  const { room, display, region } = formValues();
  const v = { janus: null, handle: null, ended: false, leaving: false };
  visit = v;
  setControls('joining');
  say(`joining room ${room} (region ${region || 'nearest'})…`);
  Janus.init({
    debug: params.has('debug') ? 'all' : false,
    callback: async () => {
      const options = await janusOptions();
      if (v.ended) return;
      v.janus = new Janus({
        server: serverUrl(region),
        ...options,
        success: () =>
          v.janus.attach({
            plugin: 'janus.plugin.audiobridge',
            success: (handle) => {
              v.handle = handle;
              handle.send({
                message: { request: 'join', room, display },
                error: (err) => fail(v, 'join', err),
              });
            },
            error: (err) => fail(v, 'attach', err),
            onmessage: (msg, jsep) => onMessage(v, msg, jsep),
            onremotetrack: (track, _mid, on) => {
              if (track.kind !== 'audio') return;
              $('mix').srcObject = on ? new MediaStream([track]) : null;
            },
            webrtcState: (up, reason) => {
              // Leaving hangs the PeerConnection up too: that is no failure.
              if (!up && !v.leaving) fail(v, 'media', reason ?? 'hangup');
            },
          }),
        error: (err) => fail(v, 'connection', err),
      });
    },
  });
}

$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!visit) join();
});

$('leave').addEventListener('click', () => {
  const v = visit;
  if (!v) return;
  v.leaving = true;
  if (!v.handle || !state.joined) return end(v, 'left the room');
  v.handle.send({
    message: { request: 'leave' },
    success: () => end(v, 'left the room'),
    error: () => end(v, 'left the room'),
  });
});

// Muting is the room's: `configure` with `muted` makes the mix leave you out and tells the others.
$('mute').addEventListener('click', () => {
  const v = visit;
  if (!v?.handle || !state.joined) return;
  const muted = !state.muted;
  v.handle.send({
    message: { request: 'configure', muted },
    success: () => {
      if (v !== visit) return;
      state.muted = muted;
      setControls('in');
    },
    error: (err) => fail(v, 'mute', err),
  });
});

setControls('idle');
openForm();
