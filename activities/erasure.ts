/**
 * The activities of an erasure (workflows/eraseUser.ts): record the request (the list entry first,
 * then the `lake.audit.erasures` row), find the user's hours, rewrite their Bronze, delete the old
 * partition versions, state when Kafka's copies are gone, and verify. Each takes the user_key, never
 * the raw user_id: nothing of an erasure's inputs, results or logs names the person.
 */
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { log } from '@temporalio/activity';
import type { ClicklakeConfig } from '../core/config';
import { erasureRule, kafkaExpiry, type ErasureEntry, type ErasureLookup, type ErasureRow } from '../core/erasure';
import { AUDIT_ERASURES } from '../core/lakeTables';
import { erasedRecordsLeft, rewriteBronzeHour } from './erasure/bronze';
import { hoursErasedSince, publishedNextHours, purgeOldVersions, silverGoldFindings, silverHoursOf, unreadBronzeHours, type ErasedUser } from './erasure/lake';
import { putErasureEntry } from './erasure/list';
import { writeParquetToS3 } from './parquet';
import type { Lake } from './promote/lake';

export interface ErasureDeps {
  readonly config: ClicklakeConfig;
  readonly lake: Lake;
  readonly kafka: Kafka;
}

export interface ErasureFindings {
  /** Each thing of the user still present; empty when the erasure is complete. */
  readonly findings: string[];
}

/** The erased user of an entry, as the lake lookups take it. */
function userOf(entry: ErasureEntry): ErasedUser {
  return { userKey: entry.user_key, untilMs: entry.suppress ? Infinity : entry.requested_at };
}

/** The Kafka topic settings deciding how long a record stays (retention.ms, segment.ms). */
async function topicRetention(kafka: Kafka, topics: readonly string[]): Promise<Array<{ topic: string; retentionMs: number; segmentMs: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'segment.ms'] })),
    });
    return described.resources.map((r) => {
      const value = (name: string): number => Number(r.configEntries.find((e) => e.configName === name)?.configValue ?? Number.NaN);
      return { topic: r.resourceName, retentionMs: value('retention.ms'), segmentMs: value('segment.ms') };
    });
  } finally {
    await admin.disconnect();
  }
}

export function createErasureActivities(deps: ErasureDeps) {
  const { lake } = deps;
  const hmacKey = deps.config.pii.hmacKey;
  return {
    /**
     * Writes the request's list entry (it applies from this moment on), then its record, with `stamp`
     * (completed_at or verified_at) set to now: an audit time, which a workflow cannot read. Returns the row written.
     */
    async recordErasure(input: { entry: ErasureEntry; row: ErasureRow; stamp?: 'completed_at' | 'verified_at' }): Promise<ErasureRow> {
      const row = input.stamp === undefined ? input.row : { ...input.row, [input.stamp]: Date.now() };
      await putErasureEntry(lake.s3, lake.bucket, input.entry);
      await writeParquetToS3(lake.s3, lake.bucket, `${AUDIT_ERASURES.prefix}${row.request_id}.parquet`, AUDIT_ERASURES, [row]);
      log.info('erasure recorded', { request_id: row.request_id, status: row.status });
      return row;
    },

    /** Where the user's records can be: the published hours (from Silver), those rebuilt since the request, and the hours Bronze has not been read for. */
    async planErasure(input: { entry: ErasureEntry }): Promise<ErasureLookup> {
      const silverHours = await silverHoursOf(lake, userOf(input.entry));
      const unreadHours = await unreadBronzeHours(lake, input.entry.requested_at);
      const erasedSince = await hoursErasedSince(lake, input.entry.requested_at);
      const restated = [...silverHours.map((h) => h.hour), ...unreadHours.filter((h) => h.published).map((h) => h.hour), ...erasedSince];
      return { silverHours, unreadHours, erasedSince, publishedNextHours: await publishedNextHours(lake, restated) };
    },

    /** Rewrites the hour's Bronze objects without the records this request erases. */
    async rewriteBronzeForErasure(input: { hour: string; entry: ErasureEntry }): Promise<{ objects: string[]; recordsRemoved: number }> {
      return rewriteBronzeHour(lake, input.hour, erasureRule([input.entry]), hmacKey);
    },

    /** Deletes every version older than the published one of the hours' and days' partitions (and newer ones holding the user). */
    async purgeErasedVersions(input: { hours: string[]; days: string[]; entry?: ErasureEntry }): Promise<number> {
      // `entry` is absent in histories recorded before it: then only older versions go.
      return purgeOldVersions(lake, input.entry === undefined ? { userKey: '', untilMs: -1 } : userOf(input.entry), input.hours, input.days);
    },

    /** The instant by which Kafka's retention has removed every copy of records appended up to the request. */
    async kafkaCopiesExpiry(input: { requestedAt: number }): Promise<{ kafkaExpiry: number; topics: Array<{ topic: string; retentionMs: number; segmentMs: number }> }> {
      const topics = await topicRetention(deps.kafka, [deps.config.kafka.eventsTopic, deps.config.kafka.deadLetterTopic]);
      return { kafkaExpiry: kafkaExpiry(input.requestedAt, topics), topics };
    },

    /** What is left of the user (Bronze records, Silver rows in any version, old Gold versions); empty when none. */
    async verifyErasure(input: { entry: ErasureEntry; hours: string[]; days: string[] }): Promise<ErasureFindings> {
      const findings: string[] = [];
      for (const hour of input.hours) {
        const left = await erasedRecordsLeft(lake, hour, erasureRule([input.entry]), hmacKey);
        if (left > 0) findings.push(`Bronze ${hour}: ${left} records of the user`);
      }
      findings.push(...(await silverGoldFindings(lake, userOf(input.entry), input.hours, input.days)));
      return { findings };
    },
  };
}

export type ErasureActivities = ReturnType<typeof createErasureActivities>;
