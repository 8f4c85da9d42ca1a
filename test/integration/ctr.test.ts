/**
 * The real-time CTR consumer against the real stack: the apply script on the real Redis, and the
 * consumer on real topics (its own per test), compared with the ground truth of what was produced.
 */
import { createHash } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { ctrForHour, ctrLag, readRealtimeCtr, runApplyScript, type CtrDeps, type CtrProgress } from '../../activities/ctr';
import { createKafka, createRedis } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import {
  bucketKey,
  ctrScriptCall,
  minuteOf,
  offsetKey,
  parseApplyReply,
  planCtrApply,
  seenKey,
  type CtrEventFields,
  type CtrRecord,
} from '../../core/ctr';
import { CTR_APPLY_SCRIPT } from '../../core/ctrScript';
import type { ConsumerDeadLetter } from '../../core/deadLetter';
import { frame } from '../../core/wireFormat';
import { hourKey } from '../../core/time';
import {
  acceptedEvents,
  caughtUp as caughtUpWith,
  ctrTestBed,
  deletePrefix,
  EventTrickle,
  expectedCtr,
  produceEvents,
  produceRaw,
  redisCounts,
  startCtrConsumer,
  untilCaughtUp as untilCaughtUpWith,
  waitFor,
  type CtrTestNames,
  type RunningConsumer,
} from '../support/ctr';
import { endOffsets, readRange } from '../support/kafka';
import { stackConfig, uniqueName } from '../support/stack';

const MIN = 60_000;

describe('real-time CTR', () => {
  const base = stackConfig();
  const kafka = createKafka(base.kafka, { clientId: 'clicklake-test-ctr' });
  const redis = createRedis(base.redis);
  const registry = new SchemaRegistryClient(base.schemaRegistry.url);
  let admin: Admin;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await admin.disconnect();
    redis.disconnect();
  });

  /** A topic, dead-letter topic, group and Redis prefix of this test only; removed after the file. */
  async function setup(partitions: number): Promise<{ names: CtrTestNames; deps: CtrDeps; schemaId: number }> {
    const bed = await ctrTestBed(admin, base, partitions);
    cleanups.push(() => bed.cleanup(redis));
    return { names: bed.names, deps: { config: bed.config, kafka, redis, registry }, schemaId: bed.schemaId };
  }

  const startConsumer = startCtrConsumer;
  const caughtUp = (names: CtrTestNames): Promise<boolean> => caughtUpWith(redis, kafka, names);
  const untilCaughtUp = (consumer: RunningConsumer, names: CtrTestNames): Promise<CtrProgress> => untilCaughtUpWith(consumer, redis, kafka, names);

  describe('the apply script on the real Redis', () => {
    const prefix = uniqueName('testctr');
    // From the clock, not a fixed date: a bucket whose expiry (48 h after its minute) has passed is
    // deleted by Redis the moment the script sets it. A minute start five minutes before now.
    const NOW = Date.now();
    const T = (Math.floor(NOW / MIN) - 5) * MIN;
    const RETENTION = 48 * 3_600_000;
    const oKey = offsetKey(prefix, 'topic', 0);
    const bucket = bucketKey(prefix, minuteOf(T));
    const imp = (event_id: string): CtrEventFields => ({ event_id, event_type: 'ad_impression', event_time: T, campaign_id: 'c1', quarantine_reason: null });
    const click = (event_id: string): CtrEventFields => ({ ...imp(event_id), event_type: 'ad_click' });

    afterAll(() => deletePrefix(redis, prefix));

    async function apply(records: CtrRecord[], floor = 0): Promise<unknown> {
      const plan = planCtrApply(records, { prefix, nowMs: NOW, retentionMs: RETENTION });
      if (plan === undefined) throw new Error('nothing to apply');
      return parseApplyReply(await runApplyScript(redis, ctrScriptCall(plan, { offsetKey: oKey, dedupSeconds: 600, floor })));
    }

    it('counts a batch, stores its last offset and sets the expiries', async () => {
      const reply = await apply([
        { offset: 0, event: imp('e0') },
        { offset: 1, event: imp('e1') },
        { offset: 2, event: null },
        { offset: 3, event: click('e3') },
        { offset: 4, event: imp('e1') }, // a client retry of e1
      ]);
      expect(reply).toEqual({ kind: 'applied', counted: 3, duplicates: 1 });
      expect(await redis.hgetall(bucket)).toEqual({ 'i:c1': '2', 'c:c1': '1' });
      expect(await redis.get(oKey)).toBe('4');
      expect(await redis.expiretime(bucket)).toBe((T + MIN + RETENTION) / 1000);
      const ttl = await redis.ttl(seenKey(prefix, 'e0'));
      expect(ttl > 590 && ttl <= 600).toBe(true);
    });

    it('refuses a redelivered or overlapping batch and changes nothing', async () => {
      expect(await apply([{ offset: 4, event: imp('e9') }])).toEqual({ kind: 'overlap', stored: 4 });
      expect(await apply([{ offset: 3, event: imp('e8') }, { offset: 5, event: imp('e9') }])).toEqual({ kind: 'overlap', stored: 4 });
      expect(await redis.hgetall(bucket)).toEqual({ 'i:c1': '2', 'c:c1': '1' });
      expect(await redis.get(oKey)).toBe('4');
    });

    it('refuses a batch after a hole unless the hole is below the partition floor', async () => {
      expect(await apply([{ offset: 7, event: imp('e7') }])).toEqual({ kind: 'gap', stored: 4 });
      expect(await redis.get(oKey)).toBe('4');
      expect(await apply([{ offset: 7, event: imp('e7') }], 7)).toEqual({ kind: 'applied', counted: 1, duplicates: 0 });
      expect([await redis.hgetall(bucket), await redis.get(oKey)]).toEqual([{ 'i:c1': '3', 'c:c1': '1' }, '7']);
    });

    it('counts an event_id once across batches within the horizon', async () => {
      expect(await apply([{ offset: 8, event: click('e3') }, { offset: 9, event: click('e10') }])).toEqual({ kind: 'applied', counted: 1, duplicates: 1 });
      expect(await redis.hgetall(bucket)).toEqual({ 'i:c1': '3', 'c:c1': '2' });
    });

    it('advances the offset over a batch that counts nothing', async () => {
      expect(await apply([{ offset: 10, event: null }])).toEqual({ kind: 'applied', counted: 0, duplicates: 0 });
      expect(await redis.get(oKey)).toBe('10');
    });

    it('loads the script again after SCRIPT FLUSH (as after a Redis restart)', async () => {
      const sha = createHash('sha1').update(CTR_APPLY_SCRIPT).digest('hex');
      await redis.script('FLUSH');
      expect(await redis.script('EXISTS', sha)).toEqual([0]);
      expect(await apply([{ offset: 11, event: imp('e11') }])).toEqual({ kind: 'applied', counted: 1, duplicates: 0 });
      expect(await redis.script('EXISTS', sha)).toEqual([1]);
    });
  });

  it('counts exactly what was produced, duplicates once; a renamed group resumes at the stored offsets', async () => {
    const { names, deps, schemaId } = await setup(4);
    const now = Date.now();
    const events = acceptedEvents(20_000, now);
    const truth = expectedCtr(events);
    const countable = events.filter((e) => (e.event_type === 'ad_impression' || e.event_type === 'ad_click') && e.quarantine_reason === null);
    const duplicates = countable.length - new Set(countable.map((e) => e.event_id)).size;
    expect(duplicates).toBeGreaterThan(100);
    expect(events.some((e) => e.quarantine_reason !== null)).toBe(true);
    await produceEvents(kafka, names.topic, schemaId, events);

    const consumer = startConsumer(deps);
    const progress = await untilCaughtUp(consumer, names);
    expect(await redisCounts(redis, names.prefix)).toEqual(truth);
    expect([progress.records, progress.duplicates, progress.deadLetters]).toEqual([events.length, duplicates, 0]);

    // The read API and the hourly sums agree with the truth.
    const campaign = (truth[truth.length - 1] as { campaign_id: string }).campaign_id;
    const body = await readRealtimeCtr(redis, campaign, 10, now, names.prefix);
    const expected = truth.filter((d) => d.campaign_id === campaign && Date.parse(d.minute) > now - 10 * MIN && Date.parse(d.minute) <= now);
    expect(body.buckets.filter((b) => b.impressions + b.clicks > 0).map(({ minute, impressions, clicks }) => ({ campaign_id: campaign, minute, impressions, clicks }))).toEqual(expected);
    expect(body.buckets.length).toBe(10);
    const hour = hourKey(now);
    const hourTruth = new Map<string, { campaign_id: string; impressions: number; clicks: number }>();
    for (const d of truth.filter((t) => t.minute.startsWith(hour))) {
      const row = hourTruth.get(d.campaign_id) ?? { campaign_id: d.campaign_id, impressions: 0, clicks: 0 };
      row.impressions += d.impressions;
      row.clicks += d.clicks;
      hourTruth.set(d.campaign_id, row);
    }
    expect(await ctrForHour(redis, hour, names.prefix)).toEqual([...hourTruth.values()].sort((a, b) => (a.campaign_id < b.campaign_id ? -1 : 1)));

    // Offsets belong to the counts, not to the group: a renamed group resumes where the counts are.
    const more = acceptedEvents(2000, Date.now(), { seed: 5 });
    const renamed = startConsumer({ ...deps, config: { ...deps.config, ctr: { ...deps.config.ctr, group: uniqueName('test-ctr-renamed') } } });
    await produceEvents(kafka, names.topic, schemaId, more);
    const second = await untilCaughtUp(renamed, names);
    expect([second.records, second.counted]).toEqual([more.length, expectedCtr(more).reduce((n, d) => n + d.impressions + d.clicks, 0)]); // only the new records
    expect(await redisCounts(redis, names.prefix)).toEqual(expectedCtr([...events, ...more]));
  }, 180_000);

  it('a second consumer joining the group, and the first leaving, change nothing', async () => {
    const { names, deps, schemaId } = await setup(6);
    const events = acceptedEvents(30_000, Date.now(), { seed: 23 });
    const trickle = new EventTrickle(kafka, names.topic, schemaId, events);
    const a = startConsumer(deps);
    let b: RunningConsumer | undefined;
    try {
      await trickle.run(() => (a.progress()?.counted ?? 0) > 0, 10_000);
      const aBatches = a.progress()?.batches ?? 0;
      const second = startConsumer(deps); // joins: the group rebalances while records flow
      b = second;
      await trickle.run(() => (second.progress()?.batches ?? 0) > 0 && (a.progress()?.batches ?? 0) > aBatches, 15_000);
      expect([(second.progress()?.batches ?? 0) > 0, (a.progress()?.batches ?? 0) > aBatches]).toEqual([true, true]);
      await a.stop(); // leaves: B takes every partition
      await trickle.run(() => false);
      await waitFor('consumer B to catch up', () => caughtUp(names), 60_000);
    } finally {
      await a.stop();
      await b?.stop();
    }
    expect(await redisCounts(redis, names.prefix)).toEqual(expectedCtr(trickle.produced()));
  }, 180_000);

  it('sends 100 non-Avro records to the dead-letter topic with their partition and offset, and catches up', async () => {
    const { names, deps, schemaId } = await setup(3);
    const events = acceptedEvents(3000, Date.now(), { seed: 31 });
    await produceEvents(kafka, names.topic, schemaId, events.slice(0, 1500));
    const before = await endOffsets(kafka, names.topic);
    const bad = Array.from({ length: 100 }, (_, i) => {
      const key = `bad-${i}`;
      if (i < 60) return { key, value: Buffer.from(JSON.stringify({ event_id: key, event_type: 'ad_click' })) }; // JSON, not framed
      if (i < 80) return { key, value: frame(2_000_000_000, Buffer.from([2, 65])) }; // no such schema id
      if (i < 90) return { key, value: frame(schemaId, Buffer.alloc(0)) }; // empty body
      return { key, value: frame(schemaId, Buffer.from([2, 65, 2])) }; // body cut after event_id and event_type
    });
    await produceRaw(kafka, names.topic, bad);
    const after = await endOffsets(kafka, names.topic);
    await produceEvents(kafka, names.topic, schemaId, events.slice(1500));
    const written = await readRange(kafka, names.topic, before, after);
    expect(written.length).toBe(100);

    const consumer = startConsumer(deps);
    const progress = await untilCaughtUp(consumer, names);
    expect(progress.deadLetters).toBe(100);
    expect(await ctrLag(redis, kafka, names.topic, names.prefix)).toEqual({ total: 0, partitions: { 0: 0, 1: 0, 2: 0 } });
    expect(await redisCounts(redis, names.prefix)).toEqual(expectedCtr(events));

    const dlq = await readRange(kafka, names.deadLetterTopic, new Map(), await endOffsets(kafka, names.deadLetterTopic));
    const letters = dlq.map((m) => JSON.parse((m.value as Buffer).toString('utf8')) as ConsumerDeadLetter);
    const where = (l: { partition: number; offset: string | bigint }): string => `${l.partition}/${l.offset}`;
    expect(letters.map(where).sort()).toEqual(written.map(where).sort());
    expect(letters.every((l) => l.source === 'ctr_consumer' && l.topic === names.topic && l.errors.length === 1)).toBe(true);
    const reasons = letters.reduce<Record<string, number>>((acc, l) => ({ ...acc, [l.reason]: (acc[l.reason] ?? 0) + 1 }), {});
    expect(reasons).toEqual({ bad_framing: 60, unknown_schema: 20, undecodable: 20 });
    expect(dlq.every((m) => m.headers['clicklake-source'] === 'ctr_consumer')).toBe(true);
  }, 120_000);
});
