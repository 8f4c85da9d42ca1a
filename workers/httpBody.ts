/**
 * Reads a request body under a byte limit, gzip-decoded when the client says so. The limit applies to
 * the bytes on the wire and again to the decoded bytes, so a small gzip bomb is refused as early as
 * a large plain body. Failures carry the HTTP status they should be answered with.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly error: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Checks the headers before reading a byte: media type, encoding, declared length. */
export function checkBodyHeaders(req: IncomingMessage, maxBytes: number): 'gzip' | 'identity' {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new BodyError(415, 'unsupported_media_type', `content-type: must be application/json, got ${type === '' ? 'none' : JSON.stringify(type)}`);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new BodyError(415, 'unsupported_media_type', `content-encoding: must be gzip or absent, got ${JSON.stringify(encoding)}`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new BodyError(413, 'payload_too_large', `body: ${declared} bytes, limit is ${maxBytes}`);
  }
  return encoding;
}

export function readBody(req: IncomingMessage, encoding: 'gzip' | 'identity', maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: BodyError): void => {
      if (done) return;
      done = true;
      req.unpipe();
      req.resume(); // drain the rest so the connection can answer
      reject(err);
    };
    const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
    let wireBytes = 0;
    if (encoding === 'gzip') {
      req.on('data', (chunk: Buffer) => {
        wireBytes += chunk.length;
        if (wireBytes > maxBytes) fail(new BodyError(413, 'payload_too_large', `body: more than ${maxBytes} bytes on the wire`));
      });
    }
    source.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        fail(new BodyError(413, 'payload_too_large', `body: more than ${maxBytes} bytes${encoding === 'gzip' ? ' after gzip decoding' : ''}`));
        return;
      }
      chunks.push(chunk);
    });
    source.on('error', () => fail(new BodyError(400, 'bad_request', 'body: not valid gzip')));
    req.on('error', () => fail(new BodyError(400, 'bad_request', 'body: the connection broke while reading')));
    source.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
  });
}
