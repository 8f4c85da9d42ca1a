/**
 * The serving API on the real stack (workers/api.ts, CONTRACT §2b): this run's own campaign gets
 * known events in the previous hour A and the current hour B through the collector; A is promoted,
 * B is not. Then:
 *   - hourly and minute CTR stitch Gold (A) and the real-time minutes (B) at the A→B boundary and
 *     count every event once: the totals equal what was sent, whatever else the lake holds;
 *   - an answer made of published hours is cached (second call a hit), and a restatement of A
 *     (late events, promoted again) is a new version, so the next call is a miss with the new count;
 *   - keys: an unknown or revoked key is 401; a user's query budget and concurrency answer 429
 *     with Retry-After; a bad field is a 400 naming it.
 * The expected counts come from the events this test sent, not from clicklake.
 */
import { randomBytes } from 'node:crypto';
import { HOUR_MS, MINUTE_MS, hourKey, parseHourKey } from '../../core/time';
import { localAdminKey } from '../../infra/keyStore';
import { newIdScope, runPromoteHour } from '../../workers/lakeCommands';
import { cli } from '../support/erasure';
import { stackConfig } from '../support/stack';

jest.setTimeout(600_000);

const config = stackConfig();
const api = config.api.url;

/** An event as a client posts it (CONTRACT §1). */
interface ClientEvent {
  readonly event_id: string;
  readonly event_type: string;
  readonly event_time: number;
  readonly user_id: string;
  readonly campaign_id?: string;
  readonly ad_id?: string;
  readonly title_id?: string;
  readonly device_type: string;
}

interface Bucket {
  start: string;
  impressions: number;
  clicks: number;
  ctr: number | null;
  source: string;
  origin?: string;
  version: string | null;
  state: string;
}
interface CtrBody {
  buckets: Bucket[];
  route: { reason: string };
  cache: string;
}

async function get(path: string, key: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function postJson(path: string, key: string, body: unknown): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${api}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 1000));
    last = await read();
  }
  return last;
}

describe('serving API', () => {
  const admin = localAdminKey(config) as string;
  const scope = newIdScope();
  const campaign = `${scope}c00001`;
  const title = `${scope}t0001`;
  const nowMs = Date.now();
  const B = hourKey(nowMs);
  const A = hourKey(nowMs - HOUR_MS);
  const aStart = parseHourKey(A).startMs;
  const bStart = parseHourKey(B).startMs;
  let seq = 0;
  const event = (type: 'ad_impression' | 'ad_click', at: number): ClientEvent => ({
    event_id: `${scope}e${String(seq++).padStart(6, '0')}-${randomBytes(3).toString('hex')}`,
    event_type: type,
    event_time: at,
    user_id: `${scope}u${seq % 7}`,
    campaign_id: campaign,
    ad_id: `${campaign}-ad1`,
    device_type: 'web',
  });
  /** What was sent, by hour: impressions and clicks (duplicates are the same event again). */
  const truth = new Map<string, { impressions: number; clicks: number }>();

  async function send(events: readonly ClientEvent[]): Promise<void> {
    const res = await fetch(`${config.collector.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.collector.apiKeys[0] as string}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    const body = (await res.json()) as { accepted: number; rejected: unknown[] };
    expect({ status: res.status, accepted: body.accepted, rejected: body.rejected }).toEqual({ status: 200, accepted: events.length, rejected: [] });
  }

  function count(events: readonly ClientEvent[]): void {
    for (const e of events) {
      if (e.event_type === 'video_play') continue;
      const hour = hourKey(e.event_time);
      const t = truth.get(hour) ?? { impressions: 0, clicks: 0 };
      if (e.event_type === 'ad_impression') t.impressions++;
      else t.clicks++;
      truth.set(hour, t);
    }
  }

  const ctr = (from: string, to: string, granularity: string) => get(`/v1/metrics/ctr?campaign_id=${campaign}&from=${from}&to=${to}&granularity=${granularity}`, admin).then((r) => {
    expect(r.status).toBe(200);
    return r.body as CtrBody;
  });
  const sum = (bs: readonly Bucket[]) => bs.reduce((a, b) => ({ impressions: a.impressions + b.impressions, clicks: a.clicks + b.clicks }), { impressions: 0, clicks: 0 });
  const inHour = (bs: readonly Bucket[], hour: string) => bs.filter((b) => hourKey(Date.parse(b.start)) === hour);

  it('sends known events to hours A (previous) and B (current) and promotes A', async () => {
    expect(admin).toMatch(/^ck_/);
    // Minutes of A spread over the hour, and of B up to now (never in the future).
    const inA = Array.from({ length: 40 }, (_, i) => event(i % 6 === 0 ? 'ad_click' : 'ad_impression', aStart + (i % 60) * MINUTE_MS + 1000));
    const bSpan = Math.max(1, Math.floor((Date.now() - bStart) / MINUTE_MS));
    const inB = Array.from({ length: 25 }, (_, i) => event(i % 5 === 0 ? 'ad_click' : 'ad_impression', bStart + (i % bSpan) * MINUTE_MS + 500));
    // Plays of this run's own title in A, by three users.
    const plays = [0, 1, 2, 3, 4].map((i): ClientEvent => ({ event_id: `${scope}p${i}-${randomBytes(3).toString('hex')}`, event_type: 'video_play', event_time: aStart + (10 + i) * MINUTE_MS, user_id: `${scope}u${i % 3}`, title_id: title, device_type: 'tv' }));
    await send([...inA, ...inB, ...plays]);
    // A client retry: the same events again; counted once everywhere.
    await send([inA[0] as ClientEvent, inB[0] as ClientEvent]);
    count([...inA, ...inB]);

    const reached = (body: CtrBody) => {
      const got = inHour(body.buckets, B);
      return got.length === 1 && got[0]?.impressions === truth.get(B)?.impressions && got[0]?.clicks === truth.get(B)?.clicks;
    };
    await until('real-time minutes of B', () => ctr(A, hourKey(bStart + HOUR_MS), 'hour'), reached);

    // A promotion that began before our events were acknowledged may be joined: promote until A counts them.
    await until(
      'A published with our events',
      async () => {
        await runPromoteHour(config, A, { acceptQuality: true });
        return ctr(A, B, 'hour');
      },
      (body) => body.buckets[0]?.source === 'gold' && body.buckets[0]?.impressions === truth.get(A)?.impressions,
      240_000,
    );
  });

  it('stitches Gold (A) and real-time (B) at the hour boundary counting every event once', async () => {
    const end = hourKey(bStart + HOUR_MS);
    const byHour = await ctr(A, end, 'hour');
    expect(byHour.buckets.map((b) => [b.start.slice(0, 13), b.source])).toEqual([
      [A, 'gold'],
      [B, 'realtime'],
    ]);
    expect(byHour.buckets[0]).toMatchObject({ ...truth.get(A), state: expect.stringMatching(/^(provisional|restated|final)$/) });
    expect(byHour.buckets[0]?.version).toMatch(/^\d{8}T/);
    expect(byHour.buckets[1]).toMatchObject({ ...truth.get(B), version: null, state: 'provisional' });
    expect(byHour.route.reason).toMatch(/published hour\(s\) from lake.gold.ctr_hourly.*not promoted yet from the real-time minutes/);

    const byMinute = await ctr(A, end, 'minute');
    expect(byMinute.buckets).toHaveLength(120);
    expect(new Set(inHour(byMinute.buckets, A).map((b) => b.source))).toEqual(new Set(['silver']));
    expect(new Set(inHour(byMinute.buckets, B).map((b) => b.source))).toEqual(new Set(['realtime']));
    expect(sum(inHour(byMinute.buckets, A))).toEqual(truth.get(A));
    expect(sum(inHour(byMinute.buckets, B))).toEqual(truth.get(B));

    const [day] = (await ctr(A.slice(0, 10), hourKey(parseHourKey(`${A.slice(0, 10)}T00`).startMs + 24 * HOUR_MS), 'day')).buckets;
    // The day of A: our campaign's events of that day are those of A (and of B when B is the same day).
    const sameDay = B.slice(0, 10) === A.slice(0, 10);
    const expected = sameDay ? { impressions: (truth.get(A)?.impressions ?? 0) + (truth.get(B)?.impressions ?? 0), clicks: (truth.get(A)?.clicks ?? 0) + (truth.get(B)?.clicks ?? 0) } : truth.get(A);
    expect({ impressions: day?.impressions, clicks: day?.clicks }).toEqual(expected);
  });

  it('answers title plays and DAU at day grain, from Silver while the day has no current summary', async () => {
    const day = A.slice(0, 10);
    const next = hourKey(parseHourKey(`${day}T00`).startMs + 24 * HOUR_MS).slice(0, 10);
    const r = await get(`/v1/metrics/title-plays?title_id=${title}&from=${day}&to=${next}`, admin);
    expect(r.status).toBe(200);
    const body = r.body as { buckets: Array<Record<string, unknown>>; route: { reason: string } };
    // The day of A is not over (or was promoted before A's events): its distinct viewers come from Silver.
    expect(body.buckets).toEqual([expect.objectContaining({ start: `${day}T00:00:00Z`, source: 'silver', state: 'provisional', plays: 5, unique_viewers: 3 })]);
    expect(body.route.reason).toMatch(/from lake.silver.events/);
    const dau = (await get(`/v1/metrics/dau?from=${day}&to=${next}&device_type=tv`, admin)).body as { buckets: Array<{ dau: number; source: string }> };
    const { Presto } = await import('../../activities/clients');
    const [direct] = await new Presto(config.presto).queryObjects(`SELECT count(DISTINCT user_key) AS n FROM lake.silver.events WHERE dt = '${day}' AND coalesce(device_type, 'other') = 'tv'`);
    expect(dau.buckets[0]).toMatchObject({ source: 'silver', dau: Number(direct?.n) });
    expect(dau.buckets[0]?.dau).toBeGreaterThanOrEqual(3);
    expect((await get(`/v1/metrics/title-plays?from=${day}&to=${next}`, admin)).body).toMatchObject({ error: 'bad_request', detail: expect.stringMatching(/^title_id: required/) });
  });

  it('caches an answer of published hours, and a restatement of A is a miss with the new count', async () => {
    const first = await ctr(A, B, 'hour');
    const second = await ctr(A, B, 'hour');
    expect([first.cache, second.cache]).toEqual(expect.arrayContaining(['hit']));
    expect(second.cache).toBe('hit');
    expect(second.buckets[0]).toMatchObject({ source: 'cache', origin: 'gold', ...truth.get(A) });
    const before = second.buckets[0]?.version;

    // Late events of A arrive; A is promoted again: a new version, and the cache must not answer the old one.
    const late = [event('ad_impression', aStart + 59 * MINUTE_MS), event('ad_impression', aStart + 59 * MINUTE_MS + 1), event('ad_click', aStart + 59 * MINUTE_MS + 2)];
    await send(late);
    count(late);
    // Once Gold (read in Trino directly) holds the late events, the very next answer must too: never the cached one.
    const { Presto } = await import('../../activities/clients');
    const presto = new Presto(config.presto);
    const { dt, hr } = parseHourKey(A);
    await until(
      'A restated with the late events',
      async () => {
        await runPromoteHour(config, A, { acceptQuality: true });
        const [row] = await presto.queryObjects(`SELECT impressions FROM lake.gold.ctr_hourly WHERE dt = '${dt}' AND hr = '${hr}' AND campaign_id = '${campaign}'`);
        return Number(row?.impressions);
      },
      (impressions) => impressions === truth.get(A)?.impressions,
      240_000,
    );
    const after = await ctr(A, B, 'hour');
    expect(after.cache).toBe('miss');
    expect(after.buckets[0]).toMatchObject({ source: 'gold', state: 'restated', ...truth.get(A) });
    expect(after.buckets[0]?.version).not.toBe(before);
  });

  it('routes SQL over Silver to Gold, answers exactly what Silver gives, caches by version, and Trino enforces the rules', async () => {
    const { dt, hr } = parseHourKey(A);
    const where = `event_type IN ('ad_impression', 'ad_click') AND campaign_id = '${campaign}' AND dt = '${dt}' AND hr = '${hr}'`;
    const sql = `SELECT campaign_id, dt, hr, count_if(event_type = 'ad_impression') AS impressions, count_if(event_type = 'ad_click') AS clicks FROM lake.silver.events WHERE ${where} GROUP BY campaign_id, dt, hr`;
    const first = await postJson('/v1/query', admin, { sql });
    expect(first.status).toBe(200);
    const a = first.body as { columns: string[]; rows: unknown[][]; route: { table: string; rewritten: boolean; reason: string }; cache: string };
    expect(a.route).toMatchObject({ table: 'lake.gold.ctr_hourly', rewritten: true });
    // What Silver itself gives, read in Trino directly by the pipeline's user: the same columns and rows.
    const { Presto } = await import('../../activities/clients');
    const direct = await new Presto(config.presto).query(sql);
    expect({ columns: a.columns, rows: a.rows }).toEqual({ columns: direct.columns.map((c) => c.name), rows: direct.rows });
    expect(a.rows).toEqual([[campaign, dt, hr, truth.get(A)?.impressions, truth.get(A)?.clicks]]);
    // Another hour of the day may be published meanwhile (the restatement of A goes on to the next
    // hour): that is a change of what the query reads only when it is one of its partitions.
    let again = (await postJson('/v1/query', admin, { sql })).body as typeof a;
    for (let i = 0; i < 3 && again.cache !== 'hit'; i++) again = (await postJson('/v1/query', admin, { sql })).body as typeof a;
    expect(again.cache).toBe('hit');
    expect(again.rows).toEqual(a.rows);
    // A query the summaries cannot answer says why, and runs as written.
    const byCountry = (await postJson('/v1/query', admin, { sql: `SELECT country, count(*) AS n FROM lake.silver.events WHERE ${where} GROUP BY country` })).body as typeof a;
    expect(byCountry.route).toMatchObject({ table: 'lake.silver.events', rewritten: false, reason: expect.stringMatching(/country/) });

    // Per day, the router would use campaign_daily: kept only when the day's summary is newer than A's
    // last publish (the pipeline promotes the day again after a restated hour), else run on Silver
    // with the reason. Either way the answer is Silver's.
    const daily = `SELECT campaign_id, count_if(event_type = 'ad_click') AS clicks FROM lake.silver.events WHERE event_type IN ('ad_impression', 'ad_click') AND campaign_id = '${campaign}' AND dt = '${dt}' GROUP BY campaign_id`;
    const perDay = (await postJson('/v1/query', admin, { sql: daily })).body as typeof a;
    if (perDay.route.rewritten) expect(perDay.route).toMatchObject({ table: 'lake.gold.campaign_daily', reason: 'answered by lake.gold.campaign_daily' });
    else expect(perDay.route).toMatchObject({ table: 'lake.silver.events', reason: expect.stringMatching(/^answered by lake.gold.campaign_daily; but lake.gold.campaign_daily of .* is older than its hours/) });
    expect(perDay.rows).toEqual((await new Presto(config.presto).query(daily)).rows);
    expect(Number(perDay.rows[0]?.[1])).toBeGreaterThanOrEqual(truth.get(A)?.clicks ?? 0);

    // Roles, enforced by Trino for the key's user even in hand-written SQL.
    const product = await cli<{ api_key: string }>(['keys', 'create', '--name', `product-${scope.slice(1, 9)}`, '--role', 'product', '--json']);
    const keys = await postJson('/v1/query', product.api_key, { sql: `SELECT user_key FROM lake.silver.events WHERE ${where} LIMIT 5` });
    expect(keys.status).toBe(200);
    const keyRows = (keys.body as typeof a).rows;
    expect(keyRows.length).toBeGreaterThan(0);
    expect(keyRows.every((r) => r[0] === null)).toBe(true);
    const bronze = await postJson('/v1/query', product.api_key, { sql: 'SELECT count(*) FROM lake.audit.hour_runs' });
    expect(bronze).toMatchObject({ status: 403, body: { error: 'forbidden', detail: expect.stringMatching(/Access Denied/i) } });
    const asAdmin = (await postJson('/v1/query', admin, { sql: `SELECT user_key FROM lake.silver.events WHERE ${where} LIMIT 5` })).body as typeof a;
    expect(asAdmin.rows.every((r) => typeof r[0] === 'string' && (r[0] as string).length > 0)).toBe(true);
    await cli(['keys', 'revoke', '--name', `product-${scope.slice(1, 9)}`, '--json']);
  });

  it('refuses unknown and revoked keys (401), spent budgets and too many at once (429), and names bad fields (400)', async () => {
    expect((await get(`/v1/metrics/ctr?campaign_id=${campaign}&from=${A}&to=${B}`, 'ck_not-a-key')).status).toBe(401);
    const bad = await get(`/v1/metrics/ctr?campaign_id=${campaign}&from=yesterday&to=${B}`, admin);
    expect(bad).toMatchObject({ status: 400, body: { error: 'bad_request', detail: expect.stringMatching(/^from: must be RFC 3339/) } });
    const wide = await get(`/v1/metrics/ctr?campaign_id=${campaign}&from=2026-01-01T00&to=2026-03-01T00&granularity=hour`, admin);
    expect(wide).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/^to: at most 744 hour buckets/) } });
    expect((await postJson('/v1/query', admin, { sq: 'SELECT 1' })).body).toMatchObject({ error: 'bad_request', detail: 'sql: required, a non-empty string' });

    const user = `apitest-${randomBytes(3).toString('hex')}`;
    const created = await cli<{ name: string; role: string; api_key: string }>(['keys', 'create', '--name', user, '--role', 'analyst', '--json']);
    expect(created).toMatchObject({ name: user, role: 'analyst' });
    const key = created.api_key;
    // Budget: a burst of a quarter of the per-minute budget, then 429 with Retry-After.
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < config.api.queriesPerMinute / 4 + 5; i++) {
      const r = await get(`/v1/metrics/ctr?campaign_id=${campaign}&from=bad&to=bad`, key);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses.slice(0, Math.ceil(config.api.queriesPerMinute / 4))).toEqual(Array(Math.ceil(config.api.queriesPerMinute / 4)).fill(400));
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);

    // Concurrency: more slow queries at once than a user may run; the rest answer 429 at once.
    const other = await cli<{ api_key: string }>(['keys', 'create', '--name', `${user}-c`, '--role', 'analyst', '--json']);
    const slow = 'SELECT count(*) AS n FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 3000)) b(y)';
    const answers = await Promise.all(Array.from({ length: config.api.concurrencyPerUser + 2 }, () => postJson('/v1/query', other.api_key, { sql: slow })));
    const codes = answers.map((a) => a.status).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(config.api.concurrencyPerUser);
    expect(codes.filter((c) => c === 429)).toHaveLength(2);
    expect(answers.find((a) => a.status === 200)?.body).toMatchObject({ columns: ['n'], rows: [[30_000_000]] });

    // A collector key sends events (the collector reads the same store) and reads nothing here.
    const sender = await cli<{ api_key: string }>(['keys', 'create', '--name', `${user}-app`, '--role', 'collector', '--json']);
    const postWith = (k: string) =>
      fetch(`${config.collector.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: [event('ad_impression', Date.now() - 1000)] }) }).then((r) => r.status);
    expect(await until('the collector accepts the new key', () => postWith(sender.api_key), (st) => st === 200, 10_000)).toBe(200);
    expect(await get(`/v1/metrics/ctr?campaign_id=${campaign}&from=${A}&to=${B}`, sender.api_key)).toMatchObject({ status: 403, body: { detail: expect.stringMatching(/^role: a collector key only sends events/) } });
    await cli(['keys', 'revoke', '--name', `${user}-app`, '--json']);
    expect(await until('the collector refuses the revoked key', () => postWith(sender.api_key), (st) => st === 401, 10_000)).toBe(401);

    await cli(['keys', 'revoke', '--name', user, '--json']);
    // The API re-reads the store when it changes.
    await until('revoked key refused', () => get(`/v1/metrics/ctr?campaign_id=${campaign}&from=${A}&to=${B}`, key).then((r) => r.status), (s) => s === 401, 10_000);
  });
});
