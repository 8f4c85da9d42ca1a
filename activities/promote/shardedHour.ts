/**
 * A sharded hour's steps in their order (docs/sharding.md), over local files: each shard's scan, the
 * global pass, each shard's session points and the global sessions when users span shards, then each
 * shard's build with the decisions, and the merge of the shards' figures. The steps are the functions
 * of activities/silverSql.ts; here they run one after the other in this process (the engine test and
 * bench/shards.ts use it); a promotion across workers runs the same steps as activities.
 */
import * as path from 'node:path';
import { checkLedger, sumLedgers, type Ledger } from '../../core/ledger';
import { mergeShardEndStates } from '../../core/shardMerge';
import type { ErasureRule } from '../../core/erasure';
import type { LatenessRules, SessionCursor, SessionState } from '../../core/silver';
import { buildSilverHour, globalShardPass, globalShardSessions, scanSilverShard, shardSessionPoints, type ShardDecisions, type SilverHourOutput } from '../silverSql';

export interface ShardedHourInput {
  /** The Bronze files of each shard (a shard's partitions are in no other shard). */
  readonly shards: ReadonlyArray<readonly string[]>;
  readonly hour: string;
  readonly priorState: SessionState;
  readonly hmacKey: string;
  readonly rules?: LatenessRules;
  readonly erasure?: ErasureRule;
  readonly threads?: number;
  /** Where the sidecars and each shard's Silver, Gold and quarantine files go (`shard-<i>-*.parquet`). */
  readonly dir: string;
}

export interface ShardedHourOutput {
  readonly shards: ReadonlyArray<SilverHourOutput & { readonly silverFile: string; readonly goldFile: string; readonly quarantineFile: string }>;
  /** The shards' ledgers summed: the unsharded hour's. */
  readonly ledger: Ledger;
  readonly endState: Map<string, SessionCursor>;
  /** What the global pass found. */
  readonly pass: { readonly lost: readonly number[]; readonly multiUsers: number; readonly points: number };
}

/** The decisions of the global pass for each shard; see the module comment. */
export async function globalDecisions(input: ShardedHourInput): Promise<{ decisions: ShardDecisions[]; pass: ShardedHourOutput['pass'] }> {
  const file = (shard: number | string, what: string): string => path.join(input.dir, `shard-${shard}-${what}.parquet`);
  const scan = { hour: input.hour, hmacKey: input.hmacKey, ...(input.rules === undefined ? {} : { rules: input.rules }), ...(input.erasure === undefined ? {} : { erasure: input.erasure }), ...(input.threads === undefined ? {} : { threads: input.threads }) };
  const indexes = input.shards.map((_, i) => i);
  for (const i of indexes) await scanSilverShard({ ...scan, bronzeFiles: input.shards[i] as string[], idsFile: file(i, 'ids'), usersFile: file(i, 'users') });
  const multiUsersFile = file('all', 'multi-users');
  const { lost, multiUsers } = await globalShardPass({ idsFiles: indexes.map((i) => file(i, 'ids')), usersFiles: indexes.map((i) => file(i, 'users')), lostIdsFiles: indexes.map((i) => file(i, 'lost')), multiUsersFile, ...(input.threads === undefined ? {} : { threads: input.threads }) });
  const lostOf = (i: number): { lostIdsFile?: string } => ((lost[i] ?? 0) > 0 ? { lostIdsFile: file(i, 'lost') } : {});
  if (multiUsers === 0) return { decisions: indexes.map(lostOf), pass: { lost, multiUsers, points: 0 } };
  let points = 0;
  for (const i of indexes) points += await shardSessionPoints({ ...scan, bronzeFiles: input.shards[i] as string[], ...lostOf(i), multiUsersFile, pointsFile: file(i, 'points') });
  const sessionsFile = file('all', 'sessions');
  const endState = await globalShardSessions({ pointsFiles: indexes.map((i) => file(i, 'points')), priorState: input.priorState, multiUsersFile, sessionsFile, ...(input.threads === undefined ? {} : { threads: input.threads }) });
  return { decisions: indexes.map((i) => ({ ...lostOf(i), multiShard: { usersFile: multiUsersFile, sessionsFile, endState } })), pass: { lost, multiUsers, points } };
}

/** Every step of a sharded hour in this process; see the module comment. */
export async function buildShardedHourLocally(input: ShardedHourInput): Promise<ShardedHourOutput> {
  const { decisions, pass } = await globalDecisions(input);
  const shards: Array<ShardedHourOutput['shards'][number]> = [];
  for (const [i, bronzeFiles] of input.shards.entries()) {
    const files = { silverFile: path.join(input.dir, `shard-${i}-silver.parquet`), goldFile: path.join(input.dir, `shard-${i}-gold.parquet`), quarantineFile: path.join(input.dir, `shard-${i}-quarantine.parquet`) };
    const out = await buildSilverHour({
      bronzeFiles,
      hour: input.hour,
      priorState: input.priorState,
      hmacKey: input.hmacKey,
      ...files,
      ...(input.rules === undefined ? {} : { rules: input.rules }),
      ...(input.erasure === undefined ? {} : { erasure: input.erasure }),
      ...(input.threads === undefined ? {} : { threads: input.threads }),
      shard: decisions[i] as ShardDecisions,
    });
    shards.push({ ...out, ...files });
  }
  return {
    shards,
    ledger: checkLedger(sumLedgers(shards.map((s) => checkLedger(s.ledger)))),
    endState: mergeShardEndStates(input.priorState, shards.map((s) => s.endState)),
    pass,
  };
}
