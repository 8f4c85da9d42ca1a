/**
 * The serving API's answer cache in Redis: JSON under `api:cache:<sha256>`, kept `ttlSeconds`. The
 * key is made by the caller from everything the answer depends on, the versions of what it read
 * included; this cache never decides freshness. A Redis failure is a miss, never a failed request.
 *
 * And the version stamp of a lake table: for the tables published by switching partitions (Silver,
 * Gold) the metastore objects of their partitions (one LIST: a publish rewrites the partition's
 * object, so its ETag changes); for tables written in place (audit, dimensions) their data objects.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import type { TableDef } from '../../core/lakeTables';
import { METASTORE_PREFIX } from '../../core/lake';
import { errorMessage } from '../../core/errors';
import { logLine } from '../log';

export class AnswerCache {
  hits = 0;
  misses = 0;
  /** Redis failures met (each logged): answered as misses, never as failed requests. */
  errors = 0;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    if (this.ttlSeconds === 0) return undefined;
    try {
      const text = await this.redis.get(`api:cache:${key}`);
      if (text === null) {
        this.misses++;
        return undefined;
      }
      this.hits++;
      return JSON.parse(text) as T;
    } catch (err) {
      this.misses++;
      this.failed('get', err);
      return undefined;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    if (this.ttlSeconds === 0) return;
    try {
      await this.redis.set(`api:cache:${key}`, JSON.stringify(value), 'EX', this.ttlSeconds);
    } catch (err) {
      // Not cached: the next request computes it again.
      this.failed('set', err);
    }
  }

  private failed(op: 'get' | 'set', err: unknown): void {
    this.errors++;
    logLine('api cache unavailable', { op, error: errorMessage(err), errors: this.errors });
  }
}

/** At most this many objects are listed for one stamp; a table past it is not cached. */
const MAX_STAMP_OBJECTS = 20_000;

/**
 * A digest of the objects that say what a table holds now (see the module comment), restricted to
 * the days `dtFrom`..`dtTo` and the hours `hours` when given; undefined when the table is too large to stamp.
 */
export async function tableStamp(s3: S3Client, bucket: string, def: TableDef, range?: { dtFrom?: string; dtTo?: string; hours?: ReadonlySet<string> }): Promise<string | undefined> {
  const switched = def.schema === 'silver' || (def.schema === 'gold' && def.partitionedBy.length > 0);
  const prefix = switched ? `${METASTORE_PREFIX}${def.schema}/${def.table}/` : def.prefix;
  const hash = createHash('sha256').update(prefix);
  let token: string | undefined;
  let seen = 0;
  const startAfter = switched && range?.dtFrom !== undefined ? `${prefix}dt=${range.dtFrom}` : undefined;
  const stop = switched && range?.dtTo !== undefined ? `${prefix}dt=${range.dtTo}/~` : undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, ...(token === undefined && startAfter ? { StartAfter: startAfter } : {}) }));
    for (const o of out.Contents ?? []) {
      if (stop !== undefined && (o.Key ?? '') > stop) return hash.digest('hex');
      // Only the hours the query reads, when it names them: a publish of another hour is not a change.
      const hr = /\/hr=(\d{2})\//.exec(o.Key ?? '')?.[1];
      if (range?.hours !== undefined && hr !== undefined && !range.hours.has(hr)) continue;
      hash.update(`${o.Key ?? ''}\u0000${o.ETag ?? ''}\u0000`);
      if (++seen > MAX_STAMP_OBJECTS) return undefined;
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return hash.digest('hex');
}
