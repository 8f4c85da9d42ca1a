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
import {
  defaultValidationContext,
  judgeBatchEvent,
  MAX_BODY_BYTES,
  MAX_EVENTS_PER_BATCH,
  validateBatch,
  type RejectedEvent,
  type ValidationContext,
} from '../core/event';
import { encodeEventBatch } from '../core/eventWire';
import { errorMessage, HttpError } from '../core/errors';
import { collectorKeyDigests, type KeyStore } from '../core/apiKeys';
import { watchKeyStore } from '../infra/keyStore';
import { createRedis } from '../activities/clients';
import { readRealtimeCtr } from '../activities/ctr';
import { readDrift } from '../activities/drift';
import { Gauge } from 'prom-client';
import { createProducer, EventSink, partitionCounts, type OutgoingMessage } from '../activities/eventSink';
import { DEFAULT_REALTIME_MINUTES, MAX_REALTIME_MINUTES } from '../core/ctr';
import { ensureSchema, SchemaRegistryClient, valueSubject } from '../activities/schemaRegistry';
import { eventAvroType, eventSchemaText } from '../schemas/event';
import { BodyError, checkBodyHeaders, readBody } from './httpBody';
import { logLine } from './log';
import { createCollectorMetrics, type CollectorMetrics } from './metrics';
import { redisErrorReporter } from './redisErrors';

export interface CollectorDeps {
  /** SHA-256 digests of the key store's collector and admin keys (`clicklake keys`), read as they change. */
  readonly storeKeyDigests?: () => readonly Buffer[];
  readonly config: ClicklakeConfig;
  readonly sink: Pick<EventSink, 'publishMessages' | 'encode' | 'encodeWire' | 'encodeDeadLetter' | 'schemaId'>;
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

type RouteAnswer = { status: number; body: unknown; headers?: Record<string, string>; text?: string };

/** What the steps of a request share: the deps and the admission state of the server. */
interface CollectorState {
  readonly deps: CollectorDeps;
  readonly keyDigests: readonly Buffer[];
  readonly buckets: Map<string, TokenBucketState>;
  readonly budget: InFlightBudget;
  readonly rateLimit: { readonly ratePerSec: number; readonly burst: number };
}

/** The API key of the request (as its short digest id), or a 401. */
function authenticate(req: http.IncomingMessage, keyDigests: readonly Buffer[]): string {
  const key = matchApiKey(req.headers.authorization, keyDigests);
  if (!key) {
    const detail = req.headers.authorization ? 'authorization: unknown API key' : 'authorization: missing "Bearer <api key>" header';
    throw new HttpError(401, { error: 'unauthorized', detail }, { 'www-authenticate': 'Bearer' });
  }
  return key.toString('hex').slice(0, 12);
}

/** The request body's bytes, or a 400/411/413/415 naming what is wrong. */
async function readRequestBody(req: http.IncomingMessage): Promise<Buffer> {
  try {
    return await readBody(req, checkBodyHeaders(req, MAX_BODY_BYTES), MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyError) throw new HttpError(err.status, { error: err.error, detail: err.detail });
    throw err;
  }
}

/** The body as JSON, or a 400. */
function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, { error: 'bad_request', detail: `body: not valid JSON (${errorMessage(err)})` });
  }
}

/** A request's events judged and encoded: the Kafka messages (accepted events, then dead letters) and the answer's counts. */
interface JudgedBatch {
  readonly messages: OutgoingMessage[];
  readonly total: number;
  readonly accepted: number;
  readonly quarantined: number;
  readonly rejected: RejectedEvent[];
}

/**
 * Validates and encodes the body's events. Plain events go through core/eventWire straight from the
 * bytes; the events it leaves (and bodies it declines) take JSON.parse, validateEvent and avsc, as
 * every event did before, so answers and messages are the same either way.
 */
function judgeBody(state: CollectorState, raw: Buffer, keyId: string, ctx: ValidationContext): JudgedBatch {
  const { sink } = state.deps;
  const wire = encodeEventBatch(raw, ctx, sink.schemaId, MAX_EVENTS_PER_BATCH, Buffer.allocUnsafe);
  if (!wire.ok) {
    const body = parseJsonBody(raw);
    const batch = validateBatch(body, ctx);
    if (!batch.ok) throw new HttpError(batch.status, { error: batch.status === 413 ? 'payload_too_large' : 'bad_request', detail: batch.error });
    const inputs = (body as { events: unknown[] }).events;
    return {
      messages: [
        ...batch.accepted.map((a) => sink.encode(a.event)),
        ...batch.rejected.map((r) => sink.encodeDeadLetter(deadLetterOf(r, inputs[r.index], keyId, ctx.receivedAtMs))),
      ],
      total: batch.accepted.length + batch.rejected.length,
      accepted: batch.accepted.length,
      quarantined: batch.accepted.filter((a) => a.quarantined).length,
      rejected: batch.rejected,
    };
  }
  const messages: OutgoingMessage[] = [];
  const rejected: RejectedEvent[] = [];
  const rejectedInputs: unknown[] = [];
  let quarantined = 0;
  let fast = 0;
  let odd = 0;
  // Accepted events in the order of the request, whichever path encoded them.
  while (fast < wire.events.length || odd < wire.odd.length) {
    const f = wire.events[fast];
    const o = wire.odd[odd];
    if (f !== undefined && (o === undefined || f.index < o.index)) {
      messages.push(sink.encodeWire(raw, f));
      if (f.quarantined) quarantined++;
      fast++;
      continue;
    }
    if (o === undefined) break;
    const input: unknown = JSON.parse(raw.toString('utf8', o.start, o.end));
    const judged = judgeBatchEvent(input, o.index, ctx);
    if ('event' in judged) {
      messages.push(sink.encode(judged.event));
      if (judged.quarantined) quarantined++;
    } else {
      rejected.push(judged);
      rejectedInputs.push(input);
    }
    odd++;
  }
  const accepted = messages.length;
  rejected.forEach((r, i) => messages.push(sink.encodeDeadLetter(deadLetterOf(r, rejectedInputs[i], keyId, ctx.receivedAtMs))));
  return { messages, total: wire.count, accepted, quarantined, rejected };
}

/** Takes `total` events from the key's token bucket (429) and from the in-flight budget (503). */
function admit(state: CollectorState, keyId: string, total: number, receivedAt: number): void {
  const taken = takeTokens(state.buckets.get(keyId), state.rateLimit, total, receivedAt);
  state.buckets.set(keyId, taken.state);
  if (!taken.admission.ok) {
    throw new HttpError(
      429,
      { error: 'rate_limited', detail: `more than ${state.rateLimit.ratePerSec} events/s for this API key; retry after ${taken.admission.retryAfterSec} s` },
      { 'retry-after': String(taken.admission.retryAfterSec) },
    );
  }
  if (!state.budget.tryAcquire(total)) {
    throw new HttpError(
      503,
      { error: 'overloaded', detail: `${state.budget.inFlight} events are waiting for Kafka; retry with the same event_ids` },
      { 'retry-after': '1' },
    );
  }
  state.deps.metrics.inFlight.set(state.budget.inFlight);
}

function deadLetterOf(r: RejectedEvent, input: unknown, keyId: string, receivedAt: number): CollectorDeadLetter {
  return {
    source: 'collector',
    reason: 'invalid_event',
    errors: r.errors,
    index: r.index,
    event_id: r.event_id ?? null,
    received_time: receivedAt,
    api_key_id: keyId,
    event: input,
  };
}

/**
 * Hands the events to Kafka and waits for its acknowledgement, up to the answer deadline (503 past
 * it or on a failure). The budget is released when Kafka settles the produce call, not when the
 * client is answered: a produce still retrying after a 503 keeps holding its share, which is what
 * bounds memory.
 */
async function publishWithin(state: CollectorState, publishing: Promise<void>, total: number): Promise<void> {
  const { metrics, config } = state.deps;
  void publishing
    .catch(() => metrics.kafkaErrors.inc()) // counted here; the race below answers the client with the error
    .finally(() => {
      state.budget.release(total);
      metrics.inFlight.set(state.budget.inFlight);
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
}

/** POST /v1/events: authenticate, read, validate, admit, publish, answer (CONTRACT §2). */
async function postEvents(state: CollectorState, req: http.IncomingMessage): Promise<RouteAnswer> {
  const keyId = authenticate(req, [...state.keyDigests, ...(state.deps.storeKeyDigests?.() ?? [])]);
  const raw = await readRequestBody(req);
  const receivedAt = state.deps.now();
  const batch = judgeBody(state, raw, keyId, defaultValidationContext(receivedAt));
  admit(state, keyId, batch.total, receivedAt);
  await publishWithin(state, state.deps.sink.publishMessages(batch.messages), batch.total);

  const { metrics } = state.deps;
  const { accepted, quarantined, rejected } = batch;
  metrics.events.inc({ outcome: 'accepted' }, accepted - quarantined);
  metrics.events.inc({ outcome: 'quarantined' }, quarantined);
  metrics.events.inc({ outcome: 'rejected' }, rejected.length);
  return { status: 200, body: { accepted, rejected, quarantined } };
}

/** GET /v1/ctr/realtime?campaign_id=&minutes= (CONTRACT §2). */
async function getRealtimeCtr(req: http.IncomingMessage, readCtr: NonNullable<CollectorDeps['readCtr']>): Promise<RouteAnswer> {
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
  return { status: 200, body: await readCtr(campaignId, minutes) };
}

async function route(state: CollectorState, req: http.IncomingMessage): Promise<RouteAnswer> {
  const { deps, budget } = state;
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/v1/events') {
    if (req.method !== 'POST') throw new HttpError(405, { error: 'method_not_allowed', detail: 'use POST' }, { allow: 'POST' });
    return postEvents(state, req);
  }
  if (path === '/v1/ctr/realtime' && deps.readCtr) return getRealtimeCtr(req, deps.readCtr);
  if (path === '/healthz') {
    // The process answers, so 200; `degraded` says Kafka refused the last produce call (requests then
    // get 503 and clients retry), which clears with the next call Kafka accepts.
    const ready = deps.isReady();
    return { status: 200, body: { status: ready ? 'ok' : 'degraded', kafka_last_produce_ok: ready, in_flight_events: budget.inFlight } };
  }
  if (path === '/metrics') {
    return { status: 200, body: null, text: await deps.metrics.registry.metrics(), headers: { 'content-type': deps.metrics.registry.contentType } };
  }
  throw new HttpError(404, { error: 'not_found', detail: `no route ${req.method} ${path}` });
}

const ROUTE_LABELS: ReadonlySet<string> = new Set(['/v1/events', '/v1/ctr/realtime', '/healthz', '/metrics']);

/** Answers one request: the route's answer, its HttpError, or a 500; counts and times it. */
function handle(state: CollectorState, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { metrics } = state.deps;
  const started = process.hrtime.bigint();
  const path = (req.url ?? '').split('?')[0] ?? '';
  const routeLabel = ROUTE_LABELS.has(path) ? path : 'other';
  const answer = (status: number, payload: string, headers: Record<string, string>): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(payload);
    metrics.requests.inc({ route: routeLabel, code: String(status) });
    metrics.requestDuration.observe({ route: routeLabel }, Number(process.hrtime.bigint() - started) / 1e9);
  };
  route(state, req).then(
    (r) => answer(r.status, r.text ?? JSON.stringify(r.body), r.headers ?? {}),
    (err: unknown) => {
      if (err instanceof HttpError) {
        answer(err.status, JSON.stringify(err.body), err.headers);
        return;
      }
      logLine('collector request failed', { route: routeLabel, error: errorMessage(err) });
      answer(500, JSON.stringify({ error: 'internal', detail: 'the collector failed to handle the request; retry with the same event_ids' }), {});
    },
  );
}

export function createCollectorServer(deps: CollectorDeps): http.Server {
  const { config } = deps;
  const state: CollectorState = {
    deps,
    keyDigests: config.collector.apiKeys.map(sha256),
    buckets: new Map(),
    budget: new InFlightBudget(config.collector.maxInFlightEvents),
    rateLimit: { ratePerSec: config.collector.ratePerKey, burst: config.collector.ratePerKey * 2 },
  };
  return http.createServer((req, res) => handle(state, req, res));
}

/** The store's collector keys as digests, recomputed only when the store changes. */
function storeDigests(config: ClicklakeConfig): () => readonly Buffer[] {
  const read = watchKeyStore(config);
  let last: KeyStore | undefined;
  let digests: readonly Buffer[] = [];
  return () => {
    const store = read();
    if (store !== last) {
      last = store;
      digests = collectorKeyDigests(store).map((hex) => Buffer.from(hex, 'hex'));
    }
    return digests;
  };
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
    onBackgroundError: (what, err) => logLine('collector: kafka producer error', { what, error: errorMessage(err) }),
  });
  const metrics = createCollectorMetrics();
  const redis = createRedis(config.redis, { lazy: true });
  // Reads answer 500 while Redis is down and the client reconnects by itself; every error is counted,
  // and logged at most once a minute per distinct message (a reconnect loop repeats it every second).
  redis.on('error', redisErrorReporter(metrics, 'client', Date.now));
  const driftReadFailed = redisErrorReporter(metrics, 'drift_read', Date.now);
  new Gauge({
    name: 'ctr_drift_events',
    help: 'Real-time CTR counts minus hourly Gold, summed over campaigns, for the last hour checked (expected 0)',
    labelNames: ['counter'] as const,
    registers: [metrics.registry],
    async collect() {
      let drift: Awaited<ReturnType<typeof readDrift>>;
      try {
        drift = await readDrift(redis, config.ctr.keyPrefix, 'latest');
      } catch (err) {
        driftReadFailed(err);
        return; // the scrape still answers, without this gauge's samples
      }
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
    storeKeyDigests: storeDigests(config),
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.collector.port, config.collector.host, resolve);
  });
  const address = server.address() as AddressInfo;
  logLine('collector listening', { address: `${address.address}:${address.port}`, schema_id: schemaId });
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
