/**
 * Quality gates of a promotion run: beside its ledger, each run of an hour measures the share of its
 * records rejected and duplicated, its volume against the same hour of the previous days, and the
 * share of missing key dimensions (campaign_id on ad events, device_type, country). Above a warning
 * threshold the run publishes and `status` flags it; above a blocking threshold it fails with the
 * reason instead of publishing poisoned numbers, unless the run was asked to accept the quality.
 */
import type { Ledger } from './ledger';

export interface QualityFigures {
  /** rejected / rows_in (0 for an empty hour). */
  readonly reject_rate: number;
  /** duplicates / rows_in. */
  readonly duplicate_rate: number;
  /** rows_in / the median rows_in of the same hour on the previous days; null without a baseline. */
  readonly volume_ratio: number | null;
  /** Ad events (impressions, clicks) read without a campaign_id / all ad events read. */
  readonly null_rate_campaign: number;
  /** Kept events without device_type / kept events. */
  readonly null_rate_device_type: number;
  /** Kept events without country / kept events. */
  readonly null_rate_country: number;
}

/** A figure's warning and blocking bounds (a rate above `block` blocks; 1 or more never blocks a rate). */
export interface Bounds {
  readonly warn: number;
  readonly block: number;
}

export interface QualityThresholds {
  readonly rejectRate: Bounds;
  readonly duplicateRate: Bounds;
  /** The volume bound is a factor f ≥ 1: flagged when the ratio is above f or below 1/f. */
  readonly volumeFactor: Bounds;
  readonly nullRate: Bounds;
}

/** Defaults: more than 20% of the hour's records rejected blocks; everything else only warns. */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  rejectRate: { warn: 0.05, block: 0.2 },
  duplicateRate: { warn: 0.1, block: 1 },
  volumeFactor: { warn: 3, block: Number.POSITIVE_INFINITY },
  nullRate: { warn: 0.5, block: 1 },
};

export type QualityLevel = 'ok' | 'warn' | 'block';

/**
 * What a run records of its quality: the figures, and `ok`, `warn` (published, flagged) or
 * `accepted` (a blocking level published because the run was asked to accept it).
 */
export interface RunQuality {
  readonly figures: QualityFigures;
  readonly level: 'ok' | 'warn' | 'accepted';
  readonly reasons: readonly string[];
}

export interface QualityVerdict {
  readonly level: QualityLevel;
  /** One line per figure past a bound, e.g. `reject_rate 0.31 > block 0.2`. */
  readonly reasons: readonly string[];
}

const rate = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);

/** The figures of a run from its ledger, its null counts and the baseline (median rows_in of the previous days' same hour). */
export function qualityFigures(
  ledger: Ledger,
  nulls: { readonly adEvents: number; readonly adWithoutCampaign: number; readonly kept: number; readonly withoutDeviceType: number; readonly withoutCountry: number },
  baselineRowsIn: number | null,
): QualityFigures {
  return {
    reject_rate: rate(ledger.rejected, ledger.rows_in),
    duplicate_rate: rate(ledger.duplicates, ledger.rows_in),
    volume_ratio: baselineRowsIn === null || baselineRowsIn === 0 ? null : ledger.rows_in / baselineRowsIn,
    null_rate_campaign: rate(nulls.adWithoutCampaign, nulls.adEvents),
    null_rate_device_type: rate(nulls.withoutDeviceType, nulls.kept),
    null_rate_country: rate(nulls.withoutCountry, nulls.kept),
  };
}

/** The median of the previous days' rows_in of the same hour (hours with no run left out); null when there are none. */
export function volumeBaseline(previous: readonly number[]): number | null {
  if (previous.length === 0) return null;
  const sorted = [...previous].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fmt = (n: number): string => String(Math.round(n * 10_000) / 10_000);

/** How far the volume is from its baseline, as a factor ≥ 1 (2 for half or double). */
function volumeFactor(ratio: number): number {
  return ratio === 0 ? Number.POSITIVE_INFINITY : Math.max(ratio, 1 / ratio);
}

/** Judges the figures against the thresholds: the worst level reached, and every figure past a bound. */
export function judgeQuality(figures: QualityFigures, thresholds: QualityThresholds): QualityVerdict {
  const checks: Array<readonly [string, number | null, number, Bounds]> = [
    ['reject_rate', figures.reject_rate, figures.reject_rate, thresholds.rejectRate],
    ['duplicate_rate', figures.duplicate_rate, figures.duplicate_rate, thresholds.duplicateRate],
    ['volume_ratio', figures.volume_ratio, figures.volume_ratio === null ? 0 : volumeFactor(figures.volume_ratio), thresholds.volumeFactor],
    ['null_rate_campaign', figures.null_rate_campaign, figures.null_rate_campaign, thresholds.nullRate],
    ['null_rate_device_type', figures.null_rate_device_type, figures.null_rate_device_type, thresholds.nullRate],
    ['null_rate_country', figures.null_rate_country, figures.null_rate_country, thresholds.nullRate],
  ];
  let level: QualityLevel = 'ok';
  const reasons: string[] = [];
  for (const [name, shown, measure, bounds] of checks) {
    if (shown === null) continue;
    const unit = name === 'volume_ratio' ? ` (${fmt(measure)}x off the baseline)` : '';
    if (measure > bounds.block) {
      level = 'block';
      reasons.push(`${name} ${fmt(shown)}${unit} > block ${fmt(bounds.block)}`);
    } else if (measure > bounds.warn) {
      if (level === 'ok') level = 'warn';
      reasons.push(`${name} ${fmt(shown)}${unit} > warn ${fmt(bounds.warn)}`);
    }
  }
  return { level, reasons };
}

/** The days before `dt`, newest first (`YYYY-MM-DD`), for the volume baseline. */
export function previousDays(dt: string, days: number): string[] {
  const start = Date.parse(`${dt}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(start - (i + 1) * 86_400_000).toISOString().slice(0, 10));
}

/**
 * rows_in of the latest published silver run of hour `hr` on each of `days` (one row per day that has
 * one): the volume baseline's input. Rows written before the status column read NULL: published.
 */
export function volumeBaselineSql(hr: string, days: readonly string[], catalog = 'lake'): string {
  const list = days.map((d) => `'${d}'`).join(', ');
  return (
    `SELECT dt, rows_in FROM (SELECT dt, rows_in, status, row_number() OVER (PARTITION BY dt ORDER BY finished_at DESC) AS n ` +
    `FROM ${catalog}.audit.hour_runs WHERE layer = 'silver' AND hr = '${hr}' AND dt IN (${list})) WHERE n = 1 AND coalesce(status, 'published') = 'published'`
  );
}
