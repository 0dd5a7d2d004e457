import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha1, IPAD_ROOM, JS_INNER_BLOCKS } from '../../../relay/srtp/hmacSha1.js';

describe('HmacSha1 (keyed once; JavaScript inner hash for short messages, OpenSSL for long ones)', () => {
  it('equals createHmac for every message length 0..600 bytes (both paths and every padding case)', () => {
    const key = randomBytes(20);
    const h = new HmacSha1(key);
    const msg = randomBytes(600);
    expect(JS_INNER_BLOCKS * 64 - 9).toBeLessThan(600);
    for (let len = 0; len <= 600; len++) {
      const buf = Buffer.alloc(IPAD_ROOM + len + 20);
      msg.copy(buf, IPAD_ROOM, 0, len);
      h.tag(buf, IPAD_ROOM + len, IPAD_ROOM + len, 20);
      const want = createHmac('sha1', key).update(msg.subarray(0, len)).digest();
      if (!buf.subarray(IPAD_ROOM + len).equals(want))
        expect({ len, tag: buf.subarray(IPAD_ROOM + len) }).toEqual({ len, tag: want });
    }
  });

  it('RFC 2202 test case 2 ("Jefe")', () => {
    const h = new HmacSha1(Buffer.from('Jefe'));
    const m = Buffer.from('what do ya want for nothing?');
    const buf = Buffer.alloc(IPAD_ROOM + m.length + 20);
    m.copy(buf, IPAD_ROOM);
    h.tag(buf, IPAD_ROOM + m.length, IPAD_ROOM + m.length, 20);
    expect(buf.subarray(IPAD_ROOM + m.length).toString('hex')).toBe('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  });
});
