import { decompress } from '@mongodb-js/zstd';
import { Type } from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { createBronzeDecoder, type Decoded } from '../../activities/bronze/decode';
import { encodeBronzeObject } from '../../activities/bronze/objects';
import { formatBronzeLine, type BronzeRecord } from '../../core/bronze';
import { frame } from '../../core/wireFormat';
import { eventAvroType, loadEventSchema } from '../../schemas/event';
import type { EventRecord } from '../../schemas/eventRecord';
import { acceptedEvents } from '../support/ctr';
import { H5, bronzeRecord, pageView } from './bronzeFixtures';

/** The object's NDJSON as core/bronze formatBronzeLine writes each line (the ground truth). */
const expectedText = (records: readonly BronzeRecord[]): string => records.map((r) => `${formatBronzeLine(r)}\n`).join('');
const objectText = async (records: readonly BronzeRecord[]): Promise<string> => (await decompress(await encodeBronzeObject(records))).toString('utf8');

describe('Bronze object encoding', () => {
  it('writes the lines formatBronzeLine writes, for realistic traffic', async () => {
    const records = acceptedEvents(3000, H5, { seed: 3 }).map((e, i) => bronzeRecord(e, 7, i));
    expect(records.some((r) => r.event.properties !== null && Object.keys(r.event.properties).length > 1)).toBe(true);
    expect(await objectText(records)).toBe(expectedText(records));
  });

  it('writes escapes, non-ASCII text, odd map keys and unset fields as formatBronzeLine does', async () => {
    const events: EventRecord[] = [
      pageView('q"uote\\back\nslash\u0001', H5, { page_url: 'https://x.test/é?q=日本語&e=🎉', referrer: '\u2028\u2029', user_agent: 'lone \ud800 surrogate' }),
      pageView('maps', H5, { properties: { b: '2', a: '1', '10': 'ten', '2': 'two', ['__proto__']: 'p', '': 'empty' } as Record<string, string> }),
      pageView('empty-map', H5, { properties: {} }),
      pageView('long', H5, { user_agent: '語'.repeat(5000), extra_json: '{"k":"v"}', quarantine_reason: 'too_late' }),
    ];
    const records = events.map((e, i) => bronzeRecord(e, 0, Number.MAX_SAFE_INTEGER - 10 + i, { kafka_timestamp_ms: i === 0 ? -1 : e.received_time }));
    expect(await objectText(records)).toBe(expectedText(records));
  });

  it('takes formatBronzeLine itself for an envelope that is not plain numbers', async () => {
    const odd = { ...bronzeRecord(pageView('nan', H5), 1, 5), kafka_timestamp_ms: Number.NaN, schema_id: undefined as unknown as number };
    expect(await objectText([odd])).toBe(expectedText([odd]));
  });

  it('grows its buffer for lines longer than it guessed', async () => {
    const records = [bronzeRecord(pageView('big', H5, { user_agent: '🎉'.repeat(40_000) }), 2, 0)];
    expect(await objectText(records)).toBe(expectedText(records));
  });
});

describe('Bronze decoder', () => {
  const message = (value: Buffer | null, offset = 0): KafkaMessage => ({ offset: String(offset), key: Buffer.from('u1'), value, timestamp: String(H5), attributes: 0, headers: {} }) as KafkaMessage;
  const event = pageView('e1', H5, { campaign_id: 'c1', properties: { k: 'v' } });
  const reader = eventAvroType();
  const v1 = loadEventSchema();
  const withField = Type.forSchema({ ...v1, fields: [...v1.fields, { name: 'consent_string', type: ['null', 'string'], default: null }] }, { wrapUnions: 'auto' });
  const withoutEmail = Type.forSchema({ ...v1, fields: v1.fields.filter((f) => f.name !== 'email') }, { wrapUnions: 'auto' });
  const registry = {
    asked: 0,
    async writerType(id: number): Promise<Type> {
      this.asked++;
      const types: Record<number, Type> = { 1: Type.forSchema(v1, { wrapUnions: 'auto' }), 2: withField, 3: withoutEmail };
      const found = types[id];
      if (found === undefined) throw new Error('404 schema not found');
      return found;
    },
  };
  const recordOf = (d: Decoded): BronzeRecord => {
    if (!d.ok) throw new Error(`dead letter: ${d.letter.errors.join('; ')}`);
    return d.record;
  };

  it('decodes each writer schema into the reader schema, at once once the schema is known', async () => {
    const decode = createBronzeDecoder('t', registry);
    const cases: [number, Type, EventRecord][] = [
      [1, reader, event],
      [2, withField, event],
      [3, withoutEmail, { ...event, email: null }],
    ];
    for (const [id, writer, expected] of cases) {
      const value = frame(id, writer.toBuffer(id === 2 ? { ...event, consent_string: 'x' } : event));
      const first = decode(3, message(value, 9));
      expect(first).toBeInstanceOf(Promise);
      expect(recordOf(await first)).toEqual({ topic: 't', partition: 3, offset: 9, kafka_timestamp_ms: H5, schema_id: id, received_time: event.received_time, event: expected });
      const again = decode(3, message(value, 10));
      expect(again).not.toBeInstanceOf(Promise);
      expect(recordOf(again as Decoded).event).toEqual(expected);
    }
    expect(registry.asked).toBe(3);
  });

  it('answers dead letters for bad framing, an unknown schema id and an undecodable body', async () => {
    const decode = createBronzeDecoder('t', registry);
    const reasons = async (value: Buffer | null): Promise<string> => {
      const d = await decode(0, message(value));
      return d.ok ? 'ok' : `${d.letter.reason}: ${d.letter.errors.join('; ')}`;
    };
    expect(await reasons(Buffer.from([1, 0, 0, 0, 1, 2]))).toBe('bad_framing: value: magic byte 1, expected 0');
    expect(await reasons(frame(99, reader.toBuffer(event)))).toBe('unknown_schema: schema id 99: 404 schema not found');
    expect(await reasons(frame(1, Buffer.from([0x02, 0x41])))).toMatch(/^undecodable: value: /);
    expect(await reasons(frame(1, reader.toBuffer(event)))).toBe('ok');
  });
});
