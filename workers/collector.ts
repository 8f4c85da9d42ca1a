/**
 * The HTTP collector (CONTRACT §2). `POST /v1/events` answers 200 only after Kafka acknowledged every
 * accepted event and every dead letter (acks=all); anything it cannot make durable in time is
 * answered 503 with Retry-After, so a client retries with the same event_ids and downstream dedup by
 * event_id keeps the count exact. Backpressure (docs/ingestion.md "Admission"): a per-key token
 * bucket shared by every collector process through Redis (429), and a bounded budget of events in
 * flight to Kafka, this process's own (503), under which heartbeats, then page views and video
 * events, are shed before ad events. Keys need the `ingest` scope; a key created `--signed` must
 * sign its batches (core/signature.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventPriority, InFlightBudget, planShedding, type Priority, type ShedPlan, type ShedPolicy } from '../core/admission';
import { SIGNATURE_HEADER, verifySignature } from '../core/signature';
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
import { ingestKeys, type KeyStore } from '../core/apiKeys';
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
import { createAdmissionRedis, SharedLimiter } from './collectorAdmission';
import { logLine } from './log';
import { createCollectorMetrics, type CollectorMetrics } from './metrics';
import { redisErrorReporter } from './redisErrors';

/** A key the collector accepts: its digest, the id its rate budget and dead letters go by, its signing secret. */
export interface CollectorKey {
  readonly digest: Buffer;
  /** The first 12 hex digits of the digest (never the key). */
  readonly id: string;
  readonly signingSecret?: string;
}

export interface CollectorDeps {
  /** The key store's keys with the `ingest` scope (`clicklake keys`), read as they change; `force` re-reads now. */
  readonly storeKeys?: (force?: boolean) => readonly CollectorKey[];
  /** The shared rate limit; absent: a limiter of this process alone (tests). */
  readonly limiter?: SharedLimiter;
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

function collectorKey(digest: Buffer, signingSecret?: string): CollectorKey {
  return { digest, id: digest.toString('hex').slice(0, 12), ...(signingSecret === undefined ? {} : { signingSecret }) };
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
  readonly keys: readonly CollectorKey[];
  readonly limiter: SharedLimiter;
  readonly budget: InFlightBudget;
  readonly rateLimit: { readonly ratePerSec: number; readonly burst: number };
  readonly shedPolicy: ShedPolicy;
}

function findKey(header: string | undefined, keys: readonly CollectorKey[]): CollectorKey | undefined {
  const digest = matchApiKey(
    header,
    keys.map((k) => k.digest),
  );
  return digest === undefined ? undefined : keys.find((k) => k.digest === digest);
}

/** The request's key (one with the `ingest` scope), or a 401. An unknown key looks at the store once more: a key created a moment ago is accepted at once. */
function authenticate(req: http.IncomingMessage, state: CollectorState): CollectorKey {
  const { storeKeys } = state.deps;
  const key =
    findKey(req.headers.authorization, [...state.keys, ...(storeKeys?.() ?? [])]) ??
    (storeKeys === undefined || !req.headers.authorization ? undefined : findKey(req.headers.authorization, storeKeys(true)));
  if (!key) {
    const detail = req.headers.authorization ? 'authorization: unknown API key, or one without the ingest scope' : 'authorization: missing "Bearer <api key>" header';
    throw new HttpError(401, { error: 'unauthorized', detail }, { 'www-authenticate': 'Bearer' });
  }
  return key;
}

/** A signed key's signature of the body (401 naming the header when wrong); undefined for a key that does not sign. */
function checkSignature(state: CollectorState, req: http.IncomingMessage, key: CollectorKey, raw: Buffer): { t: number; v1: string } | undefined {
  if (key.signingSecret === undefined) return undefined;
  const header = req.headers[SIGNATURE_HEADER];
  const check = verifySignature(Array.isArray(header) ? header.join(',') : header, raw, key.signingSecret, Math.floor(state.deps.now() / 1000), state.deps.config.collector.signatureWindowSec);
  if (!check.ok) throw new HttpError(401, { error: 'bad_signature', detail: check.reason });
  return { t: check.t, v1: check.v1 };
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
  /** The request positions of the accepted events, in message order. */
  readonly acceptedIndex: readonly number[];
  /** Whether each accepted event (in message order) is quarantined. */
  readonly acceptedQuarantined: readonly boolean[];
  /** The request's events as parsed JSON: the slow path has them; the fast one parses only when shedding needs their types. */
  readonly inputs: () => readonly unknown[];
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
      acceptedIndex: batch.accepted.map((a) => a.index),
      acceptedQuarantined: batch.accepted.map((a) => a.quarantined),
      inputs: () => inputs,
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
  const acceptedIndex: number[] = [];
  const acceptedQuarantined: boolean[] = [];
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
      acceptedIndex.push(f.index);
      acceptedQuarantined.push(f.quarantined);
      if (f.quarantined) quarantined++;
      fast++;
      continue;
    }
    if (o === undefined) break;
    const input: unknown = JSON.parse(raw.toString('utf8', o.start, o.end));
    const judged = judgeBatchEvent(input, o.index, ctx);
    if ('event' in judged) {
      messages.push(sink.encode(judged.event));
      acceptedIndex.push(o.index);
      acceptedQuarantined.push(judged.quarantined);
      if (judged.quarantined) quarantined++;
    } else {
      rejected.push(judged);
      rejectedInputs.push(input);
    }
    odd++;
  }
  const accepted = messages.length;
  rejected.forEach((r, i) => messages.push(sink.encodeDeadLetter(deadLetterOf(r, rejectedInputs[i], keyId, ctx.receivedAtMs))));
  let parsed: unknown[] | undefined;
  const inputs = (): unknown[] => (parsed ??= (JSON.parse(raw.toString('utf8')) as { events: unknown[] }).events);
  return { messages, total: wire.count, accepted, quarantined, rejected, acceptedIndex, acceptedQuarantined, inputs };
}

/** An event shed from a 200 (per-event shedding): the client resends exactly these, with the same event_ids. */
interface ShedEvent {
  readonly index: number;
  readonly event_id: string | null;
  readonly event_type: string | null;
  readonly reason: 'overloaded';
}

/** The `Prefer` token by which a client asks to have low-priority events shed one by one rather than the whole request refused. */
const PREFER_PER_EVENT = 'shed=per-event';

function prefersPerEvent(req: http.IncomingMessage): boolean {
  const prefer = req.headers.prefer;
  const text = Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '');
  return text !== '' && text.toLowerCase().split(/[,;]/).some((t) => t.trim() === PREFER_PER_EVENT);
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(['ad_impression', 'ad_click', 'page_view', 'video_play', 'video_pause', 'video_seek', 'heartbeat']);

/** The event_type label of a request's input (a fixed set: an unknown type counts as `other`). */
function typeLabel(input: unknown): string {
  const t = typeof input === 'object' && input !== null ? (input as { event_type?: unknown }).event_type : undefined;
  return typeof t === 'string' && KNOWN_TYPES.has(t) ? t : 'other';
}

/** Counts the accepted events (message positions `positions`) as shed for `reason`. */
function countShed(state: CollectorState, batch: JudgedBatch, positions: Iterable<number>, reason: string): void {
  const inputs = batch.inputs();
  const counts = new Map<string, number>();
  for (const m of positions) {
    const label = typeLabel(inputs[batch.acceptedIndex[m] as number]);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  for (const [eventType, n] of counts) state.deps.metrics.shedEvents.inc({ event_type: eventType, reason }, n);
}

function allAccepted(batch: JudgedBatch): number[] {
  return batch.acceptedIndex.map((_, m) => m);
}

/**
 * Decides, before anything is published, which of the batch's messages the in-flight budget takes
 * (core/admission.ts planShedding), and reserves them: 503 for a refused request, else the batch
 * without its shed events and the list of those.
 */
function reserve(state: CollectorState, batch: JudgedBatch, perEvent: boolean): { batch: JudgedBatch; shed: ShedEvent[] } {
  const { budget } = state;
  const priorities = (): Priority[] => {
    const inputs = batch.inputs();
    // Accepted events by type, then the dead letters (kept with ad events: the record of a refusal).
    return batch.messages.map((_, m) => (m < batch.accepted ? eventPriority((inputs[batch.acceptedIndex[m] as number] as { event_type?: unknown }).event_type) : 2));
  };
  const plan: ShedPlan = planShedding(budget.inFlight, budget.capacity, state.shedPolicy, batch.total, priorities, perEvent);
  // A dead letter is the record of a refusal the answer reports: it is never shed on its own.
  const refused = plan.kind === 'refuse' || (plan.kind === 'partial' && plan.shed.some((m) => m >= batch.accepted));
  if (refused || (plan.kind === 'all' && !budget.tryAcquire(batch.total))) {
    countShed(state, batch, allAccepted(batch), 'overloaded');
    throw new HttpError(
      503,
      { error: 'overloaded', detail: `${budget.inFlight} events are waiting for Kafka; retry with the same event_ids` },
      { 'retry-after': '1' },
    );
  }
  state.deps.metrics.inFlight.set(budget.inFlight);
  if (plan.kind === 'all') return { batch, shed: [] };
  const kept = new Set(plan.admitted);
  const shedPositions = plan.shed.filter((m) => m < batch.accepted);
  budget.tryAcquire(plan.admitted.length); // fits: planShedding admits no more than the room left
  state.deps.metrics.inFlight.set(budget.inFlight);
  countShed(state, batch, shedPositions, 'shed');
  const inputs = batch.inputs();
  const shed = shedPositions.map((m): ShedEvent => {
    const index = batch.acceptedIndex[m] as number;
    const input = inputs[index] as { event_id?: unknown; event_type?: unknown };
    return { index, event_id: typeof input.event_id === 'string' ? input.event_id : null, event_type: typeof input.event_type === 'string' ? input.event_type : null, reason: 'overloaded' };
  });
  const keptAccepted = allAccepted(batch).filter((m) => kept.has(m));
  return {
    batch: {
      ...batch,
      messages: batch.messages.filter((_, m) => kept.has(m)),
      total: plan.admitted.length,
      accepted: keptAccepted.length,
      quarantined: keptAccepted.filter((m) => batch.acceptedQuarantined[m]).length,
      acceptedIndex: keptAccepted.map((m) => batch.acceptedIndex[m] as number),
      acceptedQuarantined: keptAccepted.map((m) => batch.acceptedQuarantined[m] as boolean),
    },
    shed,
  };
}

/**
 * Takes the reserved events from the key's shared token bucket (429, the reservation released) and
 * marks a signature used (401 for a replay): one Redis call.
 */
async function takeRate(state: CollectorState, key: CollectorKey, batch: JudgedBatch, signature: { t: number; v1: string } | undefined): Promise<void> {
  const answer = await state.limiter.take(key.id, batch.total, signature);
  if (answer.ok) return;
  state.budget.release(batch.total);
  state.deps.metrics.inFlight.set(state.budget.inFlight);
  if (answer.kind === 'replay') {
    throw new HttpError(401, { error: 'bad_signature', detail: `Clicklake-Signature: t=${signature?.t ?? ''} and this v1 were already used; sign every request (a retry too) with the current time` });
  }
  countShed(state, batch, allAccepted(batch), 'rate_limited');
  throw new HttpError(
    429,
    { error: 'rate_limited', detail: `more than ${state.rateLimit.ratePerSec} events/s for this API key; retry after ${answer.retryAfterSec} s` },
    { 'retry-after': String(answer.retryAfterSec) },
  );
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

/**
 * POST /v1/events: authenticate, read, check the signature, validate, reserve in-flight room (shedding
 * low priorities first), take the shared rate, publish, answer (CONTRACT §2; `shed` and the
 * signature: docs/ingestion.md).
 */
async function postEvents(state: CollectorState, req: http.IncomingMessage): Promise<RouteAnswer> {
  const key = authenticate(req, state);
  const raw = await readRequestBody(req);
  const signature = checkSignature(state, req, key, raw);
  const receivedAt = state.deps.now();
  const perEvent = prefersPerEvent(req);
  const { batch, shed } = reserve(state, judgeBody(state, raw, key.id, defaultValidationContext(receivedAt)), perEvent);
  await takeRate(state, key, batch, signature);
  await publishWithin(state, state.deps.sink.publishMessages(batch.messages), batch.total);

  const { metrics } = state.deps;
  const { accepted, quarantined, rejected } = batch;
  metrics.events.inc({ outcome: 'accepted' }, accepted - quarantined);
  metrics.events.inc({ outcome: 'quarantined' }, quarantined);
  metrics.events.inc({ outcome: 'rejected' }, rejected.length);
  if (!perEvent) return { status: 200, body: { accepted, rejected, quarantined } };
  return {
    status: 200,
    body: { accepted, rejected, quarantined, shed },
    headers: { 'preference-applied': PREFER_PER_EVENT, ...(shed.length > 0 ? { 'retry-after': '1' } : {}) },
  };
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

/** The per-key limit: `ratePerKey` sustained, bursts of twice that. */
function rateLimitOf(config: ClicklakeConfig): { ratePerSec: number; burst: number } {
  return { ratePerSec: config.collector.ratePerKey, burst: config.collector.ratePerKey * 2 };
}

/** Where the shared buckets and signature marks live in Redis. */
export const ADMISSION_KEY_PREFIX = 'clicklake:admission:';

export function createCollectorServer(deps: CollectorDeps): http.Server {
  const { config } = deps;
  const rateLimit = rateLimitOf(config);
  const { collector } = config;
  const state: CollectorState = {
    deps,
    keys: collector.apiKeys.map((k) => collectorKey(sha256(k))),
    limiter:
      deps.limiter ??
      new SharedLimiter(undefined, { prefix: ADMISSION_KEY_PREFIX, limit: rateLimit, instances: 1, replayTtlSec: 2 * collector.signatureWindowSec, timeoutMs: collector.limitTimeoutMs }, deps.metrics, deps.now),
    budget: new InFlightBudget(collector.maxInFlightEvents),
    rateLimit,
    shedPolicy: { low: collector.shedLowPct / 100, mid: collector.shedMidPct / 100 },
  };
  return http.createServer((req, res) => handle(state, req, res));
}

/** The store's keys with the ingest scope, recomputed only when the store changes. */
function storeKeys(config: ClicklakeConfig): (force?: boolean) => readonly CollectorKey[] {
  const read = watchKeyStore(config);
  let last: KeyStore | undefined;
  let keys: readonly CollectorKey[] = [];
  return (force) => {
    const store = read(force);
    if (store !== last) {
      last = store;
      keys = ingestKeys(store).map((k) => collectorKey(Buffer.from(k.sha256, 'hex'), k.signing_secret));
    }
    return keys;
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
  const admissionRedis = createAdmissionRedis(config.redis, config.collector.limitTimeoutMs);
  admissionRedis.on('error', redisErrorReporter(metrics, 'admission', Date.now));
  const limiter = new SharedLimiter(
    admissionRedis,
    {
      prefix: ADMISSION_KEY_PREFIX,
      limit: rateLimitOf(config),
      instances: config.collector.instances,
      replayTtlSec: 2 * config.collector.signatureWindowSec,
      timeoutMs: config.collector.limitTimeoutMs,
    },
    metrics,
    Date.now,
  );
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
    storeKeys: storeKeys(config),
    limiter,
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
      admissionRedis.disconnect();
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
