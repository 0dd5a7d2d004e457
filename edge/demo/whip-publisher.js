// A WHIP publisher page: the fake or real camera published into `?room=` as `?display=`; "Restart ICE"
// restarts its ICE session (RFC 9725 §4.4.1). `window.whip` exposes the state for automated checks.
import { enableRestart, iceServersOf, negotiate, runPage } from '/whipClient.js';

const params = new URLSearchParams(location.search);
const room = params.get('room') ?? '1234';
const token = params.get('token') ?? undefined;
const endpoint = `/whip/endpoint/${encodeURIComponent(room)}?display=${encodeURIComponent(params.get('display') ?? 'whip')}`;

const { state, started } = runPage('whip', 'publishing', token, async (watch) => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  document.getElementById('local').srcObject = stream;
  const pc = new RTCPeerConnection({ iceServers: await iceServersOf(endpoint) });
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  watch(pc);
  window.whipPc = pc;
  return { pc, resource: await negotiate(pc, endpoint, token) };
});

enableRestart(state, started, token);
