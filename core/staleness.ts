/**
 * Staleness of a published hour, exactly and cheaply: every published Silver version records the
 * Bronze it covered (`_coverage.json` beside its data: the manifest of every object it read and how
 * many records of the hour that manifest commits). Bronze announces each object holding events of
 * an hour with a marker in the hour index, written before the object's manifest commits it. So the
 * hour is STALE exactly when its index names a committed manifest the version did not read: events
 * arrived (late, or from a partition's backlog) after the run captured its input. Deciding it takes
 * one LIST of the hour index and one GET of the coverage, plus the manifests of the uncovered
 * objects to count the waiting events; never a read of an object.
 */
import { JsonFields, isIndex } from './json';
import { parseHourKey } from './time';

export interface HourCoverage {
  readonly hour: string;
  /** Manifest key → records of the hour it commits, for every Bronze object the version read. */
  readonly manifests: Readonly<Record<string, number>>;
}

/** The coverage record of a version that read these manifests (key, records of the hour). */
export function coverageOf(hour: string, manifests: Iterable<readonly [key: string, records: number]>): HourCoverage {
  const entries = [...manifests].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { hour: parseHourKey(hour).key, manifests: Object.fromEntries(entries) };
}

/** A coverage record read back from the lake (parsed, never cast); BadInputError naming the field. */
export function parseCoverage(json: unknown, path = 'coverage'): HourCoverage {
  const fields = JsonFields.of(json, path);
  const hour = fields.string('hour', 'an hour YYYY-MM-DDTHH', (text) => /^\d{4}-\d{2}-\d{2}T\d{2}$/.test(text));
  const manifests = fields.object('manifests') ?? {};
  const bad = Object.values(manifests).filter((n) => !isIndex(n, Number.MAX_SAFE_INTEGER)).length;
  if (bad > 0) fields.fail('manifests', `record counts must be whole numbers ≥ 0 (${bad} are not)`);
  JsonFields.throwIfErrors(fields);
  return { hour, manifests: manifests as Readonly<Record<string, number>> };
}

/**
 * The manifests the hour index names that the version did not read, sorted. A version without a
 * coverage record (written before coverage existed) is taken to have read nothing: every manifest
 * is uncovered, so such an hour is STALE and the next reconciliation makes it exact and recorded.
 */
export function uncoveredManifests(coverage: HourCoverage | undefined, indexManifests: readonly string[]): string[] {
  const read = coverage?.manifests ?? {};
  return [...new Set(indexManifests)].filter((key) => !Object.hasOwn(read, key)).sort();
}

export type HourFreshness =
  | { readonly state: 'unpublished' }
  | { readonly state: 'fresh' }
  | { readonly state: 'stale'; readonly waiting_events: number; readonly uncovered_objects: number };

/**
 * The freshness of an hour from its published coverage (undefined: never published) and the
 * uncovered manifests' record counts of the hour. An uncovered manifest committing no record of the
 * hour (its marker written, its records all of other hours) does not make the hour stale.
 */
export function hourFreshness(published: boolean, uncoveredRecords: readonly number[]): HourFreshness {
  if (!published) return { state: 'unpublished' };
  const waiting = uncoveredRecords.filter((n) => n > 0);
  if (waiting.length === 0) return { state: 'fresh' };
  return { state: 'stale', waiting_events: waiting.reduce((sum, n) => sum + n, 0), uncovered_objects: waiting.length };
}

/** A compacted Bronze object, as coverage sees it: its manifest and what the manifests it replaced held of the hour. */
export interface CoverageReplacement {
  readonly merged: string;
  /** Replaced manifest key → records of the hour it committed (0 or absent: none). */
  readonly replaced: Readonly<Record<string, number>>;
}

/**
 * Compaction-aware coverage: a version that read every replaced manifest holding records of the
 * hour (with the same counts) has read every record of the hour the merged object holds, so the
 * merged manifest is added to its coverage with their sum. A merged object replacing anything the
 * version did not read stays uncovered: those records are still waiting, and the hour STALE.
 * Returns the coverage unchanged (the same object) when no replacement applies.
 */
export function coverageAfterCompaction(coverage: HourCoverage, replacements: readonly CoverageReplacement[]): HourCoverage {
  const added: Array<[string, number]> = [];
  for (const { merged, replaced } of replacements) {
    if (Object.hasOwn(coverage.manifests, merged)) continue;
    const holding = Object.entries(replaced).filter(([, n]) => n > 0);
    if (holding.length === 0) continue;
    if (holding.every(([key, n]) => coverage.manifests[key] === n)) added.push([merged, holding.reduce((sum, [, n]) => sum + n, 0)]);
  }
  if (added.length === 0) return coverage;
  return coverageOf(coverage.hour, [...Object.entries(coverage.manifests), ...added]);
}
