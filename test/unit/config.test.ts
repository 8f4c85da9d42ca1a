import { parseConfig, requireSecrets, type LocalSecrets } from '../../core/config';
import { ConfigError } from '../../core/errors';

const HOME = '/home/ann';
const SECRETS: LocalSecrets = {
  s3AccessKey: 'clicklake-abc123',
  s3SecretKey: 'secret-secret-secret',
  apiKey: 'ck_local_0123456789abcdef',
  piiHmacKey: '0123456789abcdef0123456789abcdef',
};

describe('parseConfig', () => {
  it('defaults to the local stack on loopback', () => {
    const c = parseConfig({}, HOME, SECRETS);
    expect(c.paths).toEqual({ stateDir: '/home/ann/.local/share/clicklake', cacheDir: '/home/ann/.cache/clicklake' });
    expect(c.temporal).toEqual({
      host: '127.0.0.1',
      port: 7233,
      address: '127.0.0.1:7233',
      uiPort: 8233,
      uiUrl: 'http://127.0.0.1:8233',
      namespace: 'default',
      taskQueue: 'clicklake',
    });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect([c.kafka.eventsTopic, c.kafka.deadLetterTopic, c.kafka.eventsPartitions]).toEqual([
      'clicklake.events',
      'clicklake.events.dead-letter',
      12,
    ]);
    expect(c.schemaRegistry.url).toBe('http://127.0.0.1:8085/apis/ccompat/v7');
    expect(c.s3).toEqual({
      host: '127.0.0.1',
      port: 9000,
      consolePort: 9001,
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      bucket: 'clicklake',
      accessKeyId: SECRETS.s3AccessKey,
      secretAccessKey: SECRETS.s3SecretKey,
    });
    expect(c.presto).toEqual({ host: '127.0.0.1', port: 8080, url: 'http://127.0.0.1:8080', catalog: 'lake', user: 'clicklake', heapMb: 2048 });
    expect(c.redis).toEqual({ host: '127.0.0.1', port: 6380, url: 'redis://127.0.0.1:6380' });
    expect(c.collector).toEqual({
      host: '127.0.0.1',
      port: 8787,
      url: 'http://127.0.0.1:8787',
      apiKeys: [SECRETS.apiKey],
      ratePerKey: 200_000,
      maxInFlightEvents: 100_000,
      ackTimeoutMs: 10_000,
      instances: 1,
      limitTimeoutMs: 250,
      shedLowPct: 50,
      shedMidPct: 80,
      signatureWindowSec: 300,
    });
    expect(c.ctr).toEqual({ group: 'clicklake-ctr', keyPrefix: 'ctr', retentionHours: 48, dedupMinutes: 10 });
    expect(c.pii.hmacKey).toBe(SECRETS.piiHmacKey);
  });

  it('lets every variable override its default', () => {
    const c = parseConfig(
      {
        CLICKLAKE_STATE_DIR: '~/lake-state/',
        CLICKLAKE_CACHE_DIR: '/var/cache/cl',
        CLICKLAKE_KAFKA_PORT: '19092',
        CLICKLAKE_EVENTS_TOPIC: 'ev',
        CLICKLAKE_EVENTS_PARTITIONS: '64',
        CLICKLAKE_S3_BUCKET: 'my-lake',
        CLICKLAKE_S3_ACCESS_KEY: 'admin',
        CLICKLAKE_S3_SECRET_KEY: 'adminadmin',
        CLICKLAKE_API_KEYS: 'key-one-0123456789, key-two-0123456789',
        CLICKLAKE_PRESTO_HEAP_MB: '4096',
        CLICKLAKE_CTR_GROUP: 'ctr-blue',
        CLICKLAKE_CTR_KEY_PREFIX: 'ctr.blue',
        CLICKLAKE_CTR_RETENTION_HOURS: '72',
        CLICKLAKE_CTR_DEDUP_MINUTES: '30',
      },
      HOME,
      SECRETS,
    );
    expect(c.paths).toEqual({ stateDir: '/home/ann/lake-state', cacheDir: '/var/cache/cl' });
    expect([c.kafka.brokers, c.kafka.eventsTopic, c.kafka.eventsPartitions]).toEqual([['127.0.0.1:19092'], 'ev', 64]);
    expect([c.s3.bucket, c.s3.accessKeyId, c.s3.secretAccessKey]).toEqual(['my-lake', 'admin', 'adminadmin']);
    expect(c.collector.apiKeys).toEqual(['key-one-0123456789', 'key-two-0123456789']);
    expect(c.presto.heapMb).toBe(4096);
    expect(c.ctr).toEqual({ group: 'ctr-blue', keyPrefix: 'ctr.blue', retentionHours: 72, dedupMinutes: 30 });
  });

  it.each([
    [{ CLICKLAKE_KAFKA_PORT: 'ninety' }, 'CLICKLAKE_KAFKA_PORT: must be a whole number, got "ninety"'],
    [{ CLICKLAKE_KAFKA_PORT: '70000' }, 'CLICKLAKE_KAFKA_PORT: must be between 1 and 65535, got 70000'],
    [{ CLICKLAKE_REDIS_PORT: '9092' }, 'CLICKLAKE_REDIS_PORT: port 9092 is already used by CLICKLAKE_KAFKA_PORT'],
    [{ CLICKLAKE_STATE_DIR: 'relative/dir' }, 'CLICKLAKE_STATE_DIR: must be an absolute path, got "relative/dir"'],
    [{ CLICKLAKE_EVENTS_TOPIC: 'bad topic' }, 'CLICKLAKE_EVENTS_TOPIC: "bad topic" is not a valid Kafka topic name (letters, digits, . _ -; at most 249)'],
    [{ CLICKLAKE_S3_BUCKET: 'Bad_Bucket' }, 'CLICKLAKE_S3_BUCKET: "Bad_Bucket" is not a valid bucket name'],
    [{ CLICKLAKE_S3_SECRET_KEY: 'short' }, 'CLICKLAKE_S3_SECRET_KEY: must be at least 8 characters'],
    [{ CLICKLAKE_API_KEYS: 'tiny' }, 'CLICKLAKE_API_KEYS: every key must be at least 16 characters'],
    [{ CLICKLAKE_PRESTO_HEAP_MB: '512' }, 'CLICKLAKE_PRESTO_HEAP_MB: must be between 1024 and 65536, got 512'],
    [{ CLICKLAKE_HOST: 'local host' }, 'CLICKLAKE_HOST: "local host" is not a host name or IPv4 address'],
    [{ CLICKLAKE_TEMPORAL_NAMESPACE: 'a b' }, 'CLICKLAKE_TEMPORAL_NAMESPACE: "a b" is not a valid namespace name'],
    [{ CLICKLAKE_CTR_GROUP: 'my group' }, 'CLICKLAKE_CTR_GROUP: "my group" is not a valid consumer group id (letters, digits, . _ -; at most 249)'],
    [{ CLICKLAKE_CTR_KEY_PREFIX: 'ctr:{x}' }, 'CLICKLAKE_CTR_KEY_PREFIX: "ctr:{x}" is not a valid Redis key prefix (letters, digits, . _ -; at most 64)'],
    [{ CLICKLAKE_CTR_RETENTION_HOURS: '0' }, 'CLICKLAKE_CTR_RETENTION_HOURS: must be between 1 and 8784, got 0'],
    [{ CLICKLAKE_CTR_DEDUP_MINUTES: '1441' }, 'CLICKLAKE_CTR_DEDUP_MINUTES: must be between 1 and 1440, got 1441'],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => parseConfig(env, HOME, SECRETS)).toThrow(new ConfigError(message));
  });

  it('treats blank variables as unset', () => {
    expect(parseConfig({ CLICKLAKE_KAFKA_PORT: '  ' }, HOME, SECRETS).kafka.port).toBe(9092);
  });

  it('parses without secrets before the first stack up, and says what to run when one is needed', () => {
    const c = parseConfig({}, HOME);
    expect([c.s3.accessKeyId, c.collector.apiKeys, c.pii.hmacKey]).toEqual(['', [], '']);
    expect(() => requireSecrets(c)).toThrow('CLICKLAKE_S3_ACCESS_KEY: not set and not generated yet; run `clicklake stack up` first');
    expect(() => requireSecrets(parseConfig({}, HOME, SECRETS))).not.toThrow();
  });
});
