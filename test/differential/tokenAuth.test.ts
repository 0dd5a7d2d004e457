/**
 * Differential test of stored-token authentication: the scripts of tokenCases.ts against a second
 * pair, the reference Janus with `token_auth = true` and our stack with TOKEN_AUTH, compared as in
 * core.test.ts (shapes, order, documented outcomes). Set DIFF_DUMP=1 to print both transcripts.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { referenceJanusFor } from '../support/janusReference.js';
import { expectAsReference, ServerPair } from './serverPair.js';
import { tokenCases } from './tokenCases.js';

describe.skipIf(!referenceJanusFor('differential token auth'))(
  'differential: token auth vs reference Janus 1.1.2',
  () => {
    const servers = new ServerPair();

    beforeAll(() => servers.start({ LOG_LEVEL: 'warn', TOKEN_AUTH: 'true' }, undefined, { tokenAuth: true }));
    afterAll(() => servers.stop());

    for (const c of tokenCases) {
      it(c.name, async () => {
        expectAsReference(c, ...(await servers.run(c)));
      });
    }
  },
);
