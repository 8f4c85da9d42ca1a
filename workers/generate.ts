/**
 * `clicklake generate`: synthetic traffic from the seeded model (core/generator.ts) sent through the
 * collector at a target rate, by the client SDK's transport (sdk/). 429 and 503 answers are retried after their Retry-After with the very
 * same events (same event_ids), as a real SDK must, a bounded number of times (DEFAULT_SEND_RETRY):
 * a batch still refused then fails the run, naming the cause and the counts. With `--truth`, the expected Gold rows are
 * computed from the sent events CONTRACT §1 accepts, judged by core/truthRules (never by the
 * collector's validation, which the comparison checks), deduplicated by event_id.
 *
 * With `lake`, the run's campaigns and their advertisers (core/generator.ts campaignCatalog) are
 * written to lake.gold.dim_campaign before the first event is sent (writeCampaignDim).
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import { createS3 } from '../activities/clients';
import { parquetBytes } from '../activities/parquet';
import type { CollectorConfig, S3Config } from '../core/config';
import { BadInputError, errorMessage, ServiceUnavailableError } from '../core/errors';
import { defaultValidationContext, validateEvent } from '../core/event';
import { campaignCatalog, createTrafficModel, type TrafficOptions, type WireEvent } from '../core/generator';
import { dimCampaignKey, GOLD_DIM_CAMPAIGN } from '../core/lakeTables';
import { computeTruth, type Truth } from '../core/truth';
import { judgeEvent, type JudgedEvent } from '../core/truthRules';
import type { EventRecord } from '../schemas/eventRecord';
import { nodeGzip } from '../sdk/node';
import { sendWithRetry, SdkSendError, type SendRetry as SdkSendRetry } from '../sdk/transport';
import type { CollectorAnswer, SdkEvent } from '../sdk/types';

export interface GenerateOptions {
  readonly ratePerSec: number;
  readonly durationSec: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly traffic: TrafficOptions;
  readonly gzip: boolean;
  /** Moves every event_time by this much (negative: into the past, e.g. to fill a backfill window). */
  readonly eventTimeShiftMs?: number;
  /** How often a batch is sent before the run gives up (default DEFAULT_SEND_RETRY). */
  readonly retry?: SendRetry;
  /** The lake's S3: when given, the run's campaigns are written to lake.gold.dim_campaign first (writeCampaignDim). */
  readonly lake?: S3Config;
}

export interface GenerateSummary {
  readonly seed: number;
  /** The traffic's campaign and title id prefix, when it has one (TrafficOptions.idScope). */
  readonly idScope?: string;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly quarantined: number;
  readonly retries: number;
  readonly requests: number;
  /** Batches (and their events) given up on after every retry; the run then fails naming the cause. */
  readonly failedBatches: number;
  readonly failedEvents: number;
  readonly durationSec: number;
  readonly eventsPerSec: number;
}

export interface GenerateResult {
  readonly summary: GenerateSummary;
  /** Accepted events in the order the collector acknowledged them, as the collector stamped them locally. */
  readonly accepted: EventRecord[];
  /**
   * What the truth counts: every sent event that CONTRACT §1 accepts, judged by core/truthRules at
   * its send time and in the same order, whatever the collector answered (so its bugs show in verify).
   */
  readonly judged: JudgedEvent[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A Retry-After longer than a minute is taken as a minute; the wait otherwise as sdk/retry.ts computes it. */
export { retryDelayMs } from '../sdk/retry';

/** How often a batch is sent before the run gives up on it, and the waits in between (sdk/transport.ts). */
export type SendRetry = SdkSendRetry;

/** About 25 s of retries at the most (Retry-After answers aside): a collector down longer ends the run. */
export const DEFAULT_SEND_RETRY: SendRetry = { attempts: 8, baseDelayMs: 200, maxDelayMs: 5000, jitter: 0.5 };

/**
 * Sends one batch through the SDK's transport (sdk/transport.ts sendWithRetry) until the collector
 * answers 200, with the same body (the same event_ids) every time: 429, 5xx and network errors are
 * retried up to `retry.attempts` sends, then the run fails with the last cause
 * (ServiceUnavailableError). Any other answer is a bug or a bad key: BadInputError at once.
 */
async function sendBatch(collector: CollectorConfig, apiKey: string, events: readonly WireEvent[], gzip: boolean, onRetry: () => void, retry: SendRetry = DEFAULT_SEND_RETRY): Promise<CollectorAnswer> {
  const transport = { url: collector.url, apiKey, timeoutMs: 60_000, encode: gzip ? nodeGzip : async (json: string) => ({ body: json }) };
  try {
    return await sendWithRetry(transport, events as SdkEvent[], retry, onRetry);
  } catch (err) {
    if (!(err instanceof SdkSendError)) throw err;
    if (err.kind === 'refused') throw new BadInputError(err.message);
    throw new ServiceUnavailableError('collector', err.message);
  }
}

/** The batches the run gave up on, and the first error, for the summary and the final failure. */
interface SendFailures {
  batches: number;
  events: number;
  first: unknown;
}

/** The final failure of a run that gave up on some batches: names the cause and the counts. */
function runFailure(failed: SendFailures, summary: GenerateSummary): Error {
  const message =
    `${failed.events} events in ${failed.batches} batches were not accepted (${errorMessage(failed.first)}); ` +
    `sent ${summary.sent}, accepted ${summary.accepted}, rejected ${summary.rejected}, retries ${summary.retries}`;
  return failed.first instanceof BadInputError ? new BadInputError(message) : new ServiceUnavailableError('collector', message, failed.first);
}

function summaryOf(
  traffic: TrafficOptions,
  sent: number,
  stats: Pick<GenerateSummary, 'accepted' | 'rejected' | 'quarantined' | 'retries' | 'requests'>,
  failed: SendFailures,
  durationSec: number,
): GenerateSummary {
  return {
    seed: traffic.seed,
    ...(traffic.idScope === undefined ? {} : { idScope: traffic.idScope }),
    sent,
    ...stats,
    failedBatches: failed.batches,
    failedEvents: failed.events,
    durationSec: Math.round(durationSec * 100) / 100,
    eventsPerSec: Math.round(sent / Math.max(durationSec, 0.001)),
  };
}

function progressLine(done: number, total: number, s: { accepted: number; rejected: number; retries: number }, elapsedSec: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const rate = elapsedSec > 0 ? Math.round(done / elapsedSec) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} events  accepted ${s.accepted}  rejected ${s.rejected}  retries ${s.retries}  ${rate} ev/s`;
}

/** What writeCampaignDim did: the object of the scope, its campaigns, and whether it was (re)written. */
export interface CampaignDimWrite {
  readonly key: string;
  readonly campaigns: number;
  readonly written: boolean;
}

/** S3 user metadata on a dim object: how many campaigns it holds and the layout of its rows. */
const DIM_CAMPAIGNS_META = 'campaigns';
const DIM_LAYOUT_META = 'layout';
const DIM_LAYOUT = 'generator-v1';

/**
 * Writes the campaigns of the traffic's id scope (campaignCatalog) as one Parquet object of
 * lake.gold.dim_campaign (dimCampaignKey: one per scope, so runs of other scopes are never touched).
 * Idempotent: the same scope always gives the same key and rows. An object that already holds at
 * least as many campaigns of this layout is kept (a smaller run of the scope names a prefix of its
 * campaigns, which it has), so a rerun never shrinks what an earlier, larger run wrote.
 */
export async function writeCampaignDim(s3Config: S3Config, traffic: Pick<TrafficOptions, 'campaigns' | 'idScope'>): Promise<CampaignDimWrite> {
  const rows = campaignCatalog(traffic);
  const key = dimCampaignKey(traffic.idScope);
  const s3 = createS3(s3Config);
  try {
    const existing = await s3.send(new HeadObjectCommand({ Bucket: s3Config.bucket, Key: key })).then(
      (head) => head.Metadata ?? {},
      (err: unknown) => {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw err;
      },
    );
    if (existing !== undefined && existing[DIM_LAYOUT_META] === DIM_LAYOUT && Number(existing[DIM_CAMPAIGNS_META]) >= rows.length) {
      return { key, campaigns: Number(existing[DIM_CAMPAIGNS_META]), written: false };
    }
    const body = await parquetBytes(GOLD_DIM_CAMPAIGN, rows);
    await s3.send(
      new PutObjectCommand({ Bucket: s3Config.bucket, Key: key, Body: body, Metadata: { [DIM_CAMPAIGNS_META]: String(rows.length), [DIM_LAYOUT_META]: DIM_LAYOUT } }),
    );
    return { key, campaigns: rows.length, written: true };
  } finally {
    s3.destroy();
  }
}

export async function generate(
  collector: CollectorConfig,
  options: GenerateOptions,
  progress: ((line: string) => void) | undefined,
): Promise<GenerateResult> {
  const apiKey = collector.apiKeys[0];
  if (apiKey === undefined) throw new BadInputError('no collector API key configured; run `clicklake stack up` first');
  // Before any event: Gold built from this traffic always finds its campaigns' advertisers.
  if (options.lake !== undefined) await writeCampaignDim(options.lake, options.traffic);
  const model = createTrafficModel(options.traffic);
  const total = Math.round(options.ratePerSec * options.durationSec);
  const started = Date.now();
  const stats = { accepted: 0, rejected: 0, quarantined: 0, retries: 0, requests: 0 };
  const accepted: EventRecord[] = [];
  const judged: JudgedEvent[] = [];
  let scheduled = 0;
  let done = 0;
  let lastProgress = 0;
  const inFlight = new Set<Promise<void>>();
  const failed: SendFailures = { batches: 0, events: 0, first: undefined };

  const send = async (events: WireEvent[]): Promise<void> => {
    const sentAt = Date.now();
    const answer = await sendBatch(collector, apiKey, events, options.gzip, () => stats.retries++, options.retry);
    stats.requests++;
    const rejectedIndexes = new Set(answer.rejected.map((r) => r.index));
    const ctx = defaultValidationContext(sentAt);
    events.forEach((wire, index) => {
      if (rejectedIndexes.has(index)) return;
      const local = validateEvent(wire, ctx);
      // The collector accepted it, so it is valid; the local copy only lacks the collector's receive stamp.
      if (local.ok) accepted.push(local.event);
    });
    for (const wire of events) {
      const verdict = judgeEvent(wire, sentAt);
      if (verdict.valid) judged.push(verdict.event);
    }
    stats.accepted += answer.accepted;
    stats.rejected += answer.rejected.length;
    stats.quarantined += answer.quarantined ?? 0;
    done += events.length;
    const now = Date.now();
    if (progress && (now - lastProgress > 250 || done === total)) {
      lastProgress = now;
      progress(progressLine(done, total, stats, (now - started) / 1000));
    }
  };

  // A batch given up on stops the scheduling of new ones; those in flight finish.
  while (scheduled < total && failed.batches === 0) {
    // Pace: send what the target rate says should have been sent by now, in full batches (the last may be short).
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * options.ratePerSec) + options.batchSize);
    const ready = due - scheduled >= Math.min(options.batchSize, total - scheduled);
    if (!ready || inFlight.size >= options.concurrency) {
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      else await sleep(Math.max(1, Math.ceil((options.batchSize / options.ratePerSec) * 1000) / 4));
      continue;
    }
    const n = Math.min(options.batchSize, due - scheduled);
    const batch = model.nextBatch(n, Date.now() + (options.eventTimeShiftMs ?? 0));
    scheduled += n;
    const p = send(batch.events)
      .catch((err: unknown) => {
        failed.batches++;
        failed.events += batch.events.length;
        failed.first ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);

  const summary = summaryOf(options.traffic, done, stats, failed, (Date.now() - started) / 1000);
  if (failed.batches > 0) throw runFailure(failed, summary);
  return {
    summary,
    accepted,
    judged,
  };
}

/** The truth file: the expected Gold rows of every table for the events the contract accepts. */
export function writeTruth(file: string, result: GenerateResult): Truth {
  const truth = computeTruth(result.judged);
  fs.writeFileSync(file, `${JSON.stringify({ seed: result.summary.seed, summary: result.summary, ...truth }, null, 2)}\n`);
  return truth;
}
