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
import { Context } from '@temporalio/activity';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { bucketKey, counterField, DEFAULT_CTR_KEY_PREFIX, minutesOfHour, offsetKey, realtimeCtrBody, realtimeMinutes, sumBuckets, type CampaignCounts, type RealtimeCtr } from '../core/ctr';
import { BadInputError, ServiceUnavailableError } from '../core/errors';
import { consumeCtr } from './ctr/consume';
import type { CtrDeps, CtrProgress } from './ctr/types';

// The consumer's steps, one file each under activities/ctr/: decode, applyScript, offsets, apply, batch, consume.
export { runApplyScript } from './ctr/applyScript';
export { consumeCtr } from './ctr/consume';
export { CtrDecoder } from './ctr/decode';
export type { CtrConsumeControl, CtrConsumerTuning, CtrDeps, CtrProgress } from './ctr/types';

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
