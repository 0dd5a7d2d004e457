export * from './auth.js';
export * from './commands.js';
export * from './events.js';
export * from './messages.js';
export * from './peerDigest.js';
export * from './recording.js';
export * from './playback.js';
export * from './audiobridge.js';
