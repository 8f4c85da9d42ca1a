/**
 * A small client of the Confluent schema registry REST API (served here by Apicurio's ccompat/v7):
 * register a schema under a subject, set the subject's compatibility, fetch a schema by id (cached;
 * ids are immutable). Incompatible schemas are a non-retryable SchemaMismatchError.
 */
import { Type } from 'avsc';
import { SchemaMismatchError, ServiceUnavailableError } from '../core/errors';

export type Compatibility =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class SchemaRegistryClient {
  private readonly byId = new Map<number, Promise<string>>();
  private readonly typesById = new Map<number, Promise<Type>>();

  constructor(private readonly baseUrl: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new ServiceUnavailableError('schema_registry', `${method} ${path}: ${(err as Error).message}`, err);
    }
    const text = await res.text();
    const json: unknown = text === '' ? null : JSON.parse(text);
    if (res.status === 409 || res.status === 422) {
      throw new SchemaMismatchError(`schema registry refused ${method} ${path} (${res.status}): ${(json as { message?: string } | null)?.message ?? text}`);
    }
    if (!res.ok) throw new ServiceUnavailableError('schema_registry', `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return json;
  }

  /** Registers (or finds) the schema under the subject; returns its id. Idempotent. */
  async register(subject: string, schemaText: string): Promise<number> {
    const out = (await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema: schemaText, schemaType: 'AVRO' })) as { id?: unknown };
    if (typeof out?.id !== 'number') throw new ServiceUnavailableError('schema_registry', `register ${subject}: no id in the answer`);
    return out.id;
  }

  async setCompatibility(subject: string, level: Compatibility): Promise<void> {
    await this.call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
  }

  async compatibility(subject: string): Promise<string | undefined> {
    const out = (await this.call('GET', `/config/${encodeURIComponent(subject)}`)) as { compatibilityLevel?: string; compatibility?: string };
    return out?.compatibilityLevel ?? out?.compatibility;
  }

  async deleteSubject(subject: string): Promise<void> {
    await this.call('DELETE', `/subjects/${encodeURIComponent(subject)}`);
  }

  /** The schema text of an id. */
  schemaText(id: number): Promise<string> {
    let found = this.byId.get(id);
    if (!found) {
      found = this.call('GET', `/schemas/ids/${id}`).then((out) => {
        const schema = (out as { schema?: unknown }).schema;
        if (typeof schema !== 'string') throw new ServiceUnavailableError('schema_registry', `schema ${id}: no schema in the answer`);
        return schema;
      });
      found.catch(() => this.byId.delete(id));
      this.byId.set(id, found);
    }
    return found;
  }

  /** The avsc Type of a writer schema id (unions of null and one type unwrapped, as eventAvroType does). */
  writerType(id: number): Promise<Type> {
    let found = this.typesById.get(id);
    if (!found) {
      found = this.schemaText(id).then((text) => Type.forSchema(JSON.parse(text) as Parameters<typeof Type.forSchema>[0], { wrapUnions: 'auto' }));
      found.catch(() => this.typesById.delete(id));
      this.typesById.set(id, found);
    }
    return found;
  }
}

/** The subject of a topic's values under the TopicNameStrategy, the Confluent serializers' default. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/**
 * FULL_TRANSITIVE: every new version must be readable by every old reader and read all old data.
 * Adding an optional field with a default passes; removing or retyping a field without one fails.
 */
export const EVENT_SUBJECT_COMPATIBILITY: Compatibility = 'FULL_TRANSITIVE';

/** Sets the subject's rule, then registers the schema; returns its id. Safe on every start. */
export async function ensureSchema(client: SchemaRegistryClient, subject: string, schemaText: string): Promise<number> {
  await client.setCompatibility(subject, EVENT_SUBJECT_COMPATIBILITY);
  return client.register(subject, schemaText);
}
