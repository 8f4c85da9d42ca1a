/**
 * Idempotent bootstrap of what the pipeline expects to exist: Kafka topics, the bucket and its zones,
 * the Presto schemas. Safe to run on every `stack up`.
 */
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createKafka, createS3, Presto } from '../activities/clients';
import type { ClicklakeConfig } from '../core/config';
import { createSchemaSql, LAKE_SCHEMAS, quoteIdentifier, quoteLiteral, zoneMarkerKey } from '../core/lake';
import { addMissingColumnsSql, createTableSql, LAKE_TABLES } from '../core/lakeTables';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TopicPlan {
  readonly topic: string;
  readonly numPartitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

/**
 * events: keyed by user_id, partitions set by config (12 locally: enough consumers in a group to use
 * several machines, few enough for one broker); 7 days' retention so Bronze ingestion, the real-time
 * consumer and replays after an outage all have a week to catch up (Bronze keeps events for good).
 * dead letter: few partitions (low volume), 30 days so rejected input can be inspected and replayed.
 */
export function topicPlan(config: ClicklakeConfig): TopicPlan[] {
  return [
    {
      topic: config.kafka.eventsTopic,
      numPartitions: config.kafka.eventsPartitions,
      configs: { 'retention.ms': String(7 * DAY_MS), 'cleanup.policy': 'delete', 'min.insync.replicas': '1', 'max.message.bytes': '2097152' },
    },
    {
      topic: config.kafka.deadLetterTopic,
      numPartitions: 3,
      configs: { 'retention.ms': String(30 * DAY_MS), 'cleanup.policy': 'delete', 'min.insync.replicas': '1', 'max.message.bytes': '2097152' },
    },
  ];
}

export async function ensureTopics(config: ClicklakeConfig, plan: readonly TopicPlan[] = topicPlan(config)): Promise<string[]> {
  const admin = createKafka(config.kafka, { clientId: 'clicklake-bootstrap' }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = plan.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: 1,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

export async function ensureBucket(config: ClicklakeConfig): Promise<boolean> {
  const s3 = createS3(config.s3);
  try {
    let created = false;
    try {
      await s3.send(new HeadBucketCommand({ Bucket: config.s3.bucket }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw err;
      await s3.send(new CreateBucketCommand({ Bucket: config.s3.bucket }));
      created = true;
    }
    for (const zone of LAKE_SCHEMAS) {
      await s3.send(
        new PutObjectCommand({
          Bucket: config.s3.bucket,
          Key: zoneMarkerKey(zone),
          Body: JSON.stringify({ zone, schema: `${config.presto.catalog}.${zone}` }),
          ContentType: 'application/json',
        }),
      );
    }
    return created;
  } finally {
    s3.destroy();
  }
}

export async function ensureSchemas(config: ClicklakeConfig): Promise<void> {
  const presto = new Presto(config.presto);
  for (const zone of LAKE_SCHEMAS) await presto.query(createSchemaSql(config.presto.catalog, config.s3.bucket, zone));
  // The tables of CONTRACT §3, external over their zone prefixes, partitioned by dt (and hr).
  for (const def of LAKE_TABLES) {
    await presto.query(createTableSql(def, config.s3.bucket, config.presto.catalog));
    // A table created by an earlier release gains the columns added since (at the end, CONTRACT §3).
    const existing = await presto.queryObjects(
      `SELECT column_name, data_type FROM ${quoteIdentifier(config.presto.catalog)}.information_schema.columns ` +
        `WHERE table_schema = ${quoteLiteral(def.schema)} AND table_name = ${quoteLiteral(def.table)} ORDER BY ordinal_position`,
    );
    const columns = existing.map((row) => ({ name: String(row.column_name), type: String(row.data_type) }));
    for (const statement of addMissingColumnsSql(def, columns, config.presto.catalog)) await presto.query(statement);
  }
}

export async function bootstrap(config: ClicklakeConfig, progress: (message: string) => void): Promise<void> {
  const [createdTopics, createdBucket] = await Promise.all([ensureTopics(config), ensureBucket(config)]);
  if (createdTopics.length > 0) progress(`created topics ${createdTopics.join(', ')}`);
  if (createdBucket) progress(`created bucket ${config.s3.bucket}`);
  await ensureSchemas(config);
}
