// A WHEP player page: plays publisher `?feed=` of VideoRoom `?room=`, or Streaming mountpoint
// `?mountpoint=`; it offers, or with `?offer=server` answers the server's offer. `window.whep` exposes
// the state for automated checks. A page that offered can restart its ICE session (RFC 9725 §4.4.1).
import { answerOffer, enableRestart, iceServersOf, negotiate, runPage } from '/whipClient.js';

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? undefined;
const serverOffers = params.get('offer') === 'server';
const mountpoint = params.get('mountpoint');
const endpoint =
  mountpoint !== null
    ? `/whep/streaming/${encodeURIComponent(mountpoint)}`
    : `/whep/endpoint/${encodeURIComponent(params.get('room') ?? '1234')}/${encodeURIComponent(params.get('feed') ?? '')}`;

const { state, started } = runPage('whep', 'playing', token, async (watch) => {
  const pc = new RTCPeerConnection({ iceServers: await iceServersOf(endpoint) });
  // the server's offer brings its own m-lines
  if (!serverOffers) {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
  }
  const stream = new MediaStream();
  document.getElementById('remote').srcObject = stream;
  pc.addEventListener('track', (e) => stream.addTrack(e.track));
  watch(pc);
  window.whepPc = pc;
  return { pc, resource: await (serverOffers ? answerOffer : negotiate)(pc, endpoint, token) };
});

if (!serverOffers) enableRestart(state, started, token);
