/**
 * `GET /v1/metrics/dau?from&to&device_type` and `GET /v1/metrics/title-plays?title_id&from&to`
 * (CONTRACT §2b), at day grain: distinct users do not add up over hours, so a day is its Gold row
 * when that summary is current (core/metricsRoute.ts planDays), else the same count over Silver's
 * published hours (provisional). Read in Trino as the key's user; cached like CTR when every day
 * came from Gold, under a key holding each day's version.
 */
import { createHash } from 'node:crypto';
import type { ApiUser } from '../../core/apiKeys';
import { HttpError } from '../../core/errors';
import { quoteLiteral } from '../../core/lake';
import { GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, SILVER_EVENTS, qualifiedName, type TableDef } from '../../core/lakeTables';
import { checkRange, dayRouteReason, type DayPlan, parseInstant, planDays } from '../../core/metricsRoute';
import { DAY_MS, dayOf } from '../../core/time';
import type { AnswerCache } from './cache';
import { lastHourPublishes, type LakeReaders, publishedDays } from './ctrSources';

export interface DailyDeps {
  readonly readers: (user: ApiUser) => LakeReaders;
  readonly cache: AnswerCache;
  readonly finalAfterHours: number;
}

const DEVICE = /^[a-z_]{1,32}$/;
const TITLE = /^[A-Za-z0-9._:-]{1,128}$/;

type Metric =
  | { readonly kind: 'dau'; readonly deviceType: string }
  | { readonly kind: 'title-plays'; readonly titleId: string };

export interface DailyRequest {
  readonly metric: Metric;
  readonly fromMs: number;
  readonly toMs: number;
}

function bad(detail: string): HttpError {
  return new HttpError(400, { error: 'bad_request', detail });
}

export function parseDailyRequest(kind: Metric['kind'], params: URLSearchParams): DailyRequest {
  let metric: Metric;
  if (kind === 'dau') {
    const deviceType = params.get('device_type') ?? 'all';
    if (!DEVICE.test(deviceType)) throw bad(`device_type: web, ios, android, tv, stb, other or all, got ${JSON.stringify(deviceType)}`);
    metric = { kind, deviceType };
  } else {
    const titleId = params.get('title_id') ?? '';
    if (!TITLE.test(titleId)) throw bad(`title_id: required, 1-128 of A-Z a-z 0-9 . _ : -, got ${JSON.stringify(titleId)}`);
    metric = { kind, titleId };
  }
  try {
    const range = checkRange(parseInstant(params.get('from') ?? undefined, 'from'), parseInstant(params.get('to') ?? undefined, 'to'), 'day');
    return { metric, ...range };
  } catch (err) {
    throw bad((err as Error).message);
  }
}

const TABLE: Readonly<Record<Metric['kind'], TableDef>> = { dau: GOLD_DAU_DAILY, 'title-plays': GOLD_TITLE_PLAYS_DAILY };

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Gold rows of the days, by dt: the metric's values. */
async function goldValues(r: LakeReaders, metric: Metric, days: readonly string[]): Promise<Map<string, Record<string, number>>> {
  if (days.length === 0) return new Map();
  const inDays = `dt IN (${days.map(quoteLiteral).join(', ')})`;
  if (metric.kind === 'dau') {
    const rows = await r.presto.queryObjects(`SELECT dt, dau FROM ${qualifiedName(GOLD_DAU_DAILY)} WHERE device_type = ${quoteLiteral(metric.deviceType)} AND ${inDays}`);
    return new Map(rows.map((row) => [String(row.dt), { dau: Number(row.dau) }]));
  }
  const rows = await r.presto.queryObjects(`SELECT dt, plays, unique_viewers FROM ${qualifiedName(GOLD_TITLE_PLAYS_DAILY)} WHERE title_id = ${quoteLiteral(metric.titleId)} AND ${inDays}`);
  return new Map(rows.map((row) => [String(row.dt), { plays: Number(row.plays), unique_viewers: Number(row.unique_viewers) }]));
}

/** The same counts over Silver's published hours of the days (core/gold.ts rules: absent device_type is `other`). */
async function silverValues(r: LakeReaders, metric: Metric, days: readonly string[]): Promise<Map<string, Record<string, number>>> {
  if (days.length === 0) return new Map();
  const inDays = `dt IN (${days.map(quoteLiteral).join(', ')})`;
  if (metric.kind === 'dau') {
    const device = metric.deviceType === 'all' ? '' : ` AND coalesce(device_type, 'other') = ${quoteLiteral(metric.deviceType)}`;
    const rows = await r.presto.queryObjects(`SELECT dt, count(DISTINCT user_key) AS dau FROM ${qualifiedName(SILVER_EVENTS)} WHERE ${inDays}${device} GROUP BY dt`);
    return new Map(rows.map((row) => [String(row.dt), { dau: Number(row.dau) }]));
  }
  const rows = await r.presto.queryObjects(
    `SELECT dt, count(*) AS plays, count(DISTINCT user_key) AS unique_viewers FROM ${qualifiedName(SILVER_EVENTS)} WHERE event_type = 'video_play' AND title_id = ${quoteLiteral(metric.titleId)} AND ${inDays} GROUP BY dt`,
  );
  return new Map(rows.map((row) => [String(row.dt), { plays: Number(row.plays), unique_viewers: Number(row.unique_viewers) }]));
}

const ZERO: Readonly<Record<Metric['kind'], Record<string, number>>> = { dau: { dau: 0 }, 'title-plays': { plays: 0, unique_viewers: 0 } };

export async function dailyMetrics(deps: DailyDeps, user: ApiUser, req: DailyRequest, nowMs: number): Promise<unknown> {
  const r = deps.readers(user);
  const def = TABLE[req.metric.kind];
  const range = { fromMs: req.fromMs, toMs: req.toMs };
  const days: string[] = [];
  for (let t = range.fromMs; t < range.toMs; t += DAY_MS) days.push(dayOf(t));
  const [published, lastHour] = await Promise.all([publishedDays(r, days, def), lastHourPublishes(r, days)]);
  const plans = planDays(range, published, lastHour, nowMs, deps.finalAfterHours);
  // Trino shows these roles user_key as NULL: a distinct count over Silver would be 0, not the truth.
  const masked = user.role === 'product' || user.role === 'campaign_manager';
  const head = { metric: req.metric.kind, ...(req.metric.kind === 'dau' ? { device_type: req.metric.deviceType } : { title_id: req.metric.titleId }), granularity: 'day', from: iso(range.fromMs), to: iso(range.toMs) };
  const route = { reason: dayRouteReason(qualifiedName(def).replace(/"/g, ''), plans, masked) };
  const allGold = plans.every((p) => p.source === 'gold');
  const key = createHash('sha256').update(JSON.stringify({ what: 'daily', user: user.name, ...head, versions: plans.map((p) => [p.dt, p.version, p.state]) })).digest('hex');
  if (allGold) {
    const cached = await deps.cache.get<{ buckets: Array<Record<string, unknown>> }>(key);
    if (cached !== undefined) return { ...cached, buckets: cached.buckets.map((b) => ({ ...b, origin: b.source, source: 'cache' })), cache: 'hit' };
  }
  const of = (source: DayPlan['source']) => plans.filter((p) => p.source === source).map((p) => p.dt);
  const [gold, silver] = await Promise.all([goldValues(r, req.metric, of('gold')), masked ? Promise.resolve(undefined) : silverValues(r, req.metric, of('silver'))]);
  const buckets = plans.map((p) => {
    const values = p.source === 'gold' ? (gold.get(p.dt) ?? ZERO[req.metric.kind]) : silver === undefined ? Object.fromEntries(Object.keys(ZERO[req.metric.kind]).map((k) => [k, null])) : (silver.get(p.dt) ?? ZERO[req.metric.kind]);
    return { start: `${p.dt}T00:00:00Z`, ...values, source: p.source, version: p.version, state: p.state };
  });
  const answer = { ...head, buckets, route, cache: allGold ? 'miss' : 'bypass' };
  if (allGold) await deps.cache.set(key, { ...head, buckets, route });
  return answer;
}
