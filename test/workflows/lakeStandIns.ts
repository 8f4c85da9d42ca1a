/**
 * Typed stand-ins for the activities of promoteHour and promoteDay: a lake held in memory that records
 * every call, so a test sees what the workflow asked for and in which order. Each test makes its own
 * and steers it through the hooks (fail a build, hold a day's recomputation at a gate).
 */
import { Context } from '@temporalio/activity';
import type { BronzeActivities } from '../../activities/bronze';
import type { DriftActivities } from '../../activities/drift';
import type { DayResult, HourResult, PromoteActivities } from '../../activities/promote';
import { parseHourKey } from '../../core/time';
import { gate } from '../support/temporalTest';

/** Rows every stand-in hour holds (Silver rows_in = rows_out, nothing dropped). */
export const ROWS_PER_HOUR = 10;

export interface LakeHooks {
  /** Thrown by buildHour on this (1-based) attempt of the hour, if given. */
  buildError?(hour: string, attempt: number): Error | undefined;
  /** Awaited by buildHour once it started (it has read the previous hour's state); call = its call number for the hour, from 1. */
  buildGate?(hour: string, call: number): Promise<void>;
  /** What buildHour says about the next hour's sessions (default false). */
  nextHourStale?(hour: string): boolean;
  /** Awaited by promoteDay after it read the published hours (round = its call number for the day, from 1). */
  dayGate?(dt: string, round: number): Promise<void>;
  /** Thrown by recordFailedRun, if given. */
  recordError?(hour: string): Error | undefined;
  /** Thrown by checkCtrDrift on this (1-based) attempt, if given. */
  driftError?(hour: string, attempt: number): Error | undefined;
  /** Thrown by promoteDay on this (1-based) attempt, if given. */
  dayError?(dt: string, attempt: number): Error | undefined;
}

/** Holds the first call of a stand-in at a gate: it says it started, then waits for the test's release. */
export interface Hold {
  /** Resolves once the first call reached the hold. */
  readonly started: Promise<void>;
  release(): void;
  /** For a gate hook: holds call 1, lets every later call through. */
  wait(call: number): Promise<void>;
}

export function holdFirstCall(): Hold {
  const started = gate();
  const released = gate();
  return {
    started: started.opened,
    release: released.open,
    async wait(call) {
      if (call !== 1) return;
      started.open();
      await released.opened;
    },
  };
}

export interface DayCall {
  readonly dt: string;
  readonly workflowId: string;
  readonly runId: string;
  /** The published hours this round read, in order. */
  readonly hours: string[];
}

export interface LakeCalls {
  readonly buildHour: string[];
  readonly publishHour: string[];
  readonly recordFailedRun: Array<{ hour: string; error: string; workflowId: string }>;
  readonly checkCtrDrift: string[];
  readonly promoteDay: DayCall[];
}

type PromoteStandIns = Pick<PromoteActivities, 'buildHour' | 'publishHour' | 'recordFailedRun' | 'promoteDay'>;
type BronzeStandIns = Pick<BronzeActivities, 'captureEndOffsets' | 'waitForBronze'>;
type DriftStandIns = Pick<DriftActivities, 'checkCtrDrift'>;

export interface StandInLake {
  readonly activities: PromoteStandIns & BronzeStandIns & DriftStandIns;
  readonly calls: LakeCalls;
}

export function standInLake(hooks: LakeHooks = {}): StandInLake {
  const published = new Map<string, Set<string>>();
  const calls: LakeCalls = { buildHour: [], publishHour: [], recordFailedRun: [], checkCtrDrift: [], promoteDay: [] };
  const ledger = { rows_in: ROWS_PER_HOUR, rows_out: ROWS_PER_HOUR, duplicates: 0, rejected: 0, late: 0, erased: 0 };

  const promote = {
    async buildHour(input) {
      calls.buildHour.push(input.hour);
      await hooks.buildGate?.(input.hour, calls.buildHour.filter((hour) => hour === input.hour).length);
      const error = hooks.buildError?.(input.hour, Context.current().info.attempt);
      if (error) throw error;
      return {
        hour: input.hour,
        version: input.version,
        silver: ledger,
        gold: ledger,
        goldRows: 1,
        silverLocation: `s3://lake/silver/${input.hour}/v=${input.version}/`,
        goldLocation: `s3://lake/gold/${input.hour}/v=${input.version}/`,
        nextHourStale: hooks.nextHourStale?.(input.hour) ?? false,
      } satisfies HourResult;
    },
    async publishHour(input) {
      calls.publishHour.push(input.result.hour);
      const { dt } = parseHourKey(input.result.hour);
      published.set(dt, (published.get(dt) ?? new Set()).add(input.result.hour));
    },
    async recordFailedRun(input) {
      calls.recordFailedRun.push({ hour: input.hour, error: input.error, workflowId: input.workflowId });
      const error = hooks.recordError?.(input.hour);
      if (error) throw error;
    },
    async promoteDay(input) {
      // Like the real one: read the day's published hours first, then compute (held here at the gate).
      const hours = [...(published.get(input.dt) ?? [])].sort();
      calls.promoteDay.push({ dt: input.dt, workflowId: input.workflowId, runId: input.runId, hours });
      const round = calls.promoteDay.filter((call) => call.dt === input.dt).length;
      await hooks.dayGate?.(input.dt, round);
      const error = hooks.dayError?.(input.dt, Context.current().info.attempt);
      if (error) throw error;
      const rows = { campaign_daily: hours.length, dau_daily: hours.length, title_plays_daily: hours.length };
      return { dt: input.dt, version: input.version, silverRows: hours.length * ROWS_PER_HOUR, hoursRead: hours.length, rows } satisfies DayResult;
    },
  } satisfies PromoteStandIns;

  const bronze = {
    async captureEndOffsets() {
      return { '0': 0 };
    },
    async waitForBronze(input) {
      return input.endOffsets;
    },
  } satisfies BronzeStandIns;

  const drift = {
    async checkCtrDrift(input) {
      calls.checkCtrDrift.push(input.hour);
      const error = hooks.driftError?.(input.hour, Context.current().info.attempt);
      if (error) throw error;
      return { hour: input.hour, campaigns: 0, impressions: 0, clicks: 0, differing: [] };
    },
  } satisfies DriftStandIns;

  return { activities: { ...promote, ...bronze, ...drift }, calls };
}
