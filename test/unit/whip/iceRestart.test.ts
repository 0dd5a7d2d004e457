import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../../edge/whip/httpErrors.js';
import { answerFragment, iceEtag, withNewIceCredentials } from '../../../edge/whip/iceRestart.js';

const OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:0',
  'a=ice-ufrag:oldU',
  'a=ice-pwd:oldpasswordoldpassword00',
  'a=candidate:1 1 udp 2130706431 192.0.2.1 4000 typ host',
  'a=end-of-candidates',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:1',
  'a=ice-ufrag:oldU',
  'a=ice-pwd:oldpasswordoldpassword00',
  '',
].join('\r\n');

const problem = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof HttpProblem ? err.status : err;
  }
  return undefined;
};

describe('WHIP ICE restart (RFC 9725 §4.4.1)', () => {
  it('the last offer again with the new credentials everywhere and no old candidates', () => {
    const offer = withNewIceCredentials(OFFER, {
      iceUfrag: 'newU',
      icePwd: 'newpasswordnewpassword00',
      candidates: [],
    });
    expect(offer.match(/a=ice-ufrag:newU/g)).toHaveLength(2);
    expect(offer.match(/a=ice-pwd:newpasswordnewpassword00/g)).toHaveLength(2);
    expect(offer).not.toMatch(/oldU|oldpassword|a=candidate|end-of-candidates/);
    expect(offer).toMatch(/^v=0\r\n[\s\S]*m=video 9 UDP\/TLS\/RTP\/SAVPF 96\r\na=mid:1\r\n/);
  });

  it('refuses a fragment without new, valid credentials (400)', () => {
    const pwd = 'newpasswordnewpassword00';
    expect(problem(() => withNewIceCredentials(OFFER, { candidates: [] }))).toBe(400);
    expect(problem(() => withNewIceCredentials(OFFER, { iceUfrag: 'newU', candidates: [] }))).toBe(400);
    expect(problem(() => withNewIceCredentials(OFFER, { iceUfrag: 'oldU', icePwd: pwd, candidates: [] }))).toBe(400);
    expect(problem(() => withNewIceCredentials(OFFER, { iceUfrag: 'new\r\nU', icePwd: pwd, candidates: [] }))).toBe(
      400,
    );
    expect(problem(() => withNewIceCredentials(OFFER, { iceUfrag: 'newU', icePwd: 'short', candidates: [] }))).toBe(
      400,
    );
  });

  it('the answer cut to a fragment: the first m-line, its mid, credentials and candidates', () => {
    const answer = OFFER.replace(/oldU/g, 'srvU').replace(/oldpassword/g, 'srvpassword');
    expect(answerFragment(answer).split('\r\n')).toEqual([
      'a=group:BUNDLE 0 1',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=mid:0',
      'a=ice-ufrag:srvU',
      'a=ice-pwd:srvpasswordsrvpassword00',
      'a=candidate:1 1 udp 2130706431 192.0.2.1 4000 typ host',
      'a=end-of-candidates',
      '',
    ]);
    expect(problem(() => answerFragment('v=0\r\nm=audio 9 RTP/AVP 0\r\n'))).toBe(500);
  });

  it('the ETag follows the client’s ufrag', () => {
    expect(iceEtag(OFFER)).toBe('"ice-oldU"');
    expect(iceEtag(undefined)).toBe('"ice-none"');
    expect(iceEtag(OFFER.replace(/oldU/g, 'newU'))).not.toBe(iceEtag(OFFER));
  });
});
