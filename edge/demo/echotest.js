// The EchoTest flow of Janus's own demo, on the unmodified janus.js. `?transport=http` uses REST +
// long poll instead of WebSocket. `window.echo` exposes the state for automated checks.
import Janus from '/js/janus.es.js';
import { janusOptions } from './janusOptions.js';

const params = new URLSearchParams(location.search);
const server =
  params.get('transport') === 'http' ? `${location.origin}/janus` : `${location.origin.replace(/^http/, 'ws')}/janus`;
const status = document.getElementById('status');
const state = (window.echo = {
  webrtcup: false,
  result: null,
  error: null,
  remoteTrack: false,
  hangup: null,
  turn: false,
});
const say = (text) => (status.textContent = text);

Janus.init({
  debug: false,
  callback: async () => {
    const options = await janusOptions();
    state.turn = options.iceServers !== undefined;
    const janus = new Janus({
      server,
      ...options,
      success: () => {
        janus.attach({
          plugin: 'janus.plugin.echotest',
          success: (handle) => {
            say('attached; negotiating…');
            handle.createOffer({
              tracks: [
                { type: 'audio', capture: true, recv: true },
                { type: 'video', capture: true, recv: true },
              ],
              success: (jsep) => handle.send({ message: { audio: true, video: true }, jsep }),
              error: (err) => ((state.error = String(err)), say(`offer failed: ${err}`)),
            });
            window.echoHandle = handle;
          },
          error: (err) => ((state.error = String(err)), say(`attach failed: ${err}`)),
          webrtcState: (up, reason) => {
            state.webrtcup = up;
            if (!up) state.hangup = reason ?? 'hangup';
            say(up ? 'connected: your media is echoed back' : `hung up (${reason})`);
          },
          onmessage: (msg, jsep) => {
            if (msg.result) state.result = msg.result;
            if (msg.error) state.error = msg.error;
            if (jsep) window.echoHandle.handleRemoteJsep({ jsep });
          },
          onlocaltrack: (track, on) => {
            if (!on || track.kind !== 'video') return;
            document.getElementById('local').srcObject = new MediaStream([track]);
          },
          onremotetrack: (track, mid, on) => {
            if (!on) return;
            const video = document.getElementById('remote');
            const stream = video.srcObject instanceof MediaStream ? video.srcObject : new MediaStream();
            stream.addTrack(track);
            video.srcObject = stream;
            state.remoteTrack = true;
          },
        });
      },
      error: (err) => ((state.error = String(err)), say(`session failed: ${err}`)),
    });
  },
});
