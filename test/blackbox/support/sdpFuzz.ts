/**
 * Hostile SDPs for `jsep` offers, generated from a seed. The families follow the corpora of Janus's
 * own SDP fuzzer (janus-gateway fuzzers/corpora/sdp_fuzzer): its `1meetecho` timeouts (a garbage `o=`
 * line, `t=-1-1`, tens of thousands of `a=d`-style attribute lines), and its `2webrtc` seeds (plain
 * RTP/AVP SDPs with hostnames, SDES data sections without `v=`, browser offers) mutated the way a
 * coverage-guided fuzzer does: truncated, lines dropped, duplicated or reordered, bytes injected,
 * numbers pushed past their ranges. Nothing of the corpora is copied; the shapes are rebuilt here.
 */

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: R, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** A well-formed browser-like offer (audio + video + data), the seed most mutations start from. */
export function baseOffer(r: R): string {
  const ufrag = Math.floor(r() * 1e9).toString(36);
  const fp = Array.from({ length: 32 }, () => int(r, 0, 255).toString(16).padStart(2, '0').toUpperCase()).join(':');
  const common = [
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    `a=ice-ufrag:${ufrag}`,
    `a=ice-pwd:${ufrag}${ufrag}${ufrag}pwdpwdpwd`,
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${fp}`,
    'a=setup:actpass',
  ];
  return [
    'v=0',
    `o=- ${int(r, 1, 2 ** 31)} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1 2',
    'a=msid-semantic: WMS stream',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
    ...common,
    'a=mid:0',
    'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'a=sendrecv',
    'a=msid:stream audio0',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:0 PCMU/8000',
    `a=ssrc:${int(r, 1, 2 ** 32 - 1)} cname:fuzz`,
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
    ...common,
    'a=mid:1',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=sendrecv',
    'a=msid:stream video0',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=rtcp-fb:96 goog-remb',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    `a=ssrc:${int(r, 1, 2 ** 32 - 1)} cname:fuzz`,
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    ...common,
    'a=mid:2',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    '',
  ].join('\r\n');
}

const HOSTILE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '', ' ', '%00', '../..'];
const HOSTILE_NUMBERS = ['-1', '0', '65536', '4294967296', '99999999999999999999', '1e3', 'NaN', '0x10', '+5', ''];
const GARBAGE = ['\u0000', '\uFFFD', '\u202E', '\uD800', '\u0007', '\t', '\u00FF\u00FE', '󠁗', '\\', '"', '=', ':'];

function lines(sdp: string): string[] {
  return sdp.split('\r\n').filter((l) => l !== '');
}

/** One family per entry: (rng, base offer) → a hostile SDP. */
const families: Record<string, (r: R, base: string) => string> = {
  // sdp_fuzzer timeouts: garbage origin, negative timing, a flood of meaningless attributes.
  'attribute-flood': (r) => {
    const n = int(r, 2_000, 20_000);
    const flood = Array.from({ length: n }, () => (r() < 0.02 ? pick(r, ['t=-1-1', 'a==', 'a=a=d', 'a =d']) : 'a=d'));
    return ['v=0', 's=~', 'o=R -32767-4INIP4 \uFFFD', ...flood].join('\n');
  },
  // 2webrtc plain SIP-style SDPs: RTP/AVP, hostnames, no ICE or DTLS at all.
  'plain-rtp-avp': (r) =>
    [
      'v=0',
      `o=bob ${int(r, 0, 2 ** 32)} ${int(r, 0, 2 ** 32)} IN IP4 host.biloxi.example.com`,
      's=',
      'c=IN IP4 host.biloxi.example.com',
      't=0 0',
      `m=audio ${int(r, 0, 70_000)} RTP/AVP 97`,
      'a=rtpmap:97 iLBC/8000',
      `m=audio ${int(r, 0, 70_000)} RTP/AVP 98`,
      'a=rtpmap:98 telephone-event/8000',
      pick(r, ['a=recvonly', 'a=sendonly', 'a=inactive']),
      '',
    ].join('\n'),
  // 2webrtc unittest seeds: a bare SDES data section, no session part.
  'sdes-data-only': () =>
    [
      'm=application 9 RTP/SAVPF 101',
      'c=IN IP4 0.0.0.0',
      'a=ice-ufrag:ufrag_data',
      'a=ice-pwd:pwd_data',
      'a=mid:data_content_name',
      'a=sendrecv',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:FvLcvU2P3ZWmQxgPAgcDu7Zl9vftYElFOjEzhWs5',
      'a=rtpmap:101 google-data/90000',
      'a=ssrc:10 cname:data_channel_cname',
      '',
    ].join('\n'),
  truncated: (r, base) => base.slice(0, int(r, 0, base.length - 1)),
  'lines-dropped': (r, base) => {
    const ls = lines(base);
    for (let k = int(r, 1, 6); k > 0; k--) ls.splice(int(r, 0, ls.length - 1), 1);
    return ls.join('\r\n') + '\r\n';
  },
  'lines-duplicated': (r, base) => {
    const ls = lines(base);
    for (let k = int(r, 1, 6); k > 0; k--) {
      const i = int(r, 0, ls.length - 1);
      ls.splice(int(r, 0, ls.length), 0, ls[i]!);
    }
    return ls.join('\r\n') + '\r\n';
  },
  'lines-shuffled': (r, base) => {
    const ls = lines(base);
    for (let i = ls.length - 1; i > 0; i--) {
      const j = int(r, 0, i);
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
    }
    return ls.join('\r\n') + '\r\n';
  },
  'bytes-injected': (r, base) => {
    let s = base;
    for (let k = int(r, 1, 12); k > 0; k--) {
      const at = int(r, 0, s.length);
      s = s.slice(0, at) + pick(r, GARBAGE) + s.slice(at + (r() < 0.5 ? 1 : 0));
    }
    return s;
  },
  'numbers-out-of-range': (r, base) =>
    base
      .replace(/^m=(\w+) 9 /gm, () => `m=$1 ${pick(r, HOSTILE_NUMBERS)} `)
      .replace(/rtpmap:(\d+) /g, (m, pt: string) =>
        r() < 0.5 ? `rtpmap:${pick(r, HOSTILE_NUMBERS)} ` : `rtpmap:${pt} `,
      )
      .replace(/a=ssrc:\d+/g, () => `a=ssrc:${pick(r, HOSTILE_NUMBERS)}`)
      .replace(/a=extmap:\d+/g, () => `a=extmap:${pick(r, ['0', '15', '256', '-3', '1'])}`)
      .replace(/sctp-port:\d+/, () => `sctp-port:${pick(r, HOSTILE_NUMBERS)}`)
      .replace(/opus\/48000\/2/, () => `opus/${pick(r, HOSTILE_NUMBERS)}/${pick(r, HOSTILE_NUMBERS)}`),
  'hostile-names': (r, base) => {
    const name = () => (r() < 0.2 ? 'x'.repeat(int(r, 1_000, 20_000)) : pick(r, HOSTILE_NAMES));
    return base
      .replace(/a=mid:\d/g, () => `a=mid:${name()}`)
      .replace(/a=group:BUNDLE .*/, () => `a=group:BUNDLE ${name()} ${name()}`)
      .replace(/a=msid:\S+ \S+/g, () => `a=msid:${name()} ${name()}`)
      .replace(/cname:fuzz/g, () => `cname:${name()}`);
  },
  'many-m-lines': (r, base) => {
    const [head, ...sections] = base.split(/\r\n(?=m=)/);
    const out = [head];
    for (let i = int(r, 50, 400); i > 0; i--) out.push(pick(r, sections).replace(/a=mid:\d+/, `a=mid:${i}`));
    return out.join('\r\n');
  },
  'line-endings': (r, base) =>
    pick(r, [
      base.replace(/\r\n/g, '\r'),
      base.replace(/\r\n/g, ''),
      base.replace(/\r\n/g, () => pick(r, ['\n', '\r\n', '\n\n', ' \r\n'])),
      base.replace(/^/gm, ' '),
    ]),
  'simulcast-garbage': (r, base) =>
    base.replace(
      'a=mid:1\r\n',
      `a=mid:1\r\n${Array.from({ length: int(r, 1, 200) }, (_, i) => `a=rid:${pick(r, [String(i), 'h', '', '~', '__proto__'])} ${pick(r, ['send', 'recv', 'both', ''])}`).join('\r\n')}\r\na=simulcast:${pick(r, ['send', 'recv', ''])} ${Array.from({ length: int(r, 1, 100) }, (_, i) => String(i)).join(';')}\r\n`,
    ),
  'fingerprint-and-ice': (r, base) =>
    base
      .replace(/a=fingerprint:sha-256 \S+/g, () =>
        pick(r, ['a=fingerprint:md5 00', 'a=fingerprint:sha-256', 'a=fingerprint:sha-512 ' + 'Z'.repeat(500), '']),
      )
      .replace(/a=ice-pwd:\S+/g, () => pick(r, ['a=ice-pwd:', 'a=ice-pwd:x', `a=ice-pwd:${'p'.repeat(3000)}`]))
      .replace(/a=setup:actpass/g, () => pick(r, ['a=setup:', 'a=setup:holdconn', 'a=setup:passive'])),
  'empty-or-blank': (r) => pick(r, ['', ' ', '\r\n', 'v=0', 'v=0\r\n', '\u0000'.repeat(int(r, 1, 64))]),
};

export const SDP_FAMILIES = Object.keys(families);

export interface SdpCase {
  n: number;
  family: string;
  /** The jsep as sent: usually an offer with a hostile sdp, sometimes a hostile jsep itself. */
  jsep: unknown;
}

/** One SDP case; about one in eight breaks the jsep object itself rather than its sdp. */
export function makeSdpCase(n: number, r: R): SdpCase {
  const family = pick(r, SDP_FAMILIES);
  const sdp = families[family]!(r, baseOffer(r));
  if (r() < 0.125) {
    const jsep = pick(r, [
      { type: 'answer', sdp },
      { type: 'pranswer', sdp },
      { type: 'rollback', sdp },
      { type: 'offer' },
      { type: 'offer', sdp: 42 },
      { type: 'offer', sdp: { toString: sdp } },
      { type: '__proto__', sdp },
      { sdp },
      { type: 'offer', sdp, trickle: 'yes' },
      { type: 'offer', sdp, e2ee: 'maybe' },
      'offer',
      [sdp],
    ]);
    return { n, family: `jsep:${family}`, jsep };
  }
  return { n, family, jsep: { type: 'offer', sdp } };
}
