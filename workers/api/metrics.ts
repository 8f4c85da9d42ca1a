/**
 * `GET /v1/metrics/ctr` (CONTRACT §2b): the router's plan (core/metricsRoute.ts) carried out on the
 * stack (./ctrSources.ts), and the answer cached by the versions it read: an answer made only of
 * published hours is kept `cacheSeconds` under a key that holds every hour's version, so a
 * restatement or an erasure (a new version) is a new key and never meets the old answer.
 */
import { createHash } from 'node:crypto';
import type { ApiUser } from '../../core/apiKeys';
import { HttpError } from '../../core/errors';
import { assembleCtr, checkRange, ctrRouteReason, type CtrBucket, daysFromGold, type Granularity, hoursOf, parseGranularity, parseInstant, planHours } from '../../core/metricsRoute';
import { DAY_MS, dayOf } from '../../core/time';
import type { AnswerCache } from './cache';
import { campaignVisible, goldDayCounts, goldHourCounts, type LakeReaders, publishedDays, publishedHours, realtimeMinuteCounts, silverMinuteCounts } from './ctrSources';

export interface CtrAnswer {
  readonly campaign_id: string;
  readonly granularity: Granularity;
  readonly from: string;
  readonly to: string;
  readonly buckets: readonly CtrBucket[];
  readonly route: { readonly reason: string };
  readonly cache: 'hit' | 'miss' | 'bypass';
}

export interface CtrRequest {
  readonly campaignId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly granularity: Granularity;
}

const CAMPAIGN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The query string of the request, checked: a bad field is a 400 naming it. */
export function parseCtrRequest(params: URLSearchParams): CtrRequest {
  const campaignId = params.get('campaign_id') ?? '';
  if (!CAMPAIGN.test(campaignId)) throw new HttpError(400, { error: 'bad_request', detail: `campaign_id: required, 1-128 of A-Z a-z 0-9 . _ : -, got ${JSON.stringify(campaignId)}` });
  try {
    const granularity = parseGranularity(params.get('granularity') ?? undefined);
    const range = checkRange(parseInstant(params.get('from') ?? undefined, 'from'), parseInstant(params.get('to') ?? undefined, 'to'), granularity);
    return { campaignId, granularity, ...range };
  } catch (err) {
    throw new HttpError(400, { error: 'bad_request', detail: (err as Error).message });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export interface CtrDeps {
  readonly readers: (user: ApiUser) => LakeReaders;
  readonly cache: AnswerCache;
  readonly finalAfterHours: number;
}

export async function ctrMetrics(deps: CtrDeps, user: ApiUser, req: CtrRequest, nowMs: number): Promise<CtrAnswer> {
  const r = deps.readers(user);
  // Redis holds no access rules: a campaign manager's campaign is checked in Trino first.
  if (user.role === 'campaign_manager' && !(await campaignVisible(r, req.campaignId))) {
    throw new HttpError(404, { error: 'not_found', detail: `campaign_id: ${req.campaignId} is not a campaign of advertiser ${user.advertiser_id ?? ''}` });
  }
  const range = { fromMs: req.fromMs, toMs: req.toMs };
  const hours = hoursOf(range);
  const published = await publishedHours(r, hours);
  const plans = planHours(hours, published, nowMs, deps.finalAfterHours);
  const days: string[] = [];
  if (req.granularity === 'day') for (let t = range.fromMs; t < range.toMs; t += DAY_MS) days.push(dayOf(t));
  const goldDays = req.granularity === 'day' ? await publishedDays(r, days) : new Map();
  const fromGoldDays = req.granularity === 'day' ? daysFromGold(range, plans, published, goldDays) : new Set<string>();

  const head = { campaign_id: req.campaignId, granularity: req.granularity, from: iso(range.fromMs), to: iso(range.toMs) };
  const reason = ctrRouteReason(req.granularity, plans, fromGoldDays);
  const allPublished = plans.every((p) => p.source === 'gold');
  // The key holds who asks (Trino's rules differ per user), what, and every version read.
  const key = createHash('sha256')
    .update(JSON.stringify({ what: 'ctr', user: user.name, ...head, versions: plans.map((p) => [p.hour, p.version, p.state]), days: [...goldDays].map(([dt, d]) => [dt, d.version]) }))
    .digest('hex');
  if (allPublished) {
    const cached = await deps.cache.get<CtrAnswer>(key);
    if (cached !== undefined) return { ...cached, buckets: cached.buckets.map((b) => ({ ...b, origin: b.source, source: 'cache' })), cache: 'hit' };
  }
  const goldHours = plans.filter((p) => p.source === 'gold').map((p) => p.hour);
  const liveHours = plans.filter((p) => p.source === 'realtime').map((p) => p.hour);
  const [goldHourMap, silverMap, realtimeMap, goldDayMap] = await Promise.all([
    req.granularity === 'minute' ? Promise.resolve(new Map()) : goldHourCounts(r, req.campaignId, goldHours),
    req.granularity === 'minute' ? silverMinuteCounts(r, req.campaignId, goldHours) : Promise.resolve(new Map()),
    realtimeMinuteCounts(r, req.campaignId, liveHours),
    goldDayCounts(r, req.campaignId, [...fromGoldDays]),
  ]);
  const buckets = assembleCtr(range, req.granularity, plans, { goldHours: goldHourMap, silverMinutes: silverMap, realtimeMinutes: realtimeMap, goldDays: goldDayMap }, goldDays, fromGoldDays);
  const answer: CtrAnswer = { ...head, buckets, route: { reason }, cache: allPublished ? 'miss' : 'bypass' };
  if (allPublished) await deps.cache.set(key, answer);
  return answer;
}
