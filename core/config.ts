/**
 * Typed configuration. `parseConfig` is pure: it takes the environment as a plain object (plus the
 * locally generated secrets, if any) and returns one grouped, validated object, or throws a
 * ConfigError naming the variable and the reason. Only entrypoints call `loadConfig` (workers/config.ts);
 * everything else receives its slice.
 */
import { ConfigError } from './errors';
import type { Bounds, QualityThresholds } from './quality';

export type Env = Readonly<Record<string, string | undefined>>;

/** Credentials generated once per state folder by `stack up` (infra/secrets.ts). */
export interface LocalSecrets {
  readonly s3AccessKey: string;
  readonly s3SecretKey: string;
  readonly apiKey: string;
  readonly piiHmacKey: string;
}

export interface PathsConfig {
  /** Data, logs, pid files of the local services. */
  readonly stateDir: string;
  /** Downloads and builds, reused across runs. */
  readonly cacheDir: string;
}

export interface TemporalConfig {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly uiPort: number;
  readonly uiUrl: string;
  readonly namespace: string;
  readonly taskQueue: string;
}

export interface KafkaConfig {
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly heapMb: number;
  readonly eventsTopic: string;
  readonly deadLetterTopic: string;
  readonly eventsPartitions: number;
  /** Who writes Produce request bodies: clicklake's encoder (activities/kafkaProduce.ts) or the client's own. */
  readonly produceEncoder: 'own' | 'client';
}

export interface SchemaRegistryConfig {
  readonly host: string;
  readonly port: number;
  readonly managementPort: number;
  /** Base URL of the Confluent-compatible API. */
  readonly url: string;
  readonly heapMb: number;
}

export interface S3Config {
  readonly host: string;
  readonly port: number;
  readonly consolePort: number;
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface PrestoConfig {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly catalog: string;
  readonly user: string;
  readonly heapMb: number;
}

export interface RedisConfig {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

/** The serving API (workers/api.ts, CONTRACT §2b). */
export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Queries (metrics and SQL) per user per minute; bursts up to a quarter of that. */
  readonly queriesPerMinute: number;
  /** Queries of one user running at once; past it: 429. */
  readonly concurrencyPerUser: number;
  /** How long an answer stays in the Redis cache (it is keyed by the versions it read as well). */
  readonly cacheSeconds: number;
}

export interface CollectorConfig {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly apiKeys: readonly string[];
  /** Sustained events per second per API key; bursts up to twice that. */
  readonly ratePerKey: number;
  /** Events accepted but not yet acknowledged by Kafka, across all requests; past it: 503. */
  readonly maxInFlightEvents: number;
  /** How long a request waits for Kafka's acknowledgement before it is answered 503. */
  readonly ackTimeoutMs: number;
  /** Collector processes sharing `ratePerKey` (through Redis); each applies ratePerKey / instances when Redis cannot answer. */
  readonly instances: number;
  /** How long the shared rate check may take in Redis before this process falls back to its share. */
  readonly limitTimeoutMs: number;
  /** How far a signed batch's `t` may be from the collector's clock; also how long a signature is remembered. */
  readonly signatureWindowSec: number;
  /** In-flight levels (percent of maxInFlightEvents) above which heartbeats, then page views and video events, are shed. */
  readonly shedLowPct: number;
  readonly shedMidPct: number;
}

/** The real-time CTR consumer (activities/ctr.ts) and its Redis keyspace (core/ctr.ts). */
export interface CtrConfig {
  /** Kafka consumer group of the consumer. It commits nothing to Kafka: Redis holds its offsets. */
  readonly group: string;
  /** Prefix of every Redis key the consumer writes (buckets, offsets, dedup marks). */
  readonly keyPrefix: string;
  /** How long a minute bucket is kept after the minute ends. */
  readonly retentionHours: number;
  /** How long an event_id is remembered to drop its duplicates (client retries). */
  readonly dedupMinutes: number;
}

/** The Temporal worker process (workers/temporalWorker.ts): where it serves its Prometheus metrics. */
export interface WorkerConfig {
  readonly host: string;
  readonly metricsPort: number;
  /** `GET` it for Prometheus text (activity_failures_total and Node's process metrics). */
  readonly metricsUrl: string;
}

export interface ClicklakeConfig {
  readonly paths: PathsConfig;
  readonly temporal: TemporalConfig;
  readonly kafka: KafkaConfig;
  readonly schemaRegistry: SchemaRegistryConfig;
  readonly s3: S3Config;
  readonly presto: PrestoConfig;
  readonly redis: RedisConfig;
  readonly collector: CollectorConfig;
  readonly api: ApiConfig;
  readonly ctr: CtrConfig;
  readonly worker: WorkerConfig;
  /** Late-data reconciliation and when a day's daily Gold is final (workflows/reconcileLate.ts, core/dayState.ts). */
  readonly reconcile: ReconcileConfig;
  readonly pii: { readonly hmacKey: string };
  /** Bronze compaction and partition-version retention (core/compaction.ts, workflows/compactDay.ts). */
  readonly compaction: CompactionConfig;
  /** The promotion's quality gates (core/quality.ts). */
  readonly quality: QualityThresholds;
  readonly backfill: BackfillConfig;
}

/** Backfills (workflows/backfillRange.ts): their own task queue and the worker slots it gets. */
export interface BackfillConfig {
  readonly taskQueue: string;
  /** Hours a backfill promotes at once unless `--concurrency` says otherwise. */
  readonly concurrency: number;
  /** Activities the worker runs at once on the backfill queue (each a build or publish step). */
  readonly maxActivities: number;
  /** Workflow tasks the worker runs at once on the backfill queue. */
  readonly maxWorkflowTasks: number;
}

/** Every variable the config reads, with its default, so the README and `--help` stay in step. */
export const CONFIG_VARIABLES = {
  CLICKLAKE_STATE_DIR: '~/.local/share/clicklake',
  CLICKLAKE_CACHE_DIR: '~/.cache/clicklake',
  CLICKLAKE_HOST: '127.0.0.1',
  CLICKLAKE_TEMPORAL_PORT: '7233',
  CLICKLAKE_TEMPORAL_UI_PORT: '8233',
  CLICKLAKE_TEMPORAL_NAMESPACE: 'default',
  CLICKLAKE_TASK_QUEUE: 'clicklake',
  CLICKLAKE_KAFKA_PORT: '9092',
  CLICKLAKE_KAFKA_CONTROLLER_PORT: '9093',
  CLICKLAKE_KAFKA_HEAP_MB: '512',
  CLICKLAKE_EVENTS_TOPIC: 'clicklake.events',
  CLICKLAKE_DEAD_LETTER_TOPIC: 'clicklake.events.dead-letter',
  CLICKLAKE_EVENTS_PARTITIONS: '12',
  CLICKLAKE_KAFKA_PRODUCE_ENCODER: 'own',
  CLICKLAKE_REGISTRY_PORT: '8085',
  CLICKLAKE_REGISTRY_MANAGEMENT_PORT: '9095',
  CLICKLAKE_REGISTRY_HEAP_MB: '384',
  CLICKLAKE_S3_PORT: '9000',
  CLICKLAKE_S3_CONSOLE_PORT: '9001',
  CLICKLAKE_S3_REGION: 'us-east-1',
  CLICKLAKE_S3_BUCKET: 'clicklake',
  CLICKLAKE_S3_ACCESS_KEY: '(generated by stack up)',
  CLICKLAKE_S3_SECRET_KEY: '(generated by stack up)',
  CLICKLAKE_PRESTO_PORT: '8080',
  CLICKLAKE_PRESTO_HEAP_MB: '2048',
  CLICKLAKE_PRESTO_USER: 'clicklake',
  CLICKLAKE_REDIS_PORT: '6380',
  CLICKLAKE_COLLECTOR_PORT: '8787',
  CLICKLAKE_COLLECTOR_RATE_PER_KEY: '200000',
  CLICKLAKE_COLLECTOR_MAX_IN_FLIGHT: '100000',
  CLICKLAKE_COLLECTOR_ACK_TIMEOUT_MS: '10000',
  CLICKLAKE_COLLECTOR_INSTANCES: '1',
  CLICKLAKE_COLLECTOR_LIMIT_TIMEOUT_MS: '250',
  CLICKLAKE_COLLECTOR_SIGNATURE_WINDOW_SEC: '300',
  CLICKLAKE_COLLECTOR_SHED_LOW_PCT: '50',
  CLICKLAKE_COLLECTOR_SHED_MID_PCT: '80',
  CLICKLAKE_WORKER_METRICS_PORT: '9464',
  CLICKLAKE_API_PORT: '8788',
  CLICKLAKE_API_QUERIES_PER_MINUTE: '120',
  CLICKLAKE_API_CONCURRENCY_PER_USER: '4',
  CLICKLAKE_API_CACHE_SECONDS: '60',
  CLICKLAKE_CTR_GROUP: 'clicklake-ctr',
  CLICKLAKE_CTR_KEY_PREFIX: 'ctr',
  CLICKLAKE_CTR_RETENTION_HOURS: '48',
  CLICKLAKE_CTR_DEDUP_MINUTES: '10',
  CLICKLAKE_RECONCILE_EVERY_MINUTES: '15',
  CLICKLAKE_RECONCILE_LOOKBACK_DAYS: '8',
  CLICKLAKE_RECONCILE_CONCURRENCY: '4',
  CLICKLAKE_FINAL_AFTER_HOURS: '6',
  CLICKLAKE_COMPACT_TARGET_MB: '128',
  CLICKLAKE_COMPACT_GRACE_SECONDS: '120',
  CLICKLAKE_RETENTION_KEEP_VERSIONS: '3',
  CLICKLAKE_RETENTION_KEEP_DAYS: '7',
  CLICKLAKE_QUALITY_REJECT_WARN: '0.05',
  CLICKLAKE_QUALITY_REJECT_BLOCK: '0.2',
  CLICKLAKE_QUALITY_DUPLICATE_WARN: '0.1',
  CLICKLAKE_QUALITY_DUPLICATE_BLOCK: 'off',
  CLICKLAKE_QUALITY_VOLUME_WARN: '3',
  CLICKLAKE_QUALITY_VOLUME_BLOCK: 'off',
  CLICKLAKE_QUALITY_NULL_WARN: '0.5',
  CLICKLAKE_QUALITY_NULL_BLOCK: 'off',
  CLICKLAKE_API_KEYS: '(generated by stack up)',
  CLICKLAKE_PII_HMAC_KEY: '(generated by stack up)',
  CLICKLAKE_BACKFILL_TASK_QUEUE: 'clicklake-backfill',
  CLICKLAKE_BACKFILL_CONCURRENCY: '4',
  CLICKLAKE_BACKFILL_MAX_ACTIVITIES: '2',
  CLICKLAKE_BACKFILL_MAX_WORKFLOW_TASKS: '2',
} as const;

export type ConfigVariable = keyof typeof CONFIG_VARIABLES;

function raw(env: Env, name: ConfigVariable): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function text(env: Env, name: ConfigVariable, fallback: string): string {
  return raw(env, name) ?? fallback;
}

function integer(env: Env, name: ConfigVariable, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name}: must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

function port(env: Env, name: ConfigVariable, fallback: number): number {
  return integer(env, name, fallback, 1, 65535);
}

function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home}/${path.slice(2)}`;
  return path;
}

function absolutePath(env: Env, name: ConfigVariable, fallback: string, home: string): string {
  const path = expandHome(raw(env, name) ?? fallback, home);
  if (!path.startsWith('/')) throw new ConfigError(`${name}: must be an absolute path, got "${path}"`);
  return path.replace(/\/+$/, '');
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HOST = /^[A-Za-z0-9.-]+$/;
const GROUP_ID = /^[A-Za-z0-9._-]{1,249}$/;
const KEY_PREFIX = /^[A-Za-z0-9._-]{1,64}$/;

function matching(env: Env, name: ConfigVariable, pattern: RegExp, what: string): string {
  const value = text(env, name, defaultOf(name));
  if (!pattern.test(value)) throw new ConfigError(`${name}: "${value}" is not a valid ${what}`);
  return value;
}

function topic(env: Env, name: ConfigVariable, fallback: string): string {
  const value = text(env, name, fallback);
  if (!TOPIC_NAME.test(value)) {
    throw new ConfigError(`${name}: "${value}" is not a valid Kafka topic name (letters, digits, . _ -; at most 249)`);
  }
  return value;
}

function defaultOf(name: ConfigVariable): string {
  return CONFIG_VARIABLES[name];
}

/** The port of every service, each from its variable; no two may be the same. */
interface Ports {
  readonly temporal: number;
  readonly temporalUi: number;
  readonly kafka: number;
  readonly kafkaController: number;
  readonly registry: number;
  readonly registryManagement: number;
  readonly s3: number;
  readonly s3Console: number;
  readonly presto: number;
  readonly redis: number;
  readonly collector: number;
  readonly workerMetrics: number;
  readonly api: number;
}

const PORT_VARIABLES: ReadonlyArray<readonly [keyof Ports, ConfigVariable, number]> = [
  ['temporal', 'CLICKLAKE_TEMPORAL_PORT', 7233],
  ['temporalUi', 'CLICKLAKE_TEMPORAL_UI_PORT', 8233],
  ['kafka', 'CLICKLAKE_KAFKA_PORT', 9092],
  ['kafkaController', 'CLICKLAKE_KAFKA_CONTROLLER_PORT', 9093],
  ['registry', 'CLICKLAKE_REGISTRY_PORT', 8085],
  ['registryManagement', 'CLICKLAKE_REGISTRY_MANAGEMENT_PORT', 9095],
  ['s3', 'CLICKLAKE_S3_PORT', 9000],
  ['s3Console', 'CLICKLAKE_S3_CONSOLE_PORT', 9001],
  ['presto', 'CLICKLAKE_PRESTO_PORT', 8080],
  ['redis', 'CLICKLAKE_REDIS_PORT', 6380],
  ['collector', 'CLICKLAKE_COLLECTOR_PORT', 8787],
  ['workerMetrics', 'CLICKLAKE_WORKER_METRICS_PORT', 9464],
  ['api', 'CLICKLAKE_API_PORT', 8788],
];

function parsePorts(env: Env): Ports {
  const ports: Partial<Record<keyof Ports, number>> = {};
  const seen = new Map<number, ConfigVariable>();
  for (const [field, name, fallback] of PORT_VARIABLES) ports[field] = port(env, name, fallback);
  for (const [field, name] of PORT_VARIABLES) {
    const value = ports[field] as number;
    const other = seen.get(value);
    if (other !== undefined) throw new ConfigError(`${name}: port ${value} is already used by ${other}`);
    seen.set(value, name);
  }
  return ports as Ports;
}

function parseTemporal(env: Env, host: string, ports: Ports): TemporalConfig {
  const namespace = text(env, 'CLICKLAKE_TEMPORAL_NAMESPACE', 'default');
  if (!/^[A-Za-z0-9._-]{2,255}$/.test(namespace)) {
    throw new ConfigError(`CLICKLAKE_TEMPORAL_NAMESPACE: "${namespace}" is not a valid namespace name`);
  }
  return {
    host,
    port: ports.temporal,
    address: `${host}:${ports.temporal}`,
    uiPort: ports.temporalUi,
    uiUrl: `http://${host}:${ports.temporalUi}`,
    namespace,
    taskQueue: text(env, 'CLICKLAKE_TASK_QUEUE', 'clicklake'),
  };
}

function parseKafka(env: Env, host: string, ports: Ports): KafkaConfig {
  return {
    host,
    port: ports.kafka,
    controllerPort: ports.kafkaController,
    brokers: [`${host}:${ports.kafka}`],
    clientId: 'clicklake',
    heapMb: integer(env, 'CLICKLAKE_KAFKA_HEAP_MB', 512, 128, 65536),
    eventsTopic: topic(env, 'CLICKLAKE_EVENTS_TOPIC', defaultOf('CLICKLAKE_EVENTS_TOPIC')),
    deadLetterTopic: topic(env, 'CLICKLAKE_DEAD_LETTER_TOPIC', defaultOf('CLICKLAKE_DEAD_LETTER_TOPIC')),
    eventsPartitions: integer(env, 'CLICKLAKE_EVENTS_PARTITIONS', 12, 1, 10000),
    produceEncoder: matching(env, 'CLICKLAKE_KAFKA_PRODUCE_ENCODER', /^(own|client)$/, 'own or client') as 'own' | 'client',
  };
}

function parseSchemaRegistry(env: Env, host: string, ports: Ports): SchemaRegistryConfig {
  return {
    host,
    port: ports.registry,
    managementPort: ports.registryManagement,
    url: `http://${host}:${ports.registry}/apis/ccompat/v7`,
    heapMb: integer(env, 'CLICKLAKE_REGISTRY_HEAP_MB', 384, 128, 65536),
  };
}

function parseS3(env: Env, host: string, ports: Ports, secrets: LocalSecrets | undefined): S3Config {
  const bucket = text(env, 'CLICKLAKE_S3_BUCKET', 'clicklake');
  if (!BUCKET_NAME.test(bucket)) throw new ConfigError(`CLICKLAKE_S3_BUCKET: "${bucket}" is not a valid bucket name`);
  return {
    host,
    port: ports.s3,
    consolePort: ports.s3Console,
    endpoint: `http://${host}:${ports.s3}`,
    region: text(env, 'CLICKLAKE_S3_REGION', 'us-east-1'),
    bucket,
    // MinIO wants a root user of at least 3 and a password of at least 8 characters.
    accessKeyId: lazySecret(env, 'CLICKLAKE_S3_ACCESS_KEY', secrets?.s3AccessKey, 3),
    secretAccessKey: lazySecret(env, 'CLICKLAKE_S3_SECRET_KEY', secrets?.s3SecretKey, 8),
  };
}

function parsePresto(env: Env, host: string, ports: Ports): PrestoConfig {
  return {
    host,
    port: ports.presto,
    url: `http://${host}:${ports.presto}`,
    catalog: 'lake',
    user: text(env, 'CLICKLAKE_PRESTO_USER', 'clicklake'),
    heapMb: integer(env, 'CLICKLAKE_PRESTO_HEAP_MB', 2048, 1024, 65536),
  };
}

function shedLevels(env: Env): { shedLowPct: number; shedMidPct: number } {
  const shedLowPct = integer(env, 'CLICKLAKE_COLLECTOR_SHED_LOW_PCT', 50, 0, 100);
  const shedMidPct = integer(env, 'CLICKLAKE_COLLECTOR_SHED_MID_PCT', 80, 0, 100);
  if (shedLowPct > shedMidPct) throw new ConfigError(`CLICKLAKE_COLLECTOR_SHED_LOW_PCT: must be at most CLICKLAKE_COLLECTOR_SHED_MID_PCT (${shedLowPct} > ${shedMidPct})`);
  return { shedLowPct, shedMidPct };
}

function parseCollector(env: Env, host: string, ports: Ports, secrets: LocalSecrets | undefined): CollectorConfig {
  const apiKeysRaw = raw(env, 'CLICKLAKE_API_KEYS');
  const apiKeys = apiKeysRaw !== undefined ? apiKeysRaw.split(',').map((k) => k.trim()) : secrets ? [secrets.apiKey] : [];
  for (const key of apiKeys) {
    if (key.length < 16) throw new ConfigError('CLICKLAKE_API_KEYS: every key must be at least 16 characters');
  }
  return {
    host,
    port: ports.collector,
    url: `http://${host}:${ports.collector}`,
    apiKeys,
    ratePerKey: integer(env, 'CLICKLAKE_COLLECTOR_RATE_PER_KEY', 200_000, 1, 100_000_000),
    maxInFlightEvents: integer(env, 'CLICKLAKE_COLLECTOR_MAX_IN_FLIGHT', 100_000, 1000, 100_000_000),
    ackTimeoutMs: integer(env, 'CLICKLAKE_COLLECTOR_ACK_TIMEOUT_MS', 10_000, 100, 600_000),
    instances: integer(env, 'CLICKLAKE_COLLECTOR_INSTANCES', 1, 1, 1000),
    limitTimeoutMs: integer(env, 'CLICKLAKE_COLLECTOR_LIMIT_TIMEOUT_MS', 250, 10, 10_000),
    signatureWindowSec: integer(env, 'CLICKLAKE_COLLECTOR_SIGNATURE_WINDOW_SEC', 300, 10, 86_400),
    ...shedLevels(env),
  };
}

function parseApi(env: Env, host: string, ports: Ports): ApiConfig {
  return {
    host,
    port: ports.api,
    url: `http://${host}:${ports.api}`,
    queriesPerMinute: integer(env, 'CLICKLAKE_API_QUERIES_PER_MINUTE', 120, 1, 1_000_000),
    concurrencyPerUser: integer(env, 'CLICKLAKE_API_CONCURRENCY_PER_USER', 4, 1, 1000),
    cacheSeconds: integer(env, 'CLICKLAKE_API_CACHE_SECONDS', 60, 0, 86_400),
  };
}

function parseCtr(env: Env): CtrConfig {
  return {
    group: matching(env, 'CLICKLAKE_CTR_GROUP', GROUP_ID, 'consumer group id (letters, digits, . _ -; at most 249)'),
    keyPrefix: matching(env, 'CLICKLAKE_CTR_KEY_PREFIX', KEY_PREFIX, 'Redis key prefix (letters, digits, . _ -; at most 64)'),
    retentionHours: integer(env, 'CLICKLAKE_CTR_RETENTION_HOURS', 48, 1, 24 * 366),
    dedupMinutes: integer(env, 'CLICKLAKE_CTR_DEDUP_MINUTES', 10, 1, 24 * 60),
  };
}

/** Compaction of closed days (workflows/compactDay.ts) and retention of unpublished partition versions. */
export interface CompactionConfig {
  /** Size a merged Bronze object grows to. */
  readonly targetBytes: number;
  /** How long replaced Bronze objects stay after the index no longer names them (a promotion that listed them before may still read them). */
  readonly graceMs: number;
  /** Retention keeps this many newest versions of a partition, and every one younger than keepDays. */
  readonly keepVersions: number;
  readonly keepDays: number;
}

function parseCompaction(env: Env): CompactionConfig {
  return {
    targetBytes: integer(env, 'CLICKLAKE_COMPACT_TARGET_MB', 128, 1, 1024 * 1024) * 1024 * 1024,
    graceMs: integer(env, 'CLICKLAKE_COMPACT_GRACE_SECONDS', 120, 0, 24 * 3600) * 1000,
    keepVersions: integer(env, 'CLICKLAKE_RETENTION_KEEP_VERSIONS', 3, 1, 1000),
    keepDays: integer(env, 'CLICKLAKE_RETENTION_KEEP_DAYS', 7, 0, 3660),
  };
}

/** The `reconcile-late` schedule and workflow, and the finality horizon of daily Gold. */
export interface ReconcileConfig {
  /** How often the schedule looks for STALE hours. */
  readonly everyMinutes: number;
  /** How far back it looks: the allowed lateness (7 days) and one more day. */
  readonly lookbackDays: number;
  /** Hours re-promoted at once. */
  readonly concurrency: number;
  /** A day's daily Gold is final this many hours after the day ends; later changes are still applied and recorded. */
  readonly finalAfterHours: number;
}

function parseReconcile(env: Env): ReconcileConfig {
  return {
    everyMinutes: integer(env, 'CLICKLAKE_RECONCILE_EVERY_MINUTES', 15, 1, 24 * 60),
    lookbackDays: integer(env, 'CLICKLAKE_RECONCILE_LOOKBACK_DAYS', 8, 1, 366),
    concurrency: integer(env, 'CLICKLAKE_RECONCILE_CONCURRENCY', 4, 1, 64),
    finalAfterHours: integer(env, 'CLICKLAKE_FINAL_AFTER_HOURS', 6, 0, 24 * 366),
  };
}

/**
 * Parses the environment into the typed configuration, one parser per group.
 * `secrets` are the locally generated credentials; explicit variables win over them.
 * Secrets may be absent (before the first `stack up`): then only secret-free slices can be used,
 * and reading a missing secret throws at parse time, naming the variable.
 */
export function parseConfig(env: Env, home: string, secrets?: LocalSecrets): ClicklakeConfig {
  const host = text(env, 'CLICKLAKE_HOST', defaultOf('CLICKLAKE_HOST'));
  if (!HOST.test(host)) throw new ConfigError(`CLICKLAKE_HOST: "${host}" is not a host name or IPv4 address`);
  const ports = parsePorts(env);
  return {
    paths: {
      stateDir: absolutePath(env, 'CLICKLAKE_STATE_DIR', defaultOf('CLICKLAKE_STATE_DIR'), home),
      cacheDir: absolutePath(env, 'CLICKLAKE_CACHE_DIR', defaultOf('CLICKLAKE_CACHE_DIR'), home),
    },
    temporal: parseTemporal(env, host, ports),
    kafka: parseKafka(env, host, ports),
    schemaRegistry: parseSchemaRegistry(env, host, ports),
    s3: parseS3(env, host, ports, secrets),
    presto: parsePresto(env, host, ports),
    redis: { host, port: ports.redis, url: `redis://${host}:${ports.redis}` },
    collector: parseCollector(env, host, ports, secrets),
    api: parseApi(env, host, ports),
    ctr: parseCtr(env),
    worker: { host, metricsPort: ports.workerMetrics, metricsUrl: `http://${host}:${ports.workerMetrics}/metrics` },
    reconcile: parseReconcile(env),
    pii: { hmacKey: lazySecret(env, 'CLICKLAKE_PII_HMAC_KEY', secrets?.piiHmacKey, 32) },
    compaction: parseCompaction(env),
    quality: parseQuality(env),
    backfill: parseBackfill(env),
  };
}

function parseBackfill(env: Env): BackfillConfig {
  return {
    taskQueue: text(env, 'CLICKLAKE_BACKFILL_TASK_QUEUE', 'clicklake-backfill'),
    concurrency: integer(env, 'CLICKLAKE_BACKFILL_CONCURRENCY', 4, 1, 64),
    maxActivities: integer(env, 'CLICKLAKE_BACKFILL_MAX_ACTIVITIES', 2, 1, 64),
    maxWorkflowTasks: integer(env, 'CLICKLAKE_BACKFILL_MAX_WORKFLOW_TASKS', 2, 2, 64),
  };
}

/** A bound: a non-negative decimal, or `off` (never reached). */
function bound(env: Env, name: ConfigVariable): number {
  const value = text(env, name, defaultOf(name));
  if (value === 'off') return Number.POSITIVE_INFINITY;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new ConfigError(`${name}: must be a number ≥ 0 or "off", got "${value}"`);
  return Number(value);
}

function bounds(env: Env, warn: ConfigVariable, block: ConfigVariable): Bounds {
  const parsed = { warn: bound(env, warn), block: bound(env, block) };
  if (parsed.block < parsed.warn) throw new ConfigError(`${block}: must be at least ${warn} (${parsed.warn}), got ${parsed.block}`);
  return parsed;
}

function parseQuality(env: Env): QualityThresholds {
  const volume = bounds(env, 'CLICKLAKE_QUALITY_VOLUME_WARN', 'CLICKLAKE_QUALITY_VOLUME_BLOCK');
  if (volume.warn < 1) throw new ConfigError(`CLICKLAKE_QUALITY_VOLUME_WARN: a factor, must be at least 1, got ${volume.warn}`);
  return {
    rejectRate: bounds(env, 'CLICKLAKE_QUALITY_REJECT_WARN', 'CLICKLAKE_QUALITY_REJECT_BLOCK'),
    duplicateRate: bounds(env, 'CLICKLAKE_QUALITY_DUPLICATE_WARN', 'CLICKLAKE_QUALITY_DUPLICATE_BLOCK'),
    volumeFactor: volume,
    nullRate: bounds(env, 'CLICKLAKE_QUALITY_NULL_WARN', 'CLICKLAKE_QUALITY_NULL_BLOCK'),
  };
}

/**
 * Before the first `stack up` there are no generated secrets yet. The slices that need one then hold
 * the empty string, and `requireSecrets` tells an entrypoint that needs them what to do.
 */
function lazySecret(env: Env, name: ConfigVariable, generated: string | undefined, minLength: number): string {
  const value = raw(env, name) ?? generated;
  if (value === undefined) return '';
  if (value.length < minLength) throw new ConfigError(`${name}: must be at least ${minLength} characters`);
  return value;
}

/** Throws a ConfigError naming the first missing secret; call from entrypoints that talk to S3 or the collector. */
export function requireSecrets(config: ClicklakeConfig): void {
  if (config.s3.accessKeyId === '') throw new ConfigError('CLICKLAKE_S3_ACCESS_KEY: not set and not generated yet; run `clicklake stack up` first');
  if (config.s3.secretAccessKey === '') throw new ConfigError('CLICKLAKE_S3_SECRET_KEY: not set and not generated yet; run `clicklake stack up` first');
  if (config.collector.apiKeys.length === 0) throw new ConfigError('CLICKLAKE_API_KEYS: not set and not generated yet; run `clicklake stack up` first');
  if (config.pii.hmacKey === '') throw new ConfigError('CLICKLAKE_PII_HMAC_KEY: not set and not generated yet; run `clicklake stack up` first');
}
