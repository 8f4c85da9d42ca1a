/**
 * `clicklake generate`: synthetic traffic from the seeded model (core/generator.ts) sent through the
 * collector at a target rate. 429 and 503 answers are retried after their Retry-After with the very
 * same events (same event_ids), as a real SDK must. With `--truth`, the expected Gold rows are
 * computed from exactly the events the collector accepted, deduplicated by event_id.
 */
import * as fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { CollectorConfig } from '../core/config';
import { BadInputError } from '../core/errors';
import { defaultValidationContext, validateEvent } from '../core/event';
import { createTrafficModel, type TrafficOptions, type WireEvent } from '../core/generator';
import { computeTruth, type Truth } from '../core/truth';
import type { EventRecord } from '../schemas/eventRecord';

export interface GenerateOptions {
  readonly ratePerSec: number;
  readonly durationSec: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly traffic: TrafficOptions;
  readonly gzip: boolean;
  /** Moves every event_time by this much (negative: into the past, e.g. to fill a backfill window). */
  readonly eventTimeShiftMs?: number;
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
  readonly durationSec: number;
  readonly eventsPerSec: number;
}

export interface GenerateResult {
  readonly summary: GenerateSummary;
  /** Accepted events in the order the collector acknowledged them, as the collector stamped them locally. */
  readonly accepted: EventRecord[];
}

interface Answer {
  readonly accepted: number;
  readonly rejected: ReadonlyArray<{ index: number; errors: string[] }>;
  readonly quarantined?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses Retry-After (seconds or an HTTP date); falls back to `fallbackSec`. */
export function retryAfterMs(header: string | null, fallbackSec: number, nowMs: number): number {
  if (header !== null) {
    if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  return fallbackSec * 1000;
}

/**
 * Sends one batch until the collector answers 200. Retries 429/503/5xx and network errors with the
 * same body; any other answer is a bug or a bad key, and stops the run.
 */
async function sendBatch(collector: CollectorConfig, apiKey: string, events: readonly WireEvent[], gzip: boolean, onRetry: () => void): Promise<Answer> {
  const json = JSON.stringify({ events });
  const body = gzip ? gzipSync(json) : json;
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  if (gzip) headers['content-encoding'] = 'gzip';
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${collector.url}/v1/events`, { method: 'POST', headers, body, signal: AbortSignal.timeout(60_000) });
    } catch {
      onRetry();
      await sleep(Math.min(5000, 200 * 2 ** attempt));
      continue;
    }
    if (res.status === 200) return (await res.json()) as Answer;
    const text = await res.text();
    if (res.status === 429 || res.status >= 500) {
      onRetry();
      await sleep(retryAfterMs(res.headers.get('retry-after'), 1, Date.now()));
      continue;
    }
    throw new BadInputError(`collector answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

function progressLine(done: number, total: number, s: { accepted: number; rejected: number; retries: number }, elapsedSec: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const rate = elapsedSec > 0 ? Math.round(done / elapsedSec) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} events  accepted ${s.accepted}  rejected ${s.rejected}  retries ${s.retries}  ${rate} ev/s`;
}

export async function generate(
  collector: CollectorConfig,
  options: GenerateOptions,
  progress: ((line: string) => void) | undefined,
): Promise<GenerateResult> {
  const apiKey = collector.apiKeys[0];
  if (apiKey === undefined) throw new BadInputError('no collector API key configured; run `clicklake stack up` first');
  const model = createTrafficModel(options.traffic);
  const total = Math.round(options.ratePerSec * options.durationSec);
  const started = Date.now();
  const stats = { accepted: 0, rejected: 0, quarantined: 0, retries: 0, requests: 0 };
  const accepted: EventRecord[] = [];
  let scheduled = 0;
  let done = 0;
  let lastProgress = 0;
  const inFlight = new Set<Promise<void>>();

  const send = async (events: WireEvent[]): Promise<void> => {
    const sentAt = Date.now();
    const answer = await sendBatch(collector, apiKey, events, options.gzip, () => stats.retries++);
    stats.requests++;
    const rejectedIndexes = new Set(answer.rejected.map((r) => r.index));
    const ctx = defaultValidationContext(sentAt);
    events.forEach((wire, index) => {
      if (rejectedIndexes.has(index)) return;
      const local = validateEvent(wire, ctx);
      // The collector accepted it, so it is valid; the local copy only lacks the collector's receive stamp.
      if (local.ok) accepted.push(local.event);
    });
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

  while (scheduled < total) {
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
    const p = send(batch.events).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);

  const durationSec = (Date.now() - started) / 1000;
  return {
    summary: {
      seed: options.traffic.seed,
      ...(options.traffic.idScope === undefined ? {} : { idScope: options.traffic.idScope }),
      sent: done,
      ...stats,
      durationSec: Math.round(durationSec * 100) / 100,
      eventsPerSec: Math.round(done / Math.max(durationSec, 0.001)),
    },
    accepted,
  };
}

/** The truth file: the expected Gold rows of every table for the accepted events. */
export function writeTruth(file: string, result: GenerateResult): Truth {
  const truth = computeTruth(result.accepted);
  fs.writeFileSync(file, `${JSON.stringify({ seed: result.summary.seed, summary: result.summary, ...truth }, null, 2)}\n`);
  return truth;
}
