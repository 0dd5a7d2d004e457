import { describe, expect, it } from 'vitest';
import { requestNameCode } from '../../../edge/plugins/requestName.js';
import { AB } from '../../../edge/plugins/audiobridge/errors.js';
import { ST } from '../../../edge/plugins/streaming/errors.js';
import { VR } from '../../../edge/plugins/videoroom/errors.js';

describe('requestNameCode', () => {
  it("lower-cases a request's name", () => {
    expect(requestNameCode({ request: 'JoinAndConfigure' }, VR)).toBe('joinandconfigure');
  });

  it("maps a missing or mistyped request to each plugin's own code, in Janus's words", () => {
    const missing = 'Missing mandatory element (request)';
    const invalid = 'Invalid element type (request should be a string)';
    for (const [codes, miss, bad] of [
      [VR, 429, 430],
      [AB, 483, 484],
      [ST, 453, 454],
    ] as const) {
      expect(requestNameCode({}, codes)).toEqual({ code: miss, text: missing });
      expect(requestNameCode({ request: 5 }, codes)).toEqual({ code: bad, text: invalid });
    }
  });
});
