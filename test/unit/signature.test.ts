import { createHmac } from 'node:crypto';
import { signatureHeader, verifySignature } from '../../core/signature';

const SECRET = 'whsec_0123456789abcdef0123456789abcdef';
const body = Buffer.from('{"events":[{"event_id":"e1"}]}');
/** Computed here with node:crypto directly, not with the module's signBody. */
const hmac = (t: number, b: Buffer, secret = SECRET) => createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${t}.`), b])).digest('hex');
const NOW = 1_800_000_000;

describe('verifySignature (signed batches)', () => {
  it('accepts t,v1 over "<t>.<body>" within the window on either side', () => {
    expect(verifySignature(`t=${NOW},v1=${hmac(NOW, body)}`, body, SECRET, NOW, 300)).toEqual({ ok: true, t: NOW, v1: hmac(NOW, body) });
    expect(verifySignature(`t=${NOW - 300},v1=${hmac(NOW - 300, body)}`, body, SECRET, NOW, 300).ok).toBe(true);
    expect(verifySignature(`t=${NOW + 300}, v1=${hmac(NOW + 300, body).toUpperCase()}`, body, SECRET, NOW, 300).ok).toBe(true);
    expect(signatureHeader(SECRET, NOW, body)).toBe(`t=${NOW},v1=${hmac(NOW, body)}`);
  });

  it('accepts any matching v1 of several and ignores other schemes', () => {
    const header = `t=${NOW},v0=abc,v1=${'0'.repeat(64)},v1=${hmac(NOW, body)}`;
    expect(verifySignature(header, body, SECRET, NOW, 300)).toEqual({ ok: true, t: NOW, v1: hmac(NOW, body) });
  });

  it.each<[string, string | undefined, Buffer, number, RegExp]>([
    ['missing', undefined, body, NOW, /^Clicklake-Signature: missing; this key must sign/],
    ['empty', ' ', body, NOW, /^Clicklake-Signature: missing/],
    ['no t', `v1=${hmac(NOW, body)}`, body, NOW, /^Clicklake-Signature: t=<unix seconds> missing$/],
    ['no v1', `t=${NOW}`, body, NOW, /^Clicklake-Signature: v1=<hex HMAC-SHA256> missing$/],
    ['t not a number', `t=soon,v1=${hmac(NOW, body)}`, body, NOW, /^Clicklake-Signature: t must be unix seconds, got "soon"$/],
    ['v1 not hex', `t=${NOW},v1=xyz`, body, NOW, /^Clicklake-Signature: v1 must be 64 hex digits/],
    ['not k=v', 'garbage', body, NOW, /^Clicklake-Signature: not of the form/],
    ['expired', `t=${NOW - 301},v1=${hmac(NOW - 301, body)}`, body, NOW, /^Clicklake-Signature: t=1799999699 is more than 300 s from the collector's clock \(1800000000\)/],
    ['from the future', `t=${NOW + 301},v1=${hmac(NOW + 301, body)}`, body, NOW, /is more than 300 s from/],
    ['another body', `t=${NOW},v1=${hmac(NOW, body)}`, Buffer.from('{"events":[]}'), NOW, /^Clicklake-Signature: v1 does not match/],
    ['another t than signed', `t=${NOW + 1},v1=${hmac(NOW, body)}`, body, NOW, /v1 does not match/],
    ['another secret', `t=${NOW},v1=${hmac(NOW, body, `${SECRET}x`)}`, body, NOW, /v1 does not match/],
  ])('refuses %s, naming the header', (_name, header, b, now, reason) => {
    const check = verifySignature(header, b, SECRET, now, 300);
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });
});
