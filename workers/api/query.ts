/**
 * `POST /v1/query` (CONTRACT §2b): the SQL through the router (core/queryRouter.ts), run in Trino as
 * the key's user (so Trino's own rules apply to hand-written SQL), the answer cached by the user,
 * the fingerprint and the version stamp of every table it reads (./cache.ts tableStamp): a
 * restatement, an erasure or an INSERT into a table read is a new key.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Presto } from '../../activities/clients';
import type { ApiUser } from '../../core/apiKeys';
import { HttpError } from '../../core/errors';
import { LAKE_TABLES, type TableDef } from '../../core/lakeTables';
import { fingerprint, type PartitionRange, type Route, routeQuery, type ValueSet } from '../../core/queryRouter';
import { DAY_MS, dayOf, parseDay } from '../../core/time';
import { staleDays } from './ctrSources';
import { type AnswerCache, tableStamp } from './cache';

export interface QueryAnswer {
  readonly columns: readonly string[];
  readonly rows: readonly unknown[][];
  readonly route: { readonly table: string; readonly rewritten: boolean; readonly reason: string };
  readonly cache: 'hit' | 'miss' | 'bypass';
  readonly fingerprint: string;
}

export interface QueryDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prestoAs: (user: ApiUser) => Presto;
  readonly cache: AnswerCache;
}

/** At most this many bytes of SQL. */
const MAX_SQL = 64 * 1024;

export function parseQueryBody(body: unknown): string {
  const sql = (body as { sql?: unknown } | null)?.sql;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, { error: 'bad_request', detail: 'body: must be a JSON object {"sql": "..."}' });
  if (typeof sql !== 'string' || sql.trim() === '') throw new HttpError(400, { error: 'bad_request', detail: 'sql: required, a non-empty string' });
  if (Buffer.byteLength(sql) > MAX_SQL) throw new HttpError(400, { error: 'bad_request', detail: `sql: at most ${MAX_SQL} bytes` });
  return sql;
}

const TABLES = new Map<string, TableDef>(LAKE_TABLES.map((t) => [`lake.${t.schema}.${t.table}`, t as TableDef]));

function dtBounds(set: ValueSet): { dtFrom?: string; dtTo?: string } {
  if (set.kind === 'in') {
    const sorted = [...set.values].sort();
    return { dtFrom: sorted[0], dtTo: sorted[sorted.length - 1] };
  }
  if (set.kind === 'range') return { ...(set.min ? { dtFrom: set.min.value } : {}), ...(set.max ? { dtTo: set.max.value } : {}) };
  return {};
}

/**
 * The stamps of what the query reads, or undefined when something it reads cannot be stamped (a
 * table outside the lake's own, information_schema, system tables): then the answer is not cached.
 */
async function stampsOf(deps: QueryDeps, tables: readonly string[], partitions: readonly PartitionRange[]): Promise<string[] | undefined> {
  if (tables.length === 0 || tables.some((name) => !TABLES.has(name))) return undefined;
  // One LIST per table, all at once: on a hit this is most of the answer's time.
  const stamps = await Promise.all(
    tables.map(async (name) => {
      const def = TABLES.get(name) as TableDef;
      const range = partitions.find((p) => p.table === name);
      const hours = range?.hr?.kind === 'in' ? new Set(range.hr.values) : undefined;
      const stamp = await tableStamp(deps.s3, deps.bucket, def, range === undefined ? undefined : { ...dtBounds(range.dt), ...(hours === undefined ? {} : { hours }) });
      return stamp === undefined ? undefined : `${name}=${stamp}`;
    }),
  );
  return stamps.every((s): s is string => s !== undefined) ? stamps : undefined;
}

/** At most this many days of a daily summary are checked for freshness; wider: run on Silver. */
const MAX_CHECKED_DAYS = 62;

/** The days a value set of dt names, or undefined when unbounded or too many to check. */
function daysOf(set: ValueSet): string[] | undefined {
  if (set.kind === 'in') return [...set.values];
  if (set.kind !== 'range' || set.min === null || set.max === null) return undefined;
  const out: string[] = [];
  let t = parseDay(set.min.value.slice(0, 10));
  if (!set.min.inclusive && dayOf(t) === set.min.value) t += DAY_MS;
  for (; dayOf(t) < set.max.value || (set.max.inclusive && dayOf(t) === set.max.value); t += DAY_MS) {
    out.push(dayOf(t));
    if (out.length > MAX_CHECKED_DAYS) return undefined;
  }
  return out;
}

/** Routes of SQL texts seen lately (the parse costs ~15 ms; the route is a pure function of text and options). */
const ROUTES = new Map<string, { route: Route; original: ReturnType<typeof fingerprint> }>();
const MAX_ROUTES = 2000;

function routeOf(sql: string, options: NonNullable<Parameters<typeof routeQuery>[1]>): { route: Route; original: ReturnType<typeof fingerprint> } {
  const memo = `${options.userKeyMasked === true ? 1 : 0}${options.campaignFiltered === true ? 1 : 0}${sql}`;
  let hit = ROUTES.get(memo);
  if (hit === undefined) {
    const route = routeQuery(sql, options);
    hit = { route, original: route.rewritten ? fingerprint(sql, options) : { hash: route.fingerprint, normalizedSql: '', tables: route.tables, partitions: route.partitions } };
    if (ROUTES.size >= MAX_ROUTES) ROUTES.delete(ROUTES.keys().next().value as string);
    ROUTES.set(memo, hit);
  }
  return hit;
}

/** A rewrite to a daily summary (hourly ones are published with their Silver hour, always equal). */
function dailyRewrite(route: Route): TableDef | undefined {
  const def = TABLES.get(route.table);
  return route.rewritten && def !== undefined && !def.partitionedBy.includes('hr') ? def : undefined;
}

/**
 * The rewrite kept only when it is exact now: a daily summary equals the Silver query on the days
 * whose summary was published after every one of their hours. Otherwise the user's own SQL runs as
 * written, and the reason says why.
 */
async function freshRoute(deps: QueryDeps, sql: string, route: Route, original: ReturnType<typeof fingerprint>): Promise<Route> {
  const def = dailyRewrite(route);
  if (def === undefined) return route;
  const range = route.partitions.find((p) => p.table === route.table);
  const days = range === undefined ? undefined : daysOf(range.dt);
  const stale = days === undefined ? undefined : await staleDays(deps, def, days);
  if (stale !== undefined && stale.length === 0) return route;
  const why = stale === undefined ? `its days are not bounded to at most ${MAX_CHECKED_DAYS}` : `${route.table} of ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ' …' : ''} is older than its hours (day not promoted again yet)`;
  return { ...route, sql, table: original.tables[0] ?? '', rewritten: false, reason: `${route.reason}; but ${why}: ran as written`, tables: original.tables, partitions: original.partitions };
}

export async function runQuery(deps: QueryDeps, user: ApiUser, sql: string): Promise<QueryAnswer> {
  // What Trino will hide from this user changes what a summary may stand for (core/trinoRules.ts).
  const masked = user.role === 'product' || user.role === 'campaign_manager';
  const { route: routed, original } = routeOf(sql, { userKeyMasked: masked, campaignFiltered: user.role === 'campaign_manager' });
  // The key holds the stamps of what either answer reads: for a daily rewrite the summary and the
  // Silver hours under it (whose publishes decide whether the rewrite stands), so a hit needs no check.
  const read = dailyRewrite(routed) === undefined ? routed : { tables: [...new Set([...routed.tables, ...original.tables])], partitions: [...routed.partitions, ...original.partitions] };
  const stamps = await stampsOf(deps, read.tables, read.partitions);
  const key = stamps === undefined ? undefined : createHash('sha256').update(JSON.stringify({ what: 'sql', user: user.name, fingerprint: routed.fingerprint, stamps })).digest('hex');
  if (key !== undefined) {
    const cached = await deps.cache.get<Omit<QueryAnswer, 'cache'>>(key);
    if (cached !== undefined) return { ...cached, cache: 'hit' };
  }
  const route = await freshRoute(deps, sql, routed, original);
  const routeOut = { table: route.table, rewritten: route.rewritten, reason: route.reason };
  const result = await deps.prestoAs(user).query(route.sql);
  const answer = { columns: result.columns.map((c) => c.name), rows: result.rows, route: routeOut, fingerprint: route.fingerprint };
  if (key !== undefined) await deps.cache.set(key, answer);
  return { ...answer, cache: key === undefined ? 'bypass' : 'miss' };
}
