import { afterAll, describe } from 'vitest';
import { inboundScenario } from './inboundScenario.js';

// RELAY_SRTP=node, read when the relay first asks for libcrypto (this file's module state); restored
// after, in case the worker process runs another file
const previous = process.env.RELAY_SRTP;
process.env.RELAY_SRTP = 'node';
afterAll(() => {
  if (previous === undefined) delete process.env.RELAY_SRTP;
  else process.env.RELAY_SRTP = previous;
});

describe('inbound SRTP through relay/srtp (RELAY_SRTP=node)', () => inboundScenario('node', 43750));
