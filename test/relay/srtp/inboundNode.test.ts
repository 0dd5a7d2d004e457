import { describe } from 'vitest';
import { inboundScenario } from './inboundScenario.js';

// RELAY_SRTP=node, read when the relay first asks for libcrypto (this file's own process state)
process.env.RELAY_SRTP = 'node';

describe('inbound SRTP through relay/srtp (RELAY_SRTP=node)', () => inboundScenario('node', 43750));
