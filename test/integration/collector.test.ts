import { gzipSync } from 'node:zlib';
import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import type { CollectorDeadLetter } from '../../core/deadLetter';
import { unframe } from '../../core/wireFormat';
import type { EventRecord } from '../../schemas/eventRecord';
import { endOffsets, readRange } from '../support/kafka';
import { stackConfig, uniqueName } from '../support/stack';

const config = stackConfig();
const kafka = createKafka(config.kafka, { clientId: 'clicklake-test' });
const registry = new SchemaRegistryClient(config.schemaRegistry.url);
const apiKey = config.collector.apiKeys[0] as string;

async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${config.collector.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function decode(value: Buffer | null): Promise<EventRecord> {
  const framed = unframe(value);
  if (!framed.ok) throw new Error(framed.reason);
  return (await registry.writerType(framed.schemaId)).fromBuffer(framed.body) as EventRecord;
}

describe('collector → Kafka round trip', () => {
  it('answers 200 only with every accepted event in the topic, Avro-framed, keyed by user_id, and dead-letters the rest with reasons', async () => {
    const run = uniqueName('rt');
    const now = Date.now();
    const events = [
      { event_id: `${run}-1`, event_type: 'ad_impression', event_time: now - 1000, user_id: 'u-1', campaign_id: 'c-1', ad_id: 'a-1', device_type: 'ios', country: 'de', vendor_flag: 'x' },
      { event_id: `${run}-2`, event_type: 'ad_click', event_time: new Date(now).toISOString(), user_id: 'u-2', campaign_id: 'c-1' },
      { event_id: `${run}-3`, event_type: 'video_play', event_time: now, user_id: 'u-3', title_id: 't-9', position_ms: 0 },
      { event_id: `${run}-4`, event_type: 'page_view', event_time: now + 60 * 60 * 1000, user_id: 'u-4' },
      { event_id: `${run}-5`, event_type: 'heartbeat', event_time: now - 8 * 24 * 3600 * 1000, user_id: 'u-5' },
    ];
    const before = { events: await endOffsets(kafka, config.kafka.eventsTopic), dlq: await endOffsets(kafka, config.kafka.deadLetterTopic) };

    const answer = await post(JSON.stringify({ events }));

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      accepted: 3,
      quarantined: 1,
      rejected: [
        { index: 1, event_id: `${run}-2`, errors: ['ad_id: required for ad_click'] },
        { index: 3, event_id: `${run}-4`, errors: [expect.stringMatching(/^event_time: in the future/)] },
      ],
    });

    const after = { events: await endOffsets(kafka, config.kafka.eventsTopic), dlq: await endOffsets(kafka, config.kafka.deadLetterTopic) };
    const written = (await readRange(kafka, config.kafka.eventsTopic, before.events, after.events)).filter((m) => m.key?.toString().startsWith('u-'));
    const decoded = await Promise.all(written.map(async (m) => ({ key: m.key!.toString(), event: await decode(m.value) })));
    const mine = decoded.filter((d) => d.event.event_id.startsWith(run)).sort((a, b) => a.event.event_id.localeCompare(b.event.event_id));
    expect(mine.map((d) => [d.key, d.event.event_id, d.event.event_type, d.event.quarantine_reason !== null])).toEqual([
      ['u-1', `${run}-1`, 'ad_impression', false],
      ['u-3', `${run}-3`, 'video_play', false],
      ['u-5', `${run}-5`, 'heartbeat', true],
    ]);
    const first = mine[0]!.event;
    expect(first).toEqual(
      expect.objectContaining({ event_time: now - 1000, device_type: 'ios', country: 'DE', campaign_id: 'c-1', extra_json: '{"vendor_flag":"x"}' }),
    );
    expect(first.received_time).toBeGreaterThanOrEqual(now - 5000);

    const letters = (await readRange(kafka, config.kafka.deadLetterTopic, before.dlq, after.dlq))
      .map((m) => ({ headers: m.headers, letter: JSON.parse(m.value!.toString()) as CollectorDeadLetter }))
      .filter((l) => l.letter.event_id?.startsWith(run))
      .sort((a, b) => a.letter.index - b.letter.index);
    expect(letters.map((l) => [l.headers['clicklake-reason'], l.letter.index, l.letter.event_id, l.letter.errors, (l.letter.event as { user_id: string }).user_id])).toEqual([
      ['invalid_event', 1, `${run}-2`, ['ad_id: required for ad_click'], 'u-2'],
      ['invalid_event', 3, `${run}-4`, [expect.stringMatching(/^event_time: in the future/)], 'u-4'],
    ]);
    expect(letters.every((l) => l.letter.api_key_id.length === 12 && !JSON.stringify(l.letter).includes(apiKey))).toBe(true);
  }, 60_000);

  it('accepts a gzip body', async () => {
    const event = { event_id: uniqueName('gz'), event_type: 'page_view', event_time: Date.now(), user_id: 'u-gz' };
    const answer = await post(gzipSync(JSON.stringify({ events: [event] })), { 'content-encoding': 'gzip' });
    expect([answer.status, answer.body]).toEqual([200, { accepted: 1, rejected: [], quarantined: 0 }]);
  });
});

describe('collector errors', () => {
  const one = JSON.stringify({ events: [{ event_id: 'x', event_type: 'page_view', event_time: Date.now(), user_id: 'u' }] });

  it.each<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string, string | RegExp]>([
    ['no key', () => post(one, { authorization: '' }), 401, 'unauthorized', 'authorization: missing "Bearer <api key>" header'],
    ['a wrong key', () => post(one, { authorization: 'Bearer not-the-key-000000' }), 401, 'unauthorized', 'authorization: unknown API key, or one without the ingest scope'],
    ['text/plain', () => post(one, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type', 'content-type: must be application/json, got "text/plain"'],
    ['brotli', () => post(one, { 'content-encoding': 'br' }), 415, 'unsupported_media_type', 'content-encoding: must be gzip or absent, got "br"'],
    ['not JSON', () => post('{"events": ['), 400, 'bad_request', /^body: not valid JSON/],
    ['no events array', () => post('{"event": []}'), 400, 'bad_request', 'events: required'],
    ['1001 events', () => post(JSON.stringify({ events: Array.from({ length: 1001 }, () => ({})) })), 413, 'payload_too_large', 'events: at most 1000 per request, got 1001'],
    ['a 2 MiB body', () => post('x'.repeat(2 * 1024 * 1024)), 413, 'payload_too_large', 'body: 2097152 bytes, limit is 1048576'],
    ['a gzip bomb', () => post(gzipSync(`{"events":["${'a'.repeat(3 * 1024 * 1024)}"]}`), { 'content-encoding': 'gzip' }), 413, 'payload_too_large', 'body: more than 1048576 bytes after gzip decoding'],
    ['broken gzip', () => post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }), 400, 'bad_request', 'body: not valid gzip'],
  ])('%s → %i', async (_name, send, status, error, detail) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error, detail: typeof detail === 'string' ? detail : expect.stringMatching(detail) });
  });

  it('answers /healthz and /metrics', async () => {
    const health = await fetch(`${config.collector.url}/healthz`);
    expect([health.status, ((await health.json()) as { status: string }).status]).toEqual([200, 'ok']);
    const metrics = await (await fetch(`${config.collector.url}/metrics`)).text();
    expect(metrics).toMatch(/^collector_requests_total\{route="\/v1\/events",code="200"\} \d+$/m);
    expect(metrics).toMatch(/^collector_request_duration_seconds_bucket\{le="0.1",route="\/v1\/events"\} \d+$/m);
  });
});
