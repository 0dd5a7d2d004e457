import { describe } from 'vitest';
import { inboundScenario } from './inboundScenario.js';

// libcrypto through koffi: what the relay picks wherever it loads
describe('inbound SRTP through relay/srtp (libcrypto)', () => inboundScenario('libcrypto', 43700));
