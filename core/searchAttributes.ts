/**
 * Custom search attributes of the lake workflows, registered on the Temporal server at start-up so
 * every run is findable in the Web UI (e.g. `LakeHour = "2026-11-22T05" AND LakeLayer = "silver"`).
 */
export const SEARCH_ATTRIBUTES = {
  /** Dataset the run works on: `events`, `ctr_hourly`, `campaign_daily`, ... */
  LakeDataset: 'Keyword',
  /** Event hour `YYYY-MM-DDTHH` (UTC) a promotion works on. */
  LakeHour: 'Keyword',
  /** Event day `YYYY-MM-DD` (UTC) a daily run works on. */
  LakeDay: 'Keyword',
  /** `bronze`, `silver` or `gold`. */
  LakeLayer: 'Keyword',
  /** `RUNNING`, `READY`, `LATE`, `FAILED`. */
  LakeStatus: 'Keyword',
  LakeRowsIn: 'Int',
  LakeRowsOut: 'Int',
  /**
   * A backfill's counts, `done 3 failed 1 pending 2 of 6` (workflows/backfillRange.ts). A Keyword:
   * the dev server takes at most 3 Int attributes, and LakeRowsIn/Out hold two.
   */
  LakeProgress: 'Keyword',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
