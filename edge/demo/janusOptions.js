// What every demo page gives `new Janus(...)` besides the server:
// - `iceServers`: TURN credentials the edge mints (GET /turn-credentials) when the deployment has
//   TURN, fetched before each session so that no call starts with expired ones (`optional=1`: 204
//   when there is no TURN here, and then janus.js's default);
// - `apisecret` / `token` from the page's ?apisecret= / ?token=, for servers that want them (the
//   credentials endpoint wants the same);
// - `iceTransportPolicy: 'relay'` with ?relay=1: media only through TURN, to check a TURN setup.
export async function janusOptions() {
  const params = new URLSearchParams(location.search);
  const auth = {};
  for (const key of ['apisecret', 'token']) if (params.get(key)) auth[key] = params.get(key);
  const options = { ...auth };
  const query = new URLSearchParams({ ...auth, optional: '1' });
  const res = await fetch(`/turn-credentials?${query}`, { cache: 'no-store' }).catch(() => null);
  if (res?.status === 200) options.iceServers = (await res.json()).iceServers;
  if (params.get('relay') === '1') options.iceTransportPolicy = 'relay';
  return options;
}
