/**
 * Builds the clients of every service from its config slice. Activities, workers, infra health
 * probes and integration tests all get their clients here, so timeouts and retry settings live in
 * one place.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Connection } from '@temporalio/client';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client as PrestoClient, type Column } from 'presto-client';
import type { KafkaConfig, PrestoConfig, RedisConfig, S3Config, TemporalConfig } from '../core/config';
import { BadInputError, QueryError, QueryUserError } from '../core/errors';

export function createKafka(config: KafkaConfig, options: { clientId?: string; quiet?: boolean } = {}): Kafka {
  return new Kafka({
    clientId: options.clientId ?? config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: 3000,
    requestTimeout: 30000,
    logLevel: options.quiet ? logLevel.NOTHING : logLevel.WARN,
    retry: { retries: options.quiet ? 0 : 8, initialRetryTime: 200 },
  });
}

export function createS3(config: S3Config): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  });
}

/** `failFast`: one connection attempt, no reconnects (health probes). */
export function createRedis(config: RedisConfig, options: { lazy?: boolean; failFast?: boolean } = {}): Redis {
  return new Redis(config.url, {
    lazyConnect: options.lazy ?? false,
    connectTimeout: 3000,
    maxRetriesPerRequest: options.failFast ? 0 : 3,
    retryStrategy: options.failFast ? () => null : (times) => Math.min(times * 200, 2000),
  });
}

export function connectTemporal(config: TemporalConfig): Promise<Connection> {
  return Connection.connect({ address: config.address, connectTimeout: 5000 });
}

export interface QueryResult {
  readonly columns: readonly Column[];
  readonly rows: readonly unknown[][];
}

function prestoErrorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { message?: unknown; errorName?: unknown; error?: unknown };
    const name = typeof e.errorName === 'string' ? ` (${e.errorName})` : '';
    if (typeof e.message === 'string') return `${e.message}${name}`;
    if (e.error instanceof Error) return e.error.message;
  }
  return String(err);
}

/** Trino user names this client sends (core/apiKeys.ts names, and the pipeline's presto.user). */
const PRESTO_USER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A promise-shaped Presto/Trino client. Queries run as `options.user` (the serving API passes the
 * key's user, so Trino's own access rules apply to it), or as the pipeline's user, `config.user`.
 */
export class Presto {
  private readonly client: PrestoClient;
  /** The Trino user every query of this client runs as. */
  readonly user: string;

  constructor(private readonly config: PrestoConfig, options: { timeoutSeconds?: number; user?: string } = {}) {
    const user = options.user ?? config.user;
    if (options.user !== undefined && (typeof options.user !== 'string' || !PRESTO_USER.test(options.user))) {
      throw new BadInputError(`user: must be 1-128 of A-Z a-z 0-9 . _ - starting with a letter or digit, got ${JSON.stringify(options.user)}`);
    }
    this.user = user;
    this.client = new PrestoClient({
      host: config.host,
      port: config.port,
      user,
      catalog: config.catalog,
      source: 'clicklake',
      engine: 'trino',
      timeout: options.timeoutSeconds ?? 600,
      checkInterval: 50,
    });
  }

  query(sql: string, options: { schema?: string; session?: Record<string, string> } = {}): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      let columns: Column[] = [];
      const rows: unknown[][] = [];
      this.client.execute({
        query: sql,
        catalog: this.config.catalog,
        schema: options.schema,
        session: options.session,
        columns: (_err, cols) => {
          columns = cols;
        },
        data: (_err, data, cols) => {
          if (cols) columns = cols;
          for (const row of data) rows.push(row);
        },
        success: () => resolve({ columns, rows }),
        error: (err) => {
          const errorType = (err as { errorType?: unknown } | null)?.errorType;
          const message = `presto: ${prestoErrorMessage(err)} [${sql.slice(0, 120)}]`;
          // A user's error (bad SQL, a missing table, a denied read) is the same on every try.
          reject(errorType === 'USER_ERROR' ? new QueryUserError(message, err) : new QueryError(message, typeof errorType === 'string' ? errorType : undefined, err));
        },
      });
    });
  }

  /** Rows as objects keyed by column name, as `clicklake query --json` prints them. */
  async queryObjects(sql: string, options: { schema?: string } = {}): Promise<Record<string, unknown>[]> {
    const { columns, rows } = await this.query(sql, options);
    return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, row[i]])));
  }
}
