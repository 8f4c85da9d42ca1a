/**
 * The global pass of a sharded promotion (docs/sharding.md): what one shard cannot decide alone.
 *
 * - Deduplication: each shard deduplicates its own records (the first received copy wins, core/silver.ts
 *   compareReceiveOrder) and sends the position of each local winner. An event_id whose winners sit in
 *   several shards is won by the first received of them; in every other shard all its copies lose
 *   (counted `duplicates`, so the summed ledger is the unsharded one).
 * - Sessions: a user whose derived-session events sit in two shards is sessionized once, over all of
 *   them (core/silver.ts sessionize), and every shard takes those session ids and end cursors.
 * - Results: the ledgers add up, the hourly Gold rows of a campaign add up, the end states overlay.
 *
 * The functions here are the specification; the DuckDB statements of the same decisions
 * (`*Sql`, run by activities/promote/shards.ts) are held equal to them by test/engine/silverSql.test.ts.
 */
import type { CtrHourlyRow } from './truth';
import { compareReceiveOrder, type SessionCursor, type SessionState } from './silver';
import { compareText } from './text';

/** A shard's local winner of an event_id, where it was received. */
export interface IdSighting {
  readonly shard: number;
  readonly event_id: string;
  readonly received_time: number;
  readonly partition: number;
  readonly offset: number;
  readonly topic: string;
}

/**
 * Per shard, the event_ids it must drop entirely: their first received copy is in another shard.
 * Sorted, and every shard index present in the sightings has an entry (empty when it loses nothing).
 */
export function crossShardLosers(sightings: readonly IdSighting[]): Map<number, string[]> {
  const winner = new Map<string, IdSighting>();
  for (const s of sightings) {
    const best = winner.get(s.event_id);
    if (best === undefined || compareReceiveOrder(asOrdered(s), asOrdered(best)) < 0) winner.set(s.event_id, s);
  }
  const lost = new Map<number, Set<string>>();
  for (const s of sightings) {
    const set = lost.get(s.shard) ?? new Set<string>();
    if ((winner.get(s.event_id) as IdSighting).shard !== s.shard) set.add(s.event_id);
    lost.set(s.shard, set);
  }
  return new Map([...lost].sort(([a], [b]) => a - b).map(([shard, ids]) => [shard, [...ids].sort(compareText)]));
}

const asOrdered = (s: IdSighting) => ({ topic: s.topic, partition: s.partition, offset: s.offset, received_time: s.received_time, event: { event_id: s.event_id } });

/** user_keys that appear in more than one shard (each shard lists its users with derived-session events), sorted. */
export function multiShardUsers(users: ReadonlyArray<{ readonly shard: number; readonly user_key: string }>): string[] {
  const shardsOf = new Map<string, Set<number>>();
  for (const { shard, user_key } of users) shardsOf.set(user_key, (shardsOf.get(user_key) ?? new Set()).add(shard));
  return [...shardsOf].filter(([, shards]) => shards.size > 1).map(([key]) => key).sort(compareText);
}

/**
 * The hour's end state from the shards': the prior state, then each shard's cursors that differ from
 * it (a user's events are all in one shard, or the user is multi-shard and every shard carries the
 * same global cursor). Throws if two shards disagree on a user: the pass was not applied.
 */
export function mergeShardEndStates(prior: SessionState, shards: readonly SessionState[]): Map<string, SessionCursor> {
  const merged = new Map(prior);
  const setBy = new Map<string, SessionCursor>();
  for (const state of shards) {
    for (const [user, cursor] of state) {
      const before = prior.get(user);
      if (before !== undefined && sameCursor(before, cursor)) continue;
      const other = setBy.get(user);
      if (other !== undefined && !sameCursor(other, cursor)) throw new Error(`shards disagree on the session cursor of user_key ${user.slice(0, 12)}…`);
      setBy.set(user, cursor);
      merged.set(user, cursor);
    }
  }
  return merged;
}

const sameCursor = (a: SessionCursor, b: SessionCursor): boolean => a.lastEventMs === b.lastEventMs && a.sessionId === b.sessionId && a.sessionStartMs === b.sessionStartMs;

/** The hour's ctr_hourly rows from the shards' partial rows: impressions and clicks summed per campaign, ctr anew; by campaign_id. */
export function mergeGoldHourly<R extends Pick<CtrHourlyRow, 'campaign_id' | 'impressions' | 'clicks' | 'ctr'>>(rows: readonly R[]): R[] {
  const byCampaign = new Map<string, R>();
  for (const row of rows) {
    const sum = byCampaign.get(row.campaign_id);
    byCampaign.set(row.campaign_id, sum === undefined ? row : { ...sum, impressions: sum.impressions + row.impressions, clicks: sum.clicks + row.clicks });
  }
  return [...byCampaign.values()]
    .map((row) => ({ ...row, ctr: row.impressions === 0 ? null : row.clicks / row.impressions }))
    .sort((a, b) => compareText(a.campaign_id, b.campaign_id));
}

/**
 * crossShardLosers in SQL over a relation `ids` (shard, event_id, received_time, "partition", "offset", topic):
 * the (shard, event_id) pairs to drop. Only ids seen by several shards are ranked.
 */
export function crossShardLosersSql(ids: string): string {
  return (
    `SELECT shard, event_id FROM (SELECT shard, event_id, row_number() OVER (PARTITION BY event_id ORDER BY received_time, "partition", "offset", topic) AS r ` +
    `FROM ${ids} i SEMI JOIN (SELECT event_id FROM ${ids} GROUP BY event_id HAVING count(DISTINCT shard) > 1) m USING (event_id)) WHERE r > 1`
  );
}

/** multiShardUsers in SQL over a relation `users` (shard, user_key). */
export function multiShardUsersSql(users: string): string {
  return `SELECT user_key FROM ${users} GROUP BY user_key HAVING count(DISTINCT shard) > 1`;
}
