// Writes the package.json of a relay installation (the container image, a systemd host): the packages
// the bundled relay (relay.mjs) loads at run time, at the versions this checkout's lock installed.
// Usage: node deploy/runtimePackage.mjs <out/package.json>   (from the repository root, after npm ci)
import { readFileSync, writeFileSync } from 'node:fs';

/** Every bare import of the relay bundle (test/relay/deploy.test.ts checks the list against it). */
export const RELAY_RUNTIME_PACKAGES = ['werift', 'ws', 'zod', 'koffi', '@evan/opus'];

const installed = (name) => JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version;

const out = process.argv[2];
if (out) {
  const dependencies = Object.fromEntries(RELAY_RUNTIME_PACKAGES.map((name) => [name, installed(name)]));
  const pkg = { name: 'janus-edge-relay', private: true, type: 'module', dependencies };
  writeFileSync(out, JSON.stringify(pkg, null, 2) + '\n');
}
