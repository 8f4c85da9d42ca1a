import type { schema } from 'avsc';
import { Type } from 'avsc';
import { SchemaRegistryClient, ensureSchema } from '../../activities/schemaRegistry';
import { SchemaMismatchError } from '../../core/errors';
import { eventAvroType, eventSchemaText, loadEventSchema } from '../../schemas/event';
import type { EventRecord } from '../../schemas/eventRecord';
import { uniqueName } from '../support/stack';
import { stackConfig } from '../support/stack';

const config = stackConfig();
const registry = new SchemaRegistryClient(config.schemaRegistry.url);

const v1Record: EventRecord = {
  event_id: 'e-1',
  event_type: 'ad_click',
  event_time: 1_795_000_000_000,
  user_id: 'u-1',
  session_id: null,
  campaign_id: 'c-1',
  ad_id: 'a-1',
  placement: null,
  title_id: null,
  position_ms: null,
  page_url: null,
  referrer: null,
  device_type: 'tv',
  country: 'FR',
  user_agent: null,
  ip: null,
  email: null,
  properties: { k: 'v' },
  received_time: 1_795_000_000_500,
  quarantine_reason: null,
  extra_json: null,
};

describe('event schema evolution in the registry', () => {
  const subject = `${uniqueName('test.events')}-value`;

  afterAll(() => registry.deleteSubject(subject).catch(() => undefined));

  it('accepts a v2 adding an optional field with a default; v1 readers still decode v2 data', async () => {
    const v1Id = await ensureSchema(registry, subject, eventSchemaText());
    expect(await registry.compatibility(subject)).toBe('FULL_TRANSITIVE');

    const v2Schema = loadEventSchema();
    v2Schema.fields.push({ name: 'consent_string', type: ['null', 'string'], default: null } as schema.RecordType['fields'][number]);
    const v2Id = await registry.register(subject, JSON.stringify(v2Schema));
    expect(v2Id).not.toBe(v1Id);

    // A v2 writer's bytes, read by a v1 reader through schema resolution with the writer schema fetched by id.
    const v2Type = await registry.writerType(v2Id);
    const v2Bytes = v2Type.toBuffer({ ...v1Record, consent_string: 'CPX' });
    const v1Reader = eventAvroType();
    expect(v1Reader.fromBuffer(v2Bytes, v1Reader.createResolver(v2Type))).toEqual(v1Record);

    // And a v2 reader reads v1 data, filling the new field with its default.
    const v2Reader = Type.forSchema(v2Schema, { wrapUnions: 'auto' });
    expect(v2Reader.fromBuffer(v1Reader.toBuffer(v1Record), v2Reader.createResolver(v1Reader))).toEqual({ ...v1Record, consent_string: null });

    // Registering v1 again is idempotent: same id.
    expect(await registry.register(subject, eventSchemaText())).toBe(v1Id);
  });

  it('refuses a version that drops a required field (HTTP 409)', async () => {
    const broken = loadEventSchema();
    broken.fields = broken.fields.filter((f) => f.name !== 'user_id');
    await expect(registry.register(subject, JSON.stringify(broken))).rejects.toThrow(SchemaMismatchError);
    await expect(registry.register(subject, JSON.stringify(broken))).rejects.toThrow(/\(409\)/);
  });
});
