/**
 * Decoding step of the CTR consumer: a message value becomes the few fields the CTR reads, or a
 * reason it cannot (bad framing, unknown schema id, undecodable body) for the dead-letter topic.
 */
import { Type, type schema } from 'avsc';
import { CTR_EVENT_FIELDS, type CtrEventFields } from '../../core/ctr';
import type { ConsumerDeadLetter } from '../../core/deadLetter';
import { BadInputError, errorMessage } from '../../core/errors';
import { unframe } from '../../core/wireFormat';
import type { SchemaRegistryClient } from '../schemaRegistry';

type BodyDecoder = (body: Buffer) => CtrEventFields;

/** The reader schema of the CTR fields: the writer's record with only the fields the CTR reads. */
function projectionOf(writer: schema.RecordType): schema.RecordType {
  const wanted = new Set<string>(CTR_EVENT_FIELDS);
  return { ...writer, fields: writer.fields.filter((f) => wanted.has(f.name)) };
}

/**
 * Decodes through a projection of the writer schema: Avro schema resolution skips the other fields
 * (user agent, URLs, properties) without building strings for them, which is most of the decode cost.
 */
function bodyDecoder(writerSchemaText: string, writer: Type): BodyDecoder {
  const writerSchema = JSON.parse(writerSchemaText) as schema.RecordType;
  if (writerSchema.type !== 'record' || !Array.isArray(writerSchema.fields)) throw new BadInputError('not a record schema');
  const projection = projectionOf(writerSchema);
  const reader = Type.forSchema(projection, { wrapUnions: 'auto' });
  const resolver = reader.createResolver(writer);
  const complete = projection.fields.length === CTR_EVENT_FIELDS.length;
  return (body) => {
    const value = reader.fromBuffer(body, resolver) as Partial<CtrEventFields>;
    if (complete) return value as CtrEventFields;
    // A writer without some optional field: it reads as null (a writer without event_id, event_type
    // or event_time yields nothing countable).
    return {
      event_id: value.event_id ?? '',
      event_type: value.event_type ?? 'heartbeat',
      event_time: value.event_time ?? 0,
      campaign_id: value.campaign_id ?? null,
      quarantine_reason: value.quarantine_reason ?? null,
    };
  };
}

/** Whether the registry has no schema with this id (404), as opposed to not answering. */
async function schemaIsMissing(registryUrl: string, schemaId: number): Promise<boolean> {
  try {
    const res = await fetch(`${registryUrl}/schemas/ids/${schemaId}`, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.status === 404;
  } catch {
    // Not an answer either way (the registry is down): the caller rethrows its own error, which fails the batch.
    return false;
  }
}

type Decoded = { readonly ok: true; readonly event: CtrEventFields } | { readonly ok: false; readonly reason: ConsumerDeadLetter['reason']; readonly error: string };

/** Value bytes → CTR fields, with one cached decoder per writer schema id. */
export class CtrDecoder {
  private readonly decoders = new Map<number, BodyDecoder | { readonly missing: string }>();

  constructor(
    private readonly registry: SchemaRegistryClient,
    private readonly registryUrl: string,
  ) {}

  private async load(schemaId: number): Promise<BodyDecoder | { readonly missing: string }> {
    let found: BodyDecoder | { readonly missing: string };
    try {
      const [text, writer] = await Promise.all([this.registry.schemaText(schemaId), this.registry.writerType(schemaId)]);
      try {
        found = bodyDecoder(text, writer);
      } catch (err) {
        found = { missing: `schema id ${schemaId} is not a readable event schema: ${errorMessage(err)}` };
      }
    } catch (err) {
      if (!(await schemaIsMissing(this.registryUrl, schemaId))) throw err;
      found = { missing: `schema id ${schemaId}: not in the schema registry` };
    }
    this.decoders.set(schemaId, found);
    return found;
  }

  /**
   * Decodes a value, or says it cannot yet (undefined): its schema id has not been loaded. Synchronous,
   * so the hot loop makes no promise per record; `load` is awaited only for a new schema id.
   */
  decodeLoaded(value: Buffer | null): Decoded | undefined {
    const framed = unframe(value);
    if (!framed.ok) return { ok: false, reason: 'bad_framing', error: framed.reason };
    const decoder = this.decoders.get(framed.schemaId);
    if (decoder === undefined) return undefined;
    if (typeof decoder !== 'function') return { ok: false, reason: 'unknown_schema', error: decoder.missing };
    try {
      return { ok: true, event: decoder(framed.body) };
    } catch (err) {
      return { ok: false, reason: 'undecodable', error: `value: ${errorMessage(err)}` };
    }
  }

  async decode(value: Buffer | null): Promise<Decoded> {
    const decoded = this.decodeLoaded(value);
    if (decoded !== undefined) return decoded;
    await this.load((value as Buffer).readInt32BE(1)); // framed (decodeLoaded checked), schema id not loaded yet
    return this.decodeLoaded(value) as Decoded;
  }
}
