// WHIP (RFC 9725) and WHEP over fetch, what simple-whip-client and players do: one POST with the offer
// (its candidates gathered first, so no PATCH is needed), the answer applied, DELETE to end. WHEP's
// server-offer mode (`answerOffer`): a POST without an offer, the server's offer answered by PATCH.

/** Resolves once the offer holds its candidates (or after `ms`: what is gathered by then goes). */
function gathered(pc, ms = 2000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, ms);
  });
}

/** The ICE servers an endpoint names in its `Link` headers (`rel="ice-server"`). */
export async function iceServersOf(url) {
  const res = await fetch(url, { method: 'OPTIONS' });
  const servers = [];
  for (const part of (res.headers.get('link') ?? '').split(/,\s*(?=<)/)) {
    const m = /^<([^>]+)>;\s*rel="ice-server"(.*)$/.exec(part.trim());
    if (!m) continue;
    const server = { urls: m[1] };
    const user = /username="([^"]*)"/.exec(m[2]);
    const cred = /credential="([^"]*)"/.exec(m[2]);
    if (user) server.username = user[1];
    if (cred) server.credential = cred[1];
    servers.push(server);
  }
  return servers;
}

/** POSTs the PeerConnection's offer to a WHIP/WHEP endpoint and applies the answer; returns the resource URL. */
export async function negotiate(pc, endpoint, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const headers = { 'Content-Type': 'application/sdp' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(endpoint, { method: 'POST', headers, body: pc.localDescription.sdp });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`${res.status} ${body}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  return new URL(res.headers.get('Location'), location.href).href;
}

/**
 * WHEP's server-offer mode: POSTs no offer, answers the server's offer and PATCHes the answer (its
 * candidates gathered first); returns the resource URL.
 */
export async function answerOffer(pc, endpoint, token) {
  const headers = { 'Content-Type': 'application/sdp' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(endpoint, { method: 'POST', headers, body: '' });
  const offer = await res.text();
  if (res.status !== 201) throw new Error(`${res.status} ${offer}`);
  const resource = new URL(res.headers.get('Location'), location.href).href;
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  const patched = await fetch(resource, { method: 'PATCH', headers, body: pc.localDescription.sdp });
  if (patched.status !== 204) throw new Error(`answer: ${patched.status} ${await patched.text()}`);
  return resource;
}

/** The fragment of an ICE restart (RFC 9725 §4.4.1): new credentials, the first m-line's mid and candidates. */
function restartFragment(sdp) {
  const lines = sdp.split(/\r?\n/);
  const first = lines.findIndex((l) => l.startsWith('m='));
  const next = lines.findIndex((l, i) => i > first && l.startsWith('m='));
  const section = lines.slice(first, next < 0 ? undefined : next);
  const pick = (p) => lines.find((l) => l.startsWith(p));
  return [
    pick('a=ice-ufrag:'),
    pick('a=ice-pwd:'),
    section[0],
    section.find((l) => l.startsWith('a=mid:')),
    ...section.filter((l) => l.startsWith('a=candidate:')),
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

/** The current answer with the server's new credentials and candidates from its restart fragment. */
function restartedAnswer(answer, fragment) {
  const f = fragment.split(/\r?\n/);
  const ufrag = f.find((l) => l.startsWith('a=ice-ufrag:'));
  const pwd = f.find((l) => l.startsWith('a=ice-pwd:'));
  const candidates = f.filter((l) => l.startsWith('a=candidate:'));
  const out = [];
  for (const l of answer.split(/\r?\n/)) {
    if (l === '' || l.startsWith('a=candidate:') || l === 'a=end-of-candidates') continue;
    if (l.startsWith('a=ice-ufrag:')) out.push(ufrag);
    else if (l.startsWith('a=ice-pwd:')) out.push(pwd, ...candidates);
    else out.push(l);
  }
  return out.join('\r\n') + '\r\n';
}

/**
 * Restarts ICE of a WHIP session (RFC 9725 §4.4.1): a new offer's credentials and candidates PATCHed with
 * `If-Match: *`, the server's new ones applied to the current answer. Returns the PATCH's status.
 */
export async function restartIce(pc, resource, token) {
  pc.restartIce();
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const headers = { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(resource, { method: 'PATCH', headers, body: restartFragment(pc.localDescription.sdp) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`ICE restart: ${res.status} ${body}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: restartedAnswer(pc.remoteDescription.sdp, body) });
  return res.status;
}

/**
 * Enables the page's "Restart ICE" button once its PeerConnection (which offered) is open;
 * `state.restarted` holds the last restart's PATCH status, or its error.
 */
export function enableRestart(state, started, token) {
  started.then(
    (pc) => {
      const restart = document.getElementById('restart');
      restart.disabled = false;
      state.restarted = null;
      restart.addEventListener('click', async () => {
        restart.disabled = true;
        state.restarted = await restartIce(pc, state.resource, token).catch((err) => String(err));
        restart.disabled = false;
      });
    },
    () => undefined,
  );
}

/**
 * What both pages share: `window[name]` holds the state for automated checks (connection, resource,
 * error, ended), `#status` says it, `open()` makes and negotiates the PeerConnection, and `#stop` ends
 * the resource (DELETE). Returns the state and, once open, the PeerConnection.
 */
export function runPage(name, verb, token, open) {
  const state = (window[name] = { connection: 'new', resource: null, error: null, ended: null });
  const say = (text) => (document.getElementById('status').textContent = text);
  const started = (async () => {
    const { pc, resource } = await open((pc) =>
      pc.addEventListener('connectionstatechange', () => {
        state.connection = pc.connectionState;
        say(`${verb}: ${pc.connectionState}`);
      }),
    );
    state.resource = resource;
    const stop = document.getElementById('stop');
    stop.disabled = false;
    stop.addEventListener('click', async () => {
      stop.disabled = true;
      state.ended = await end(state.resource, token);
      pc.close();
      say(`stopped (${state.ended})`);
    });
    return pc;
  })();
  started.catch((err) => {
    state.error = String(err);
    say(`failed: ${err}`);
  });
  return { state, started };
}

/** Ends a resource (DELETE). */
export async function end(resource, token) {
  const res = await fetch(resource, { method: 'DELETE', headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return res.status;
}
