/**
 * The erasure list in the lake: one immutable JSON object per request under `audit/_erasure_list/`
 * (core/erasure.ts ErasureEntry), written before anything else of the request, read by every Bronze
 * ingestion and every promotion. One object per request, never a shared file: two requests at once
 * cannot lose one another, and a reader sees a request whole or not at all (a PUT is atomic).
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { erasureRule, parseErasureEntry, type ErasureEntry, type ErasureRule } from '../../core/erasure';
import { zonePrefix } from '../../core/lake';
import { getText } from '../s3Objects';

export const ERASURE_LIST_PREFIX = `${zonePrefix('audit')}_erasure_list/`;

export function erasureEntryKey(requestId: string): string {
  return `${ERASURE_LIST_PREFIX}${requestId}.json`;
}

async function listEntryKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ERASURE_LIST_PREFIX, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key?.endsWith('.json') === true) keys.push(o.Key);
    token = out.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function readEntry(s3: S3Client, bucket: string, key: string): Promise<ErasureEntry | undefined> {
  const text = await getText(s3, bucket, key);
  return text === undefined ? undefined : parseErasureEntry(JSON.parse(text), `s3://${bucket}/${key}`);
}

/** Writes the request's entry (idempotent: the same request writes the same bytes). */
export async function putErasureEntry(s3: S3Client, bucket: string, entry: ErasureEntry): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: erasureEntryKey(entry.request_id), Body: JSON.stringify(entry), ContentType: 'application/json' }));
}

/** Every request of the list, in request-id order. A malformed entry fails the reader: it must not erase nothing in silence. */
export async function readErasureList(s3: S3Client, bucket: string): Promise<ErasureEntry[]> {
  const entries = await Promise.all((await listEntryKeys(s3, bucket)).map((key) => readEntry(s3, bucket, key)));
  return entries.filter((e): e is ErasureEntry => e !== undefined);
}

/**
 * The list for a long-running reader (Bronze ingestion): refreshed when older than `maxAgeMs`, and
 * only the entries it has not seen are read (entries never change).
 */
export class ErasureListCache {
  private readonly entries = new Map<string, ErasureEntry>();
  private rule: ErasureRule = new Map();
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<ErasureRule> {
    if (this.now() - this.readAt < this.maxAgeMs) return this.rule;
    const started = this.now();
    const keys = await listEntryKeys(this.s3, this.bucket);
    const fresh = keys.filter((key) => !this.entries.has(key));
    for (const key of fresh) {
      const entry = await readEntry(this.s3, this.bucket, key);
      if (entry !== undefined) this.entries.set(key, entry);
    }
    if (fresh.length > 0) this.rule = erasureRule([...this.entries.values()]);
    this.readAt = started;
    return this.rule;
  }
}
