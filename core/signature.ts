/**
 * Signed batches (docs/ingestion.md "Signed batches"): a key created with `--signed` must send
 * `Clicklake-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with its signing
 * secret, where body is the request's JSON bytes (after any Content-Encoding is undone). A signature
 * is good for `windowSec` either side of the collector's clock; the collector refuses a (t, v1) seen
 * before inside the window (a replay). This module is the pure check; the replay memory is Redis's.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'clicklake-signature';
export const DEFAULT_SIGNATURE_WINDOW_SEC = 300;

export type SignatureCheck =
  | { readonly ok: true; readonly t: number; readonly v1: string }
  | { readonly ok: false; readonly reason: string };

/** The hex HMAC-SHA256 a client sends as v1 (also what an SDK computes). */
export function signBody(secret: string, t: number, body: Uint8Array): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** The header value for `body` signed at `t` (unix seconds). */
export function signatureHeader(secret: string, t: number, body: Uint8Array): string {
  return `t=${t},v1=${signBody(secret, t, body)}`;
}

/**
 * Checks a presented header against the body. Reasons name the header, so the 401 says what to fix.
 * Several v1 values are allowed (any matching one passes), as during a secret's rotation.
 */
export function verifySignature(header: string | undefined, body: Uint8Array, secret: string, nowSec: number, windowSec: number): SignatureCheck {
  const name = 'Clicklake-Signature';
  if (header === undefined || header.trim() === '') return { ok: false, reason: `${name}: missing; this key must sign its batches (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">)` };
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (eq < 0) return { ok: false, reason: `${name}: not of the form t=<unix seconds>,v1=<hex>` };
    if (k === 't') {
      if (!/^\d{1,12}$/.test(v)) return { ok: false, reason: `${name}: t must be unix seconds, got ${JSON.stringify(v.slice(0, 20))}` };
      t = Number(v);
    } else if (k === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(v)) return { ok: false, reason: `${name}: v1 must be 64 hex digits (HMAC-SHA256)` };
      v1.push(v.toLowerCase());
    }
    // Other schemes (v0, v2, ...) are ignored, so a client may send a newer one alongside v1.
  }
  if (t === undefined) return { ok: false, reason: `${name}: t=<unix seconds> missing` };
  if (v1.length === 0) return { ok: false, reason: `${name}: v1=<hex HMAC-SHA256> missing` };
  if (Math.abs(nowSec - t) > windowSec) return { ok: false, reason: `${name}: t=${t} is more than ${windowSec} s from the collector's clock (${nowSec}); sign again with the current time` };
  const expected = Buffer.from(signBody(secret, t, body), 'hex');
  let match: string | undefined;
  for (const candidate of v1) if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) match = candidate;
  if (match === undefined) return { ok: false, reason: `${name}: v1 does not match the body signed with this key's signing secret` };
  return { ok: true, t, v1: match };
}
