/**
 * The Confluent wire format of a Kafka message value: magic byte 0, the schema id as a 4-byte
 * big-endian integer, then the Avro binary body. Pure framing; the registry lookup is elsewhere.
 */
export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

export function frame(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) throw new RangeError(`schema id ${schemaId} out of range`);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  out.set(body, HEADER_BYTES);
  return out;
}

export type Unframed = { readonly ok: true; readonly schemaId: number; readonly body: Buffer } | { readonly ok: false; readonly reason: string };

/** Splits a message value into schema id and body, or says why it is not in the wire format. */
export function unframe(value: Buffer | null | undefined): Unframed {
  if (value === null || value === undefined) return { ok: false, reason: 'value: null (tombstone)' };
  if (value.length < HEADER_BYTES) return { ok: false, reason: `value: ${value.length} bytes, shorter than the 5-byte header` };
  if (value[0] !== MAGIC_BYTE) return { ok: false, reason: `value: magic byte ${value[0]}, expected 0` };
  return { ok: true, schemaId: value.readInt32BE(1), body: value.subarray(HEADER_BYTES) };
}
