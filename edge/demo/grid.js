// The participants grid: one tile per participant (yours first) with the name, where the media is
// (region · relay), marks for a muted microphone or camera, and the participant's video and audio.
// Names come from other people: they are only ever set as text.

const grid = () => document.getElementById('grid');
const keyOf = (feed) => (feed === 'self' ? 'self' : `feed-${feed}`);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

function tileOf(feed) {
  return grid().querySelector(`.tile[data-key="${CSS.escape(keyOf(feed))}"]`);
}

function createTile(feed) {
  const tile = el('figure', feed === 'self' ? 'tile self' : 'tile');
  tile.dataset.key = keyOf(feed);
  const video = el('video');
  video.autoplay = true;
  video.playsInline = true;
  // Audio plays from its own element (remote) or not at all (yours): the video is always silent.
  video.muted = true;
  const caption = el('figcaption');
  caption.append(
    el('span', 'name'),
    el('span', 'where'),
    el('span', 'mark mark-audio', 'mic off'),
    el('span', 'mark mark-video', 'camera off'),
  );
  tile.append(video, caption);
  if (feed === 'self') grid().prepend(tile);
  else grid().append(tile);
  return tile;
}

/**
 * Creates or updates a participant's tile. `info`: display, region, relay, audioMuted, videoMuted
 * (missing keys leave what the tile shows).
 */
export function showParticipant(feed, info) {
  const tile = tileOf(feed) ?? createTile(feed);
  if (info.display !== undefined) tile.querySelector('.name').textContent = info.display;
  if (info.region !== undefined || info.relay !== undefined) {
    tile.querySelector('.where').textContent = [info.region, info.relay].filter(Boolean).join(' · ');
    tile.querySelector('.where').title = 'the region and relay this participant’s media goes through';
  }
  if (info.audioMuted !== undefined) tile.classList.toggle('audio-muted', info.audioMuted);
  if (info.videoMuted !== undefined) tile.classList.toggle('video-muted', info.videoMuted);
}

/** Shows a track in a participant's tile (video in its video element, audio in an audio element). */
export function addTrack(feed, track) {
  const tile = tileOf(feed);
  if (!tile) return;
  if (track.kind === 'video') {
    tile.querySelector('video').srcObject = new MediaStream([track]);
    return;
  }
  let audio = tile.querySelector('audio');
  if (!audio) {
    audio = el('audio');
    audio.autoplay = true;
    tile.append(audio);
  }
  audio.srcObject = new MediaStream([track]);
}

/** Takes a track that ended out of a participant's tile. */
export function removeTrack(feed, track) {
  const tile = tileOf(feed);
  if (!tile) return;
  for (const media of tile.querySelectorAll('video, audio')) {
    const stream = media.srcObject;
    if (stream instanceof MediaStream && stream.getTracks().some((t) => t.id === track.id)) media.srcObject = null;
  }
}

export function removeParticipant(feed) {
  tileOf(feed)?.remove();
}

export function clearGrid() {
  grid().replaceChildren();
}
