/**
 * The real-time CTR consumer: a long-running, heartbeating activity that reads the events topic in
 * its own consumer group and keeps minute-level impressions and clicks per campaign in Redis, each
 * event exactly once (core/ctr.ts: what and where; core/ctrScript.ts: the atomic apply).
 *
 * Offsets: Redis is the truth. Each partition batch is applied by one Lua script that checks the
 * partition's stored offset, counts, and stores the batch's last offset in the same atomic step. The
 * consumer commits nothing to Kafka (autoCommit off; its lag is `ctrLag`, from the stored offsets).
 * Before joining it reads every partition's stored offset; on start and on every rebalance it seeks
 * each assigned partition to stored offset + 1 (earliest when none) inside kafkajs's GROUP_JOIN, so
 * the first fetch already starts there. Should a batch still overlap what was applied (a redelivery,
 * a zombie owner during a rebalance), the script refuses it and the consumer re-plans only the
 * records after the stored offset; should it start after a hole (Redis lost its last writes), the
 * script refuses it and the consumer seeks back.
 *
 * Malformed records (bad framing, unknown schema id, undecodable body) go to the dead-letter topic
 * with their partition and offset before the batch is applied; their offsets then count as applied.
 * A dead letter is written at least once: a crash between the two writes repeats it (its key
 * `topic/partition/offset` identifies the copies). A registry outage is not a malformed record: the
 * batch fails, kafkajs retries it, and past its retries the activity fails and Temporal retries it.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Type, type schema } from 'avsc';
import type Redis from 'ioredis';
import { Partitioners, type Admin, type Kafka, type KafkaMessage } from 'kafkajs';
import type { ClicklakeConfig } from '../core/config';
import {
  bucketKey,
  counterField,
  CTR_EVENT_FIELDS,
  ctrScriptCall,
  ctrSettings,
  DEFAULT_CTR_KEY_PREFIX,
  minutesOfHour,
  offsetKey,
  parseApplyReply,
  planCtrApply,
  realtimeCtrBody,
  realtimeMinutes,
  sumBuckets,
  type CampaignCounts,
  type CtrEventFields,
  type CtrRecord,
  type CtrScriptCall,
  type RealtimeCtr,
} from '../core/ctr';
import { CTR_APPLY_SCRIPT } from '../core/ctrScript';
import { deadLetterMessage, type ConsumerDeadLetter } from '../core/deadLetter';
import { BadInputError, errorMessage, ServiceUnavailableError } from '../core/errors';
import { unframe } from '../core/wireFormat';
import type { SchemaRegistryClient } from './schemaRegistry';

export interface CtrDeps {
  readonly config: ClicklakeConfig;
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly registry: SchemaRegistryClient;
}

/** What a consumer run has done so far; the activity's heartbeat details. */
export interface CtrProgress {
  records: number;
  counted: number;
  duplicates: number;
  /** Countable events older than the bucket retention, left out. */
  expired: number;
  deadLetters: number;
  batches: number;
  /** Last offset applied, per partition this run applied to. */
  offsets: Record<string, number>;
}

export interface CtrConsumerTuning {
  readonly sessionTimeoutMs: number;
  readonly maxWaitTimeInMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly maxBytesPerPartition: number;
}

const DEFAULT_TUNING: CtrConsumerTuning = {
  sessionTimeoutMs: 30_000,
  // An idle partition answers within 100 ms, so a new event waits at most that long for its fetch.
  maxWaitTimeInMs: 100,
  partitionsConsumedConcurrently: 4,
  maxBytesPerPartition: 1024 * 1024,
};

export interface CtrConsumeControl {
  /** Aborting stops the consumer cleanly (it leaves the group and disconnects). */
  readonly signal: AbortSignal;
  /** Return after this long. */
  readonly runForMs?: number;
  readonly onProgress?: (progress: CtrProgress) => void;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  readonly tuning?: Partial<CtrConsumerTuning>;
}

// ---------------------------------------------------------------------------------------------
// Decoding

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

// ---------------------------------------------------------------------------------------------
// The apply script

const APPLY_SHA = createHash('sha1').update(CTR_APPLY_SCRIPT).digest('hex');

/** Runs the apply script by its SHA, loading it on NOSCRIPT (first use, or after a Redis restart). */
export async function runApplyScript(redis: Redis, call: CtrScriptCall): Promise<unknown> {
  const args: Array<string | number> = [APPLY_SHA, 1, call.keys[0], ...call.args];
  try {
    return await redis.call('evalsha', args);
  } catch (err) {
    if (!errorMessage(err).startsWith('NOSCRIPT')) throw err;
    args[0] = CTR_APPLY_SCRIPT;
    return redis.call('eval', args);
  }
}

// ---------------------------------------------------------------------------------------------
// The consumer

function newProgress(): CtrProgress {
  return { records: 0, counted: 0, duplicates: 0, expired: 0, deadLetters: 0, batches: 0, offsets: {} };
}

/**
 * Consumes until the signal aborts or `runForMs` passes, then leaves the group and disconnects.
 * Rejects when the consumer crashes (kafkajs gave up retrying a batch, Kafka unreachable): the caller
 * (Temporal) starts it again, and the stored offsets make the restart exact.
 */
export async function consumeCtr(deps: CtrDeps, control: CtrConsumeControl): Promise<CtrProgress> {
  const { kafka, redis, registry, config } = deps;
  const settings = ctrSettings(config);
  const { topic, keyPrefix: prefix } = settings;
  const tuning = { ...DEFAULT_TUNING, ...control.tuning };
  const log = control.log ?? (() => undefined);
  const progress = newProgress();
  const decoder = new CtrDecoder(registry, config.schemaRegistry.url);
  /** Earliest offset each partition still has (Kafka's retention deletes older records). */
  const floors = new Map<number, number>();
  /**
   * Last offset applied per partition as far as this consumer knows: read from Redis before joining
   * and on every assignment, then kept by the script's answers. Records at or below it are dropped
   * before decoding (a fetch that started before its seek landed). It may lag Redis (another member
   * applied more: the script then answers overlap) or lead it (Redis lost writes: the next batch,
   * which starts after it, meets the script's gap answer, which sets it back).
   */
  const applied = new Map<number, number>();

  const consumer = kafka.consumer({
    groupId: settings.group,
    sessionTimeout: tuning.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(tuning.sessionTimeoutMs / 10)),
    maxWaitTimeInMs: tuning.maxWaitTimeInMs,
    maxBytesPerPartition: tuning.maxBytesPerPartition,
    // A crash ends the run with an error instead of restarting inside it: Temporal retries with backoff.
    retry: { retries: 5, initialRetryTime: 300, restartOnFailure: async () => false },
  });
  // Not idempotent: dead letters are at-least-once anyway, and a bounded retry keeps a Kafka outage
  // a failed batch (retried by kafkajs, then by Temporal) rather than a hang.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const admin: Admin = kafka.admin();

  const seek = (partition: number, offset: number): void => {
    try {
      consumer.seek({ topic, partition, offset: String(offset) });
    } catch (err) {
      log('ctr consumer: seek failed', { partition, offset, error: errorMessage(err) });
    }
  };

  /** Reads the stored offsets of these partitions; returns those that moved past what was known. */
  const readStored = async (partitions: readonly number[]): Promise<number[]> => {
    if (partitions.length === 0) return [];
    const stored = await redis.mget(partitions.map((p) => offsetKey(prefix, topic, p)));
    const moved: number[] = [];
    partitions.forEach((partition, i) => {
      const value = stored[i];
      if (value === null || value === undefined) return;
      const offset = Number(value);
      if (offset > (applied.get(partition) ?? -1)) {
        applied.set(partition, offset);
        moved.push(partition);
      }
    });
    return moved;
  };

  /**
   * On start and after every rebalance: each assigned partition resumes after its applied offset
   * (earliest when none). The seek is synchronous, inside kafkajs's GROUP_JOIN, so the first fetch
   * already uses it; a fresh read of Redis then moves partitions another member advanced meanwhile.
   */
  const onAssigned = (partitions: readonly number[]): void => {
    for (const partition of partitions) {
      const offset = applied.get(partition);
      if (offset !== undefined) seek(partition, offset + 1);
    }
    readStored(partitions)
      .then((moved) => {
        for (const partition of moved) seek(partition, (applied.get(partition) as number) + 1);
        log('ctr consumer: assigned', { partitions: [...partitions], applied: Object.fromEntries(partitions.map((p) => [p, applied.get(p) ?? null])) });
      })
      .catch((err: unknown) => {
        // Only a shortcut: the script refuses what was applied, and the consumer skips ahead.
        log('ctr consumer: could not read the stored offsets', { error: errorMessage(err) });
      });
  };

  const refreshFloors = async (): Promise<void> => {
    for (const o of await admin.fetchTopicOffsets(topic)) floors.set(o.partition, Number(o.low));
  };

  /** Applies the records of one partition batch; returns when they are applied or known to be. */
  const apply = async (partition: number, records: readonly CtrRecord[]): Promise<void> => {
    let after: number | undefined;
    for (;;) {
      const plan = planCtrApply(records, { prefix, nowMs: Date.now(), retentionMs: settings.retentionMs, afterOffset: after });
      if (plan === undefined) return;
      const call = ctrScriptCall(plan, { offsetKey: offsetKey(prefix, topic, partition), dedupSeconds: settings.dedupSeconds, floor: floors.get(partition) ?? 0 });
      const outcome = parseApplyReply(await runApplyScript(redis, call));
      if (outcome.kind === 'applied') {
        applied.set(partition, plan.lastOffset);
        progress.counted += outcome.counted;
        progress.duplicates += outcome.duplicates;
        progress.expired += plan.expired;
        progress.offsets[String(partition)] = plan.lastOffset;
        return;
      }
      applied.set(partition, outcome.stored);
      if (outcome.kind === 'overlap') {
        if (outcome.stored > plan.lastOffset) seek(partition, outcome.stored + 1); // far behind: skip ahead
        after = outcome.stored;
        continue;
      }
      await refreshFloors();
      const low = floors.get(partition) ?? 0;
      if (plan.firstOffset <= low) {
        log('ctr consumer: records before the batch are gone from Kafka; resuming at the earliest', { partition, stored: outcome.stored, low });
        continue;
      }
      log('ctr consumer: batch starts after a hole; reading again from the stored offset', { partition, stored: outcome.stored, first: plan.firstOffset });
      seek(partition, Math.max(outcome.stored + 1, low));
      return;
    }
  };

  const eachBatch = async (partition: number, messages: readonly KafkaMessage[]): Promise<void> => {
    const known = applied.get(partition) ?? -1;
    let start = 0;
    while (start < messages.length && Number((messages[start] as KafkaMessage).offset) <= known) start++;
    progress.records += messages.length;
    progress.batches++;
    if (start === messages.length) {
      seek(partition, known + 1); // all applied already: skip ahead instead of reading it all again
      return;
    }
    const records: CtrRecord[] = new Array<CtrRecord>(messages.length - start);
    const letters: ConsumerDeadLetter[] = [];
    for (let i = start; i < messages.length; i++) {
      const message = messages[i] as KafkaMessage;
      const offset = Number(message.offset);
      const decoded = decoder.decodeLoaded(message.value) ?? (await decoder.decode(message.value));
      if (decoded.ok) {
        records[i - start] = { offset, event: decoded.event };
        continue;
      }
      records[i - start] = { offset, event: null };
      letters.push({
        source: 'ctr_consumer',
        reason: decoded.reason,
        errors: [decoded.error],
        topic,
        partition,
        offset: message.offset,
        key_base64: message.key ? message.key.toString('base64') : null,
        value_base64: message.value ? message.value.toString('base64') : null,
      });
    }
    if (letters.length > 0) {
      await producer.send({ topic: settings.deadLetterTopic, acks: -1, messages: letters.map(deadLetterMessage) });
      progress.deadLetters += letters.length;
    }
    await apply(partition, records);
  };

  let crash: (err: unknown) => void = () => undefined;
  const crashed = new Promise<never>((_, reject) => {
    crash = reject;
  });
  crashed.catch(() => undefined);
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) crash(event.payload.error);
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => onAssigned(event.payload.memberAssignment[topic] ?? []));

  const report = (): void => control.onProgress?.(progress);
  const timer = setInterval(report, 2000);
  let stopTimer: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    if (control.signal.aborted) resolve();
    control.signal.addEventListener('abort', () => resolve(), { once: true });
    if (control.runForMs !== undefined) stopTimer = setTimeout(resolve, control.runForMs);
  });
  try {
    await admin.connect();
    await refreshFloors();
    await readStored([...floors.keys()]);
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        await eachBatch(batch.partition, batch.messages);
        report();
        await heartbeat();
      },
    });
    await Promise.race([stopped, crashed]);
  } finally {
    clearInterval(timer);
    clearTimeout(stopTimer);
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  report();
  return progress;
}

// ---------------------------------------------------------------------------------------------
// The activity

export interface RunCtrConsumerInput {
  /** Return after this long, so the workflow can continue as new. */
  readonly runForMs: number;
}

export function createCtrActivities(deps: CtrDeps) {
  return {
    /**
     * Runs the consumer until `runForMs` passes (returns its progress) or the activity is cancelled.
     * A requested cancellation ends as cancelled; a worker shutdown or timeout as a retryable failure,
     * so Temporal starts the consumer again on a live worker.
     */
    async runCtrConsumer(input: RunCtrConsumerInput): Promise<CtrProgress> {
      const ctx = Context.current();
      const progress = await consumeCtr(deps, {
        signal: ctx.cancellationSignal,
        runForMs: input.runForMs,
        onProgress: (p) => ctx.heartbeat(p),
        log: (message, fields) => ctx.log.info(message, fields),
      });
      if (ctx.cancellationSignal.aborted) {
        if (ctx.cancellationDetails?.cancelRequested) await ctx.cancelled;
        throw new ServiceUnavailableError('ctr_consumer', 'stopped before its time (worker shutdown or timeout)');
      }
      return progress;
    },
  };
}

export type CtrActivities = ReturnType<typeof createCtrActivities>;

// ---------------------------------------------------------------------------------------------
// Reading

/** CONTRACT §2: the last `minutes` minutes (UTC, event time) of a campaign up to `nowMs`, zero-filled. */
export async function readRealtimeCtr(redis: Redis, campaignId: string, minutes: number, nowMs: number, prefix = DEFAULT_CTR_KEY_PREFIX): Promise<RealtimeCtr> {
  if (campaignId === '') throw new BadInputError('campaign_id: required');
  const window = realtimeMinutes(nowMs, minutes);
  const fields = [counterField('impressions', campaignId), counterField('clicks', campaignId)];
  const pipeline = redis.pipeline();
  for (const minute of window) pipeline.hmget(bucketKey(prefix, minute), ...fields);
  const counts = (await pipeline.exec())?.map(([err, value]) => {
    if (err) throw err;
    return value as [string | null, string | null];
  });
  return realtimeCtrBody(campaignId, nowMs, window, counts ?? []);
}

/** Per-campaign impressions and clicks of an event hour `YYYY-MM-DDTHH`, summed over its minute buckets. */
export async function ctrForHour(redis: Redis, hourKey: string, prefix = DEFAULT_CTR_KEY_PREFIX): Promise<CampaignCounts[]> {
  const pipeline = redis.pipeline();
  for (const minute of minutesOfHour(hourKey)) pipeline.hgetall(bucketKey(prefix, minute));
  const buckets = (await pipeline.exec())?.map(([err, value]) => {
    if (err) throw err;
    return value as Record<string, string>;
  });
  return sumBuckets(buckets ?? []);
}

/** Records not yet applied, per partition (end offset − stored offset − 1), and their total. */
export async function ctrLag(redis: Redis, kafka: Kafka, topic: string, prefix = DEFAULT_CTR_KEY_PREFIX): Promise<{ total: number; partitions: Record<string, number> }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const stored = await redis.mget(offsets.map((o) => offsetKey(prefix, topic, o.partition)));
    const partitions: Record<string, number> = {};
    let total = 0;
    offsets.forEach((o, i) => {
      const s = stored[i];
      const next = s === null || s === undefined ? Number(o.low) : Math.max(Number(s) + 1, Number(o.low));
      const lag = Math.max(0, Number(o.high) - next);
      partitions[String(o.partition)] = lag;
      total += lag;
    });
    return { total, partitions };
  } finally {
    await admin.disconnect();
  }
}
