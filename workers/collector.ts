/**
 * The HTTP collector (CONTRACT §2). `POST /v1/events` answers 200 only after Kafka acknowledged every
 * accepted event and every dead letter (acks=all); anything it cannot make durable in time is
 * answered 503 with Retry-After, so a client retries with the same event_ids and downstream dedup by
 * event_id keeps the count exact. Backpressure: a per-key token bucket (429) and a bounded budget of
 * events in flight to Kafka (503).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { takeTokens, InFlightBudget, type TokenBucketState } from '../core/admission';
import { requireSecrets, type ClicklakeConfig } from '../core/config';
import type { CollectorDeadLetter } from '../core/deadLetter';
import { defaultValidationContext, MAX_BODY_BYTES, validateBatch, type RejectedEvent } from '../core/event';
import { errorMessage, HttpError } from '../core/errors';
import { createRedis } from '../activities/clients';
import { readRealtimeCtr } from '../activities/ctr';
import { readDrift } from '../activities/drift';
import { Gauge } from 'prom-client';
import { createProducer, EventSink, partitionCounts } from '../activities/eventSink';
import { DEFAULT_REALTIME_MINUTES, MAX_REALTIME_MINUTES } from '../core/ctr';
import { ensureSchema, SchemaRegistryClient, valueSubject } from '../activities/schemaRegistry';
import { eventAvroType, eventSchemaText } from '../schemas/event';
import { BodyError, checkBodyHeaders, readBody } from './httpBody';
import { createCollectorMetrics, type CollectorMetrics } from './metrics';

export interface CollectorDeps {
  readonly config: ClicklakeConfig;
  readonly sink: Pick<EventSink, 'publish'>;
  readonly metrics: CollectorMetrics;
  readonly now: () => number;
  /** Whether the last produce call to Kafka succeeded, for /healthz. */
  readonly isReady: () => boolean;
  /** Minute-level CTR of a campaign from Redis (GET /v1/ctr/realtime). */
  readonly readCtr?: (campaignId: string, minutes: number) => Promise<unknown>;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Finds the key among the configured ones in constant time: every candidate is compared (as SHA-256
 * digests, so lengths are equal) and the loop never exits early.
 */
export function matchApiKey(header: string | undefined, keys: readonly Buffer[]): Buffer | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const presented = sha256(m[1]);
  let found: Buffer | undefined;
  for (const key of keys) if (timingSafeEqual(presented, key)) found = key;
  return found;
}

const RETRY_AFTER_KAFKA_SEC = 5;

export function createCollectorServer(deps: CollectorDeps): http.Server {
  const { config, metrics } = deps;
  const keyDigests = config.collector.apiKeys.map(sha256);
  const buckets = new Map<string, TokenBucketState>();
  const budget = new InFlightBudget(config.collector.maxInFlightEvents);
  const rateLimit = { ratePerSec: config.collector.ratePerKey, burst: config.collector.ratePerKey * 2 };

  async function postEvents(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const key = matchApiKey(req.headers.authorization, keyDigests);
    if (!key) {
      const detail = req.headers.authorization ? 'authorization: unknown API key' : 'authorization: missing "Bearer <api key>" header';
      throw new HttpError(401, { error: 'unauthorized', detail }, { 'www-authenticate': 'Bearer' });
    }
    const keyId = key.toString('hex').slice(0, 12);

    let raw: Buffer;
    try {
      raw = await readBody(req, checkBodyHeaders(req, MAX_BODY_BYTES), MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyError) throw new HttpError(err.status, { error: err.error, detail: err.detail });
      throw err;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, { error: 'bad_request', detail: `body: not valid JSON (${errorMessage(err)})` });
    }

    const receivedAt = deps.now();
    const batch = validateBatch(body, defaultValidationContext(receivedAt));
    if (!batch.ok) throw new HttpError(batch.status, { error: batch.status === 413 ? 'payload_too_large' : 'bad_request', detail: batch.error });
    const total = batch.accepted.length + batch.rejected.length;

    const taken = takeTokens(buckets.get(keyId), rateLimit, total, receivedAt);
    buckets.set(keyId, taken.state);
    if (!taken.admission.ok) {
      throw new HttpError(
        429,
        { error: 'rate_limited', detail: `more than ${rateLimit.ratePerSec} events/s for this API key; retry after ${taken.admission.retryAfterSec} s` },
        { 'retry-after': String(taken.admission.retryAfterSec) },
      );
    }
    if (!budget.tryAcquire(total)) {
      throw new HttpError(
        503,
        { error: 'overloaded', detail: `${budget.inFlight} events are waiting for Kafka; retry with the same event_ids` },
        { 'retry-after': '1' },
      );
    }
    metrics.inFlight.set(budget.inFlight);

    const deadLetters: CollectorDeadLetter[] = batch.rejected.map((r: RejectedEvent) => ({
      source: 'collector',
      reason: 'invalid_event',
      errors: r.errors,
      index: r.index,
      event_id: r.event_id ?? null,
      received_time: receivedAt,
      api_key_id: keyId,
      event: (body as { events: unknown[] }).events[r.index],
    }));
    const publishing = deps.sink.publish(
      batch.accepted.map((a) => a.event),
      deadLetters,
    );
    // The budget is released when Kafka settles the produce call, not when the client is answered:
    // a produce still retrying after a 503 keeps holding its share, which is what bounds memory.
    void publishing
      .catch(() => metrics.kafkaErrors.inc())
      .finally(() => {
        budget.release(total);
        metrics.inFlight.set(budget.inFlight);
      });

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), config.collector.ackTimeoutMs);
    });
    let outcome: 'acked' | 'timeout';
    try {
      outcome = await Promise.race([publishing.then(() => 'acked' as const), deadline]);
    } catch (err) {
      throw new HttpError(
        503,
        { error: 'unavailable', detail: `Kafka did not acknowledge the events (${errorMessage(err)}); retry with the same event_ids` },
        { 'retry-after': String(RETRY_AFTER_KAFKA_SEC) },
      );
    } finally {
      clearTimeout(timer);
    }
    if (outcome === 'timeout') {
      metrics.kafkaErrors.inc();
      throw new HttpError(
        503,
        { error: 'unavailable', detail: `Kafka did not acknowledge within ${config.collector.ackTimeoutMs} ms; retry with the same event_ids` },
        { 'retry-after': String(RETRY_AFTER_KAFKA_SEC) },
      );
    }

    const quarantined = batch.accepted.filter((a) => a.quarantined).length;
    metrics.events.inc({ outcome: 'accepted' }, batch.accepted.length - quarantined);
    metrics.events.inc({ outcome: 'quarantined' }, quarantined);
    metrics.events.inc({ outcome: 'rejected' }, batch.rejected.length);
    return { status: 200, body: { accepted: batch.accepted.length, rejected: batch.rejected, quarantined } };
  }

  async function route(req: http.IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string>; text?: string }> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/v1/events') {
      if (req.method !== 'POST') throw new HttpError(405, { error: 'method_not_allowed', detail: 'use POST' }, { allow: 'POST' });
      return postEvents(req);
    }
    if (path === '/v1/ctr/realtime' && deps.readCtr) {
      if (req.method !== 'GET') throw new HttpError(405, { error: 'method_not_allowed', detail: 'use GET' }, { allow: 'GET' });
      const query = new URL(req.url ?? '/', 'http://collector').searchParams;
      const campaignId = query.get('campaign_id') ?? '';
      if (campaignId === '' || campaignId.length > 128) {
        throw new HttpError(400, { error: 'bad_request', detail: 'campaign_id: required, 1-128 characters' });
      }
      const minutesText = query.get('minutes') ?? String(DEFAULT_REALTIME_MINUTES);
      const minutes = /^\d{1,5}$/.test(minutesText) ? Number(minutesText) : Number.NaN;
      if (!(minutes >= 1 && minutes <= MAX_REALTIME_MINUTES)) {
        throw new HttpError(400, { error: 'bad_request', detail: `minutes: must be a whole number from 1 to ${MAX_REALTIME_MINUTES}, got ${JSON.stringify(minutesText)}` });
      }
      return { status: 200, body: await deps.readCtr(campaignId, minutes) };
    }
    if (path === '/healthz') {
      // The process answers, so 200; `degraded` says Kafka refused the last produce call (requests then
      // get 503 and clients retry), which clears with the next call Kafka accepts.
      const ready = deps.isReady();
      return { status: 200, body: { status: ready ? 'ok' : 'degraded', kafka_last_produce_ok: ready, in_flight_events: budget.inFlight } };
    }
    if (path === '/metrics') {
      return { status: 200, body: null, text: await metrics.registry.metrics(), headers: { 'content-type': metrics.registry.contentType } };
    }
    throw new HttpError(404, { error: 'not_found', detail: `no route ${req.method} ${path}` });
  }

  return http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const routeLabel = ['/v1/events', '/v1/ctr/realtime', '/healthz', '/metrics'].includes((req.url ?? '').split('?')[0] ?? '') ? (req.url ?? '').split('?')[0]! : 'other';
    const answer = (status: number, payload: string, headers: Record<string, string>): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload);
      metrics.requests.inc({ route: routeLabel, code: String(status) });
      metrics.requestDuration.observe({ route: routeLabel }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    route(req).then(
      (r) => answer(r.status, r.text ?? JSON.stringify(r.body), r.headers ?? {}),
      (err: unknown) => {
        if (err instanceof HttpError) {
          answer(err.status, JSON.stringify(err.body), err.headers);
          return;
        }
        process.stderr.write(`${JSON.stringify({ msg: 'collector request failed', error: errorMessage(err) })}\n`);
        answer(500, JSON.stringify({ error: 'internal', detail: 'the collector failed to handle the request; retry with the same event_ids' }), {});
      },
    );
  });
}

/** Connects to Kafka and the registry, registers the event schema, and listens. */
export async function startCollector(config: ClicklakeConfig): Promise<{ server: http.Server; close: () => Promise<void> }> {
  const registry = new SchemaRegistryClient(config.schemaRegistry.url);
  const schemaId = await ensureSchema(registry, valueSubject(config.kafka.eventsTopic), eventSchemaText());
  const newProducer = () => createProducer(config.kafka, 'clicklake-collector');
  const probe = newProducer();
  const partitions = await partitionCounts(probe, [config.kafka.eventsTopic, config.kafka.deadLetterTopic]);
  await probe.close();
  const sink = new EventSink(newProducer, {
    eventsTopic: config.kafka.eventsTopic,
    deadLetterTopic: config.kafka.deadLetterTopic,
    partitions,
    schemaId,
    avroType: eventAvroType(),
  });
  const redis = createRedis(config.redis, { lazy: true });
  redis.on('error', () => undefined); // reads answer 500 while Redis is down; the client reconnects by itself
  const metrics = createCollectorMetrics();
  new Gauge({
    name: 'ctr_drift_events',
    help: 'Real-time CTR counts minus hourly Gold, summed over campaigns, for the last hour checked (expected 0)',
    labelNames: ['counter'] as const,
    registers: [metrics.registry],
    async collect() {
      const drift = await readDrift(redis, config.ctr.keyPrefix, 'latest').catch(() => undefined);
      if (drift === undefined) return;
      this.set({ counter: 'impressions' }, drift.impressions);
      this.set({ counter: 'clicks' }, drift.clicks);
    },
  });
  const server = createCollectorServer({
    config,
    sink,
    metrics,
    now: Date.now,
    isReady: () => sink.healthy,
    readCtr: (campaignId, minutes) => readRealtimeCtr(redis, campaignId, minutes, Date.now(), config.ctr.keyPrefix),
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.collector.port, config.collector.host, resolve);
  });
  const address = server.address() as AddressInfo;
  process.stderr.write(`${JSON.stringify({ msg: 'collector listening', address: `${address.address}:${address.port}`, schema_id: schemaId })}\n`);
  return {
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sink.close();
      redis.disconnect();
    },
  };
}

if (require.main === module) {
  // Loaded lazily so importing this module (tests, benchmarks) never reads the environment.
  void import('./config').then(async ({ loadConfig }) => {
    try {
      const config = loadConfig();
      requireSecrets(config);
      const { close } = await startCollector(config);
      const stop = (): void => {
        void close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    } catch (err) {
      process.stderr.write(`collector: ${errorMessage(err)}\n`);
      process.exit(1);
    }
  });
}
