// The VideoRoom demo: pick a room and a name, publish your camera, see everyone else. It uses the
// unmodified janus.js the way Janus's own multistream demo does: one publisher handle, one
// multistream subscriber handle that follows the room's publishers. `window.room` exposes the state
// for automated checks.
import Janus from '/js/janus.es.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const server =
  params.get('transport') === 'http' ? `${location.origin}/janus` : `${location.origin.replace(/^http/, 'ws')}/janus`;
const state = (window.room = { joined: false, publishing: false, id: null, remoteFeeds: {}, error: null });
const say = (text) => ($('status').textContent = text);
const fail = (what, err) => {
  state.error = `${what}: ${err?.error ?? err}`;
  say(state.error);
};

let janus;
let publisher;
let subscriber;
let roomId;
/** feed id → display, for the feeds we receive. */
const feeds = new Map();
/** mid → feed id, as the subscriber's last offer described its streams. */
const midToFeed = new Map();

$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  roomId = Number($('room-id').value) || 1234;
  const display = $('name').value.trim() || 'guest';
  $('join-button').disabled = true;
  start(display);
});
$('leave').addEventListener('click', () => {
  publisher?.send({ message: { request: 'leave' } });
  janus?.destroy({});
  say('left the room');
  $('leave').disabled = true;
});

if (params.get('autojoin')) {
  $('room-id').value = params.get('room') ?? '1234';
  $('name').value = params.get('name') ?? 'guest';
  $('join').requestSubmit();
}

function start(display) {
  Janus.init({
    debug: false,
    callback: () => {
      janus = new Janus({
        server,
        success: () => attachPublisher(display),
        error: (err) => fail('session', err),
      });
    },
  });
}

function attachPublisher(display) {
  janus.attach({
    plugin: 'janus.plugin.videoroom',
    success: (handle) => {
      publisher = handle;
      // Create the room if it does not exist yet, then join it.
      handle.send({
        message: { request: 'exists', room: roomId },
        success: (res) => {
          const join = () => handle.send({ message: { request: 'join', ptype: 'publisher', room: roomId, display } });
          if (res.exists) join();
          else
            handle.send({
              message: { request: 'create', room: roomId, publishers: 6, description: `Demo room ${roomId}` },
              success: join,
            });
        },
      });
    },
    error: (err) => fail('attach', err),
    onmessage: (msg, jsep) => {
      if (jsep) publisher.handleRemoteJsep({ jsep });
      if (msg.error) return fail('videoroom', msg.error);
      if (msg.videoroom === 'joined') {
        state.joined = true;
        state.id = msg.id;
        say(`joined room ${roomId} as ${display}; publishing…`);
        $('leave').disabled = false;
        publish();
        addFeeds(msg.publishers ?? []);
      } else if (msg.videoroom === 'event') {
        if (msg.publishers) addFeeds(msg.publishers);
        if (msg.configured === 'ok') state.publishing = true;
        // A feed that went away may come back later: forget it (the subscriber gets its own update).
        for (const gone of [msg.unpublished, msg.leaving, msg.kicked])
          if (gone !== undefined && gone !== 'ok') feeds.delete(gone);
      } else if (msg.videoroom === 'destroyed') {
        say('the room was destroyed');
      }
    },
    onlocaltrack: (track, on) => {
      if (on && track.kind === 'video') $('local').srcObject = new MediaStream([track]);
    },
    webrtcState: (up) => up && say(`publishing in room ${roomId}`),
  });
}

function publish() {
  publisher.createOffer({
    tracks: [
      { type: 'audio', capture: true, recv: false },
      { type: 'video', capture: true, recv: false },
    ],
    success: (jsep) => publisher.send({ message: { request: 'configure', audio: true, video: true }, jsep }),
    error: (err) => fail('publish', err),
  });
}

/** New publishers: subscribe to their streams (first time: attach the subscriber handle). */
function addFeeds(list) {
  const streams = [];
  for (const p of list) {
    if (p.id === state.id || feeds.has(p.id)) continue;
    feeds.set(p.id, p.display ?? `feed ${p.id}`);
    for (const s of p.streams ?? []) if (!s.disabled && s.type !== 'data') streams.push({ feed: p.id, mid: s.mid });
  }
  if (streams.length === 0) return;
  if (!subscriber) attachSubscriber(streams);
  else subscriber.send({ message: { request: 'subscribe', streams } });
}

function attachSubscriber(streams) {
  janus.attach({
    plugin: 'janus.plugin.videoroom',
    success: (handle) => {
      subscriber = handle;
      handle.send({ message: { request: 'join', ptype: 'subscriber', room: roomId, streams } });
    },
    error: (err) => fail('subscriber attach', err),
    onmessage: (msg, jsep) => {
      if (msg.error) return fail('subscriber', msg.error);
      for (const s of msg.streams ?? []) if (s.feed_id !== undefined) midToFeed.set(s.mid, s.feed_id);
      if (jsep) {
        subscriber.createAnswer({
          jsep,
          tracks: [{ type: 'data' }],
          success: (answer) => subscriber.send({ message: { request: 'start', room: roomId }, jsep: answer }),
          error: (err) => fail('answer', err),
        });
      }
    },
    onremotetrack: (track, mid, on) => {
      const feed = midToFeed.get(mid);
      const id = `feed-${mid}`;
      if (!on) {
        $(id)?.remove();
        if (feed !== undefined) delete state.remoteFeeds[feed];
        return;
      }
      if (track.kind !== 'video') {
        const audio = document.createElement('audio');
        audio.autoplay = true;
        audio.srcObject = new MediaStream([track]);
        document.body.appendChild(audio);
        return;
      }
      let fig = $(id);
      if (!fig) {
        fig = document.createElement('figure');
        fig.id = id;
        fig.innerHTML = '<video autoplay playsinline muted></video><figcaption></figcaption>';
        $('remotes').appendChild(fig);
      }
      fig.querySelector('figcaption').textContent = feeds.get(feed) ?? `feed ${feed}`;
      fig.querySelector('video').srcObject = new MediaStream([track]);
      if (feed !== undefined) state.remoteFeeds[feed] = id;
    },
  });
}
