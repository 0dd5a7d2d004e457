import { describe, expect, it } from 'vitest';
import { deadlineOf, type Handle, type Session } from '../../../edge/core/session.js';
import { JanusApiError } from '../../../shared/janus/errors.js';
import { httpProblemOf } from '../../../edge/whip/httpErrors.js';
import { iceServerLinks } from '../../../edge/whip/iceServers.js';
import { parseSdpFragment } from '../../../edge/whip/sdpFragment.js';
import { pathRoomId } from '../../../edge/whip/targets.js';

describe('trickle-ice-sdpfrag bodies (RFC 8840)', () => {
  it('reads credentials, candidates per mid and m-line, and the end of candidates', () => {
    const f = parseSdpFragment(
      'a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n' +
        'a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0\r\n' +
        'm=video 9 RTP/AVP 0\r\na=mid:1\r\na=candidate:2 1 udp 1 192.0.2.1 61765 typ host\r\na=end-of-candidates\r\n',
    );
    expect(f).toEqual({
      iceUfrag: 'EsAw',
      icePwd: 'P2uYro0UCOQ4zxjKXaWCBui1',
      candidates: [
        {
          candidate: 'candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0',
          sdpMid: '0',
          sdpMLineIndex: 0,
        },
        { candidate: 'candidate:2 1 udp 1 192.0.2.1 61765 typ host', sdpMid: '1', sdpMLineIndex: 1 },
        { completed: true },
      ],
    });
  });

  it('refuses what is no fragment: a candidate outside a media section with a mid, text, nothing', () => {
    expect(parseSdpFragment('a=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n')).toBeUndefined();
    expect(parseSdpFragment('hello world')).toBeUndefined();
    expect(parseSdpFragment('')).toBeUndefined();
  });
});

describe('ICE servers as Link headers (RFC 9725 §4.6)', () => {
  it('one link per url, TURN credentials with their type; none configured, none sent', () => {
    expect(iceServerLinks(undefined)).toEqual([]);
    expect(iceServerLinks('')).toEqual([]);
    expect(
      iceServerLinks(
        JSON.stringify([
          { urls: 'stun:stun.example.net' },
          { urls: ['turn:t.example.net:3478', 'turns:t.example.net:5349'], username: 'u', credential: 'c' },
        ]),
      ),
    ).toEqual([
      '<stun:stun.example.net>; rel="ice-server"',
      '<turn:t.example.net:3478>; rel="ice-server"; username="u"; credential="c"; credential-type="password"',
      '<turns:t.example.net:5349>; rel="ice-server"; username="u"; credential="c"; credential-type="password"',
    ]);
  });

  it('a bad value is refused, not half used', () => {
    expect(() => iceServerLinks('not json')).toThrow();
    expect(() => iceServerLinks(JSON.stringify([{ urls: 'http://x' }]))).toThrow();
    expect(() => iceServerLinks(JSON.stringify([{ urls: ['turn:a b'] }]))).toThrow();
  });
});

describe('Janus errors as WHIP statuses', () => {
  const status = (code: number, reason = 'x', token = false) =>
    httpProblemOf(new JanusApiError(code, reason), token).status;
  it('maps auth, absence, conflicts, bad offers and overload', () => {
    expect(status(403)).toBe(401);
    expect(status(403, 'x', true)).toBe(403);
    expect(status(433, 'x', true)).toBe(403);
    expect(status(429, 'Missing mandatory element (pin)')).toBe(401);
    expect(status(426)).toBe(404);
    expect(status(428)).toBe(404);
    expect(status(432)).toBe(409);
    expect(status(436)).toBe(409);
    expect(status(465)).toBe(400);
    expect(status(431)).toBe(422);
    expect(status(490)).toBe(503);
    expect(httpProblemOf(new Error('boom'), false).status).toBe(500);
  });
});

describe('endpoint ids', () => {
  it('positive safe integers, or bounded strings with string ids', () => {
    expect(pathRoomId('1234', false)).toBe(1234);
    expect(pathRoomId('8135799412315926', false)).toBe(8135799412315926);
    expect(pathRoomId('0', false)).toBeUndefined();
    expect(pathRoomId('99999999999999999', false)).toBeUndefined();
    expect(pathRoomId('abc', false)).toBeUndefined();
    expect(pathRoomId('abc', true)).toBe('abc');
    expect(pathRoomId('a/b', true)).toBeUndefined();
  });
});

describe('a WHIP/WHEP session is kept alive by its PeerConnection', () => {
  const session = (resource: 'whip' | undefined, hasPeer: boolean): Session =>
    ({
      id: 1,
      createdAt: 0,
      lastActivity: 1000,
      source: { kind: 'http', ...(resource ? { resource } : {}) },
      handles: new Map([[2, { id: 2, hasPeer } as Handle]]),
    }) as unknown as Session;
  it('no deadline while a handle has a PeerConnection; the ordinary one without, and for other sessions', () => {
    expect(deadlineOf(session('whip', true), 60, 0)).toBe(Infinity);
    expect(deadlineOf(session('whip', false), 60, 0)).toBe(61_000);
    expect(deadlineOf(session(undefined, true), 60, 0)).toBe(61_000);
  });
});
