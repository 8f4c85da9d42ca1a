/**
 * bench/query: one question, CTR per campaign for one day, answered three ways on the real stack.
 *
 * (a) Silver: the SQL over lake.silver.events as written, straight into Trino (activities/clients.ts
 *     Presto) as the bench key's own Trino user, so the same rules and resource group as (b) apply.
 * (b) Gold through the router: POST /v1/query with that same Silver SQL; the router rewrites it to
 *     lake.gold.campaign_daily (`route.rewritten` must be true). Every run sends a fresh variant (one
 *     alias carries the run number), so the fingerprint, hence the cache key, is new: `cache` must
 *     say miss. The rewritten SQL (routeQuery, as the API computes it for an analyst) also runs
 *     straight in Trino as the same user: API latency minus that is `router_overhead_ms`.
 * (c) The cache: the request of (b) repeated at once: `cache` must say hit.
 * Every run checks that (a), (b), the direct Gold run and (c) hold the same rows.
 *
 * Bytes: Trino's queryStats of each query (GET /v1/query/<id>, as the pipeline user), found by the
 * run's unique alias in Trino's query list after the query finished (outside any timing).
 *
 * Data: BENCH_DAY=YYYY-MM-DD reuses a day already promoted on the lake. Otherwise BENCH_EVENTS
 * (default 300,000) events of the traffic model go through the collector into a quiet window
 * (workers/lakeCommands.ts findQuietWindow), every hour they touch is promoted, then every day.
 * The day measured is the day holding most of them.
 *
 * The API admits 120 queries a minute per user (burst 30, 4 at once): requests here run one at a
 * time, and a 429 is waited out as Retry-After says; only the answered attempt is timed.
 * BENCH_RUNS (default 100) runs.
 *
 * Where a hit's time goes (BENCH_DIAG_RUNS, default 20, after the runs): a hit stamps the partitions
 * read (S3 lists) and looks in Redis; a miss also checks that the day's campaign_daily is newer than
 * its hours (workers/api/ctrSources.ts staleDays: S3 lists of the Silver hours' metastore objects and
 * a HEAD). That freshness lookup is timed alone; and the same question with
 * the redundant `AND hr >= '00'` (every hour is), which the router answers from ctr_hourly, an hourly
 * table the freshness check skips, is timed as a miss and a hit.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createS3, Presto } from '../activities/clients';
import type { ClicklakeConfig } from '../core/config';
import { routeQuery } from '../core/queryRouter';
import { hourKey } from '../core/time';
import { repoPath } from '../infra/repo';
import { loadConfig } from '../workers/config';
import { generate } from '../workers/generate';
import { findQuietWindow, newIdScope, runPromoteDay, runPromoteHour } from '../workers/lakeCommands';
import { lastHourPublishes } from '../workers/api/ctrSources';
import { percentile, writeResult, type Figure } from './common';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const DIAG_RUNS = Number(process.env.BENCH_DIAG_RUNS ?? 20);

/** The question, with the alias of the clicks column as the per-run variant. */
function ctrSql(day: string, clicksAlias: string, extra = ''): string {
  return [
    `SELECT campaign_id, count_if(event_type = 'ad_impression') AS impressions, count_if(event_type = 'ad_click') AS ${clicksAlias},`,
    `CAST(count_if(event_type = 'ad_click') AS DOUBLE) / NULLIF(count_if(event_type = 'ad_impression'), 0) AS ctr`,
    `FROM lake.silver.events WHERE dt = '${day}'${extra} AND event_type IN ('ad_impression', 'ad_click')`,
    'GROUP BY campaign_id ORDER BY campaign_id',
  ].join(' ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ApiAnswer {
  readonly columns: string[];
  readonly rows: unknown[][];
  readonly route: { table: string; rewritten: boolean; reason: string };
  readonly cache: string;
}

interface Timed<T> {
  readonly value: T;
  readonly ms: number;
}

async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const t0 = performance.now();
  const value = await run();
  return { value, ms: performance.now() - t0 };
}

/** POST /v1/query, one at a time; a 429 is waited out (Retry-After) and not timed. */
async function apiQuery(config: ClicklakeConfig, key: string, sql: string, waits: { ms: number; count: number }): Promise<Timed<ApiAnswer>> {
  const body = JSON.stringify({ sql });
  for (;;) {
    const t0 = performance.now();
    const res = await fetch(`${config.api.url}/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status === 429) {
      const wait = Math.max(1, Number(res.headers.get('retry-after') ?? 1)) * 1000;
      waits.count++;
      waits.ms += wait;
      await sleep(wait);
      continue;
    }
    if (res.status !== 200) throw new Error(`POST /v1/query answered ${res.status}: ${text.slice(0, 500)}`);
    return { value: JSON.parse(text) as ApiAnswer, ms };
  }
}

/** "12.5MB" (Trino's DataSize) in bytes. */
function dataSizeBytes(text: string): number {
  const m = /^([\d.]+)\s*(B|kB|MB|GB|TB)$/.exec(text);
  if (m === null) throw new Error(`not a Trino data size: ${JSON.stringify(text)}`);
  const scale = { B: 1, kB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 }[m[2] as 'B'];
  return Math.round(Number(m[1]) * scale);
}

interface QueryBytes {
  readonly queryId: string;
  readonly physical: number;
  readonly processed: number;
  readonly text: string;
}

/** The finished Trino query whose text holds `tag`, and its input bytes. */
async function trinoQueryBytes(config: ClicklakeConfig, tag: string): Promise<QueryBytes> {
  const base = `http://${config.presto.host}:${config.presto.port}`;
  const headers = { 'x-trino-user': config.presto.user };
  for (let attempt = 0; attempt < 20; attempt++) {
    const list = (await (await fetch(`${base}/v1/query`, { headers })).json()) as Array<{ queryId: string; query: string; state: string }>;
    const found = list.filter((q) => q.query.includes(tag) && q.state === 'FINISHED');
    if (found.length > 1) throw new Error(`${found.length} Trino queries hold ${tag}`);
    const hit = found[0];
    if (hit !== undefined) {
      const info = (await (await fetch(`${base}/v1/query/${hit.queryId}`, { headers })).json()) as { queryStats: { physicalInputDataSize: string; processedInputDataSize: string } };
      return { queryId: hit.queryId, physical: dataSizeBytes(info.queryStats.physicalInputDataSize), processed: dataSizeBytes(info.queryStats.processedInputDataSize), text: hit.query };
    }
    await sleep(100);
  }
  throw new Error(`no finished Trino query holds ${tag}`);
}

/** Generates BENCH_EVENTS events into a quiet window and promotes what they touch; returns the day holding most. */
async function prepareDay(config: ClicklakeConfig): Promise<{ day: string; note: string }> {
  const now = Date.now();
  const quiet = await findQuietWindow(config, now);
  const idScope = newIdScope();
  process.stderr.write(`generating ${EVENTS} events around ${new Date(quiet.targetMs).toISOString()} (whole quiet day: ${quiet.wholeDay}), id scope ${idScope}\n`);
  const result = await generate(
    config.collector,
    {
      ratePerSec: RATE,
      durationSec: EVENTS / RATE,
      batchSize: 500,
      concurrency: 4,
      gzip: true,
      eventTimeShiftMs: quiet.targetMs - now,
      lake: config.s3,
      traffic: { idScope, seed: Math.floor(Math.random() * 2 ** 31), campaigns: 200, users: 100_000, titles: 500, lateFraction: 0.02, duplicateFraction: 0.02, malformedFraction: 0.01 },
    },
    undefined,
  );
  const counted = result.accepted.filter((e) => e.quarantine_reason === null);
  const perHour = new Map<string, number>();
  for (const e of counted) perHour.set(hourKey(e.event_time), (perHour.get(hourKey(e.event_time)) ?? 0) + 1);
  const hours = [...perHour.keys()].sort();
  process.stderr.write(`accepted ${result.summary.accepted} (${result.summary.eventsPerSec} events/s); promoting ${hours.length} hours\n`);
  for (const hour of hours) await runPromoteHour(config, hour);
  const perDay = new Map<string, number>();
  for (const [hour, n] of perHour) perDay.set(hour.slice(0, 10), (perDay.get(hour.slice(0, 10)) ?? 0) + n);
  for (const dt of [...perDay.keys()].sort()) await runPromoteDay(config, dt);
  const [day, n] = [...perDay.entries()].sort((x, y) => y[1] - x[1])[0] as [string, number];
  return { day, note: `generated: ${result.summary.accepted} accepted events (id scope ${idScope}), ${n} non-quarantined (duplicates included) on ${day}; quiet whole day: ${quiet.wholeDay}` };
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]): number => percentile(sorted(xs), 50);

function assertSame(what: string, rows: readonly unknown[][], expected: readonly unknown[][]): void {
  assert.deepEqual(rows, expected, `${what}: rows differ from Silver's`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const prepared = process.env.BENCH_DAY === undefined ? await prepareDay(config) : { day: process.env.BENCH_DAY, note: `reused day ${process.env.BENCH_DAY} already promoted on the lake` };
  const { day } = prepared;

  const keyName = `bench-query-${randomBytes(4).toString('hex')}`;
  const created = JSON.parse(execFileSync(process.execPath, [repoPath('bin', 'clicklake.js'), 'keys', 'create', '--name', keyName, '--role', 'analyst', '--json'], { encoding: 'utf8' })) as { api_key: string };
  const direct = new Presto(config.presto, { user: keyName });
  const counted = await direct.query(`SELECT count(*), count_if(event_type IN ('ad_impression', 'ad_click')) FROM lake.silver.events WHERE dt = '${day}'`);
  const [silverRows, adRows] = (counted.rows[0] ?? []) as [number, number];
  process.stderr.write(`day ${day}: ${silverRows} Silver rows, ${adRows} ad events; ${RUNS} runs as ${keyName}\n`);

  const tag = randomBytes(3).toString('hex');
  const ms = { silver: [] as number[], goldDirect: [] as number[], goldApi: [] as number[], hit: [] as number[], routeQuery: [] as number[] };
  const bytes = { silver: [] as number[], silverProcessed: [] as number[], gold: [] as number[], goldProcessed: [] as number[] };
  const waits = { ms: 0, count: 0 };
  let groups = 0;
  let goldTable = '';
  let lastRows: readonly unknown[][] = [];
  for (let i = 0; i < RUNS; i++) {
    // (a) Silver, as written.
    const silverAlias = `clicks_s${tag}_${i}`;
    const silver = await timed(() => direct.query(ctrSql(day, silverAlias)));
    ms.silver.push(silver.ms);
    const expected = silver.value.rows;
    lastRows = expected;
    groups = expected.length;
    assert.ok(groups > 0, `no campaign on ${day}`);

    // The rewritten SQL straight in Trino, for the router's overhead.
    const directAlias = `clicks_d${tag}_${i}`;
    const t0 = performance.now();
    const route = routeQuery(ctrSql(day, directAlias), { userKeyMasked: false, campaignFiltered: false });
    ms.routeQuery.push(performance.now() - t0);
    assert.ok(route.rewritten, `routeQuery did not rewrite: ${route.reason}`);
    const goldDirect = await timed(() => direct.query(route.sql));
    ms.goldDirect.push(goldDirect.ms);
    assertSame('Gold run directly', goldDirect.value.rows, expected);

    // (b) Gold through the router, a cache miss.
    const apiAlias = `clicks_g${tag}_${i}`;
    const miss = await apiQuery(config, created.api_key, ctrSql(day, apiAlias), waits);
    assert.equal(miss.value.route.rewritten, true, `run ${i}: the API did not rewrite: ${miss.value.route.reason}`);
    assert.equal(miss.value.cache, 'miss', `run ${i}: a fresh variant was not a cache miss`);
    goldTable = miss.value.route.table;
    ms.goldApi.push(miss.ms);
    assertSame('Gold through the API', miss.value.rows, expected);

    // (c) The same request again: the cache.
    const hit = await apiQuery(config, created.api_key, ctrSql(day, apiAlias), waits);
    assert.equal(hit.value.cache, 'hit', `run ${i}: the repeated request was not a cache hit`);
    ms.hit.push(hit.ms);
    assertSame('the cache', hit.value.rows, expected);

    const s = await trinoQueryBytes(config, silverAlias);
    const g = await trinoQueryBytes(config, apiAlias);
    assert.ok(g.text.includes('lake"."gold"') || g.text.includes('lake.gold.'), `the API's Trino query does not read Gold: ${g.text.slice(0, 200)}`);
    bytes.silver.push(s.physical);
    bytes.silverProcessed.push(s.processed);
    bytes.gold.push(g.physical);
    bytes.goldProcessed.push(g.processed);
    if (i % 10 === 9) process.stderr.write(`run ${i + 1}/${RUNS}: silver ${silver.ms.toFixed(0)} ms, gold ${miss.ms.toFixed(0)} ms, hit ${hit.ms.toFixed(1)} ms\n`);
  }

  // Where a hit's time goes (see the header).
  const diag = { audit: [] as number[], hourlyMiss: [] as number[], hourlyHit: [] as number[] };
  const s3 = createS3(config.s3);
  let hourlyTable = '';
  for (let i = 0; i < DIAG_RUNS; i++) {
    diag.audit.push((await timed(() => lastHourPublishes({ s3, bucket: config.s3.bucket }, [day]))).ms);
    const sql = ctrSql(day, `clicks_h${tag}_${i}`, " AND hr >= '00'");
    const miss = await apiQuery(config, created.api_key, sql, waits);
    assert.equal(miss.value.route.rewritten, true, `hourly variant ${i}: not rewritten: ${miss.value.route.reason}`);
    assert.equal(miss.value.cache, 'miss', `hourly variant ${i}: not a miss`);
    hourlyTable = miss.value.route.table;
    const hit = await apiQuery(config, created.api_key, sql, waits);
    assert.equal(hit.value.cache, 'hit', `hourly variant ${i}: not a hit`);
    assert.deepEqual(miss.value.rows, lastRows, `hourly variant ${i}: rows differ from Silver's`);
    assert.deepEqual(hit.value.rows, lastRows, `hourly variant ${i}: cached rows differ from Silver's`);
    diag.hourlyMiss.push(miss.ms);
    diag.hourlyHit.push(hit.ms);
  }

  const overhead = ms.goldApi.map((x, i) => x - (ms.goldDirect[i] as number));
  const f = (value: number, unit: string): Figure => ({ value, unit });
  const s = (xs: readonly number[]): number => median(xs) / 1000;
  const figures: Record<string, Figure> = {
    silver_vs_gold_bytes_ratio: f(round(median(bytes.silver) / median(bytes.gold), 1), 'x'),
    silver_physical_input_bytes: f(median(bytes.silver), 'bytes'),
    gold_physical_input_bytes: f(median(bytes.gold), 'bytes'),
    silver_processed_input_bytes: f(median(bytes.silverProcessed), 'bytes'),
    gold_processed_input_bytes: f(median(bytes.goldProcessed), 'bytes'),
    silver_p50_s: f(round(s(ms.silver), 3), 's'),
    silver_p99_s: f(round(percentile(sorted(ms.silver), 99) / 1000, 3), 's'),
    gold_route_p50_s: f(round(s(ms.goldApi), 3), 's'),
    gold_route_p99_s: f(round(percentile(sorted(ms.goldApi), 99) / 1000, 3), 's'),
    gold_direct_p50_s: f(round(s(ms.goldDirect), 3), 's'),
    gold_direct_p99_s: f(round(percentile(sorted(ms.goldDirect), 99) / 1000, 3), 's'),
    cache_hit_p50_ms: f(round(median(ms.hit), 2), 'ms'),
    cache_hit_p99_ms: f(round(percentile(sorted(ms.hit), 99), 2), 'ms'),
    router_overhead_ms: f(round(median(overhead), 1), 'ms'),
    route_query_alone_ms: f(round(median(ms.routeQuery), 2), 'ms'),
    silver_rows_of_day: f(Number(silverRows), 'rows'),
    ad_events_of_day: f(Number(adRows), 'rows'),
    campaigns_answered: f(groups, 'rows'),
    runs: f(RUNS, 'runs'),
    rate_limit_waits: f(waits.count, 'requests'),
    ...(DIAG_RUNS > 0
      ? {
          freshness_lookup_p50_ms: f(round(median(diag.audit), 1), 'ms'),
          hourly_route_miss_p50_s: f(round(s(diag.hourlyMiss), 3), 's'),
          hourly_route_hit_p50_ms: f(round(median(diag.hourlyHit), 2), 'ms'),
          hourly_route_hit_p99_ms: f(round(percentile(sorted(diag.hourlyHit), 99), 2), 'ms'),
        }
      : {}),
  };
  const spread = (xs: readonly number[]): string => `${Math.min(...xs)}-${Math.max(...xs)}`;
  writeResult({
    name: 'query',
    figures,
    notes: [
      prepared.note,
      `day ${day}: ${silverRows} Silver rows; the router answered from ${goldTable}; rows equal across Silver, Gold direct, Gold via the API and the cache in all ${RUNS} runs`,
      `physical input bytes per run: Silver ${spread(bytes.silver)}, Gold ${spread(bytes.gold)}`,
      'router_overhead_ms: median over the runs of (POST /v1/query cache miss) - (the rewritten SQL straight in Trino as the same user, same run); route_query_alone_ms: core/queryRouter.ts routeQuery in this process, median',
      `rate limit: ${waits.count} 429s waited out (${waits.ms} ms), not timed`,
      `diagnostics, ${DIAG_RUNS} runs: the day's freshness lookup (S3) alone; the question with AND hr >= '00', answered from ${hourlyTable || '(not run)'} (no daily freshness check), as a miss and a hit; rows equal to Silver's`,
    ],
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
