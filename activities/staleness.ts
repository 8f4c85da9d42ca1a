/**
 * The freshness of an hour's published Silver version against Bronze now (core/staleness.ts): one
 * LIST of the hour index, one GET of the version's coverage record, and a GET of each manifest the
 * version did not read (to count the events waiting); no Bronze object is read.
 */
import { readManifest } from './bronze';
import { partitionPrefix, SILVER_EVENTS } from '../core/lakeTables';
import { hourFreshness, uncoveredManifests, type HourFreshness } from '../core/staleness';
import { parseHourKey } from '../core/time';
import { versionOfKey } from '../core/versions';
import { keyOfLocation, publishedLocation } from './lake';
import { hourManifestKeys, publishedCoverage, type Lake } from './promote/lake';

export async function hourStaleness(lake: Lake, hour: string): Promise<HourFreshness & { readonly version: string | null }> {
  const { dt, hr } = parseHourKey(hour);
  const location = await publishedLocation(lake.s3, lake.bucket, SILVER_EVENTS, { dt, hr });
  if (location === undefined) return { ...hourFreshness(false, []), version: null };
  const version = versionOfKey(partitionPrefix(SILVER_EVENTS, { dt, hr }), keyOfLocation(location, lake.bucket)) ?? null;
  const [coverage, index] = await Promise.all([publishedCoverage(lake, location), hourManifestKeys(lake, hour)]);
  const uncovered = uncoveredManifests(coverage, index);
  const counts = await Promise.all(uncovered.map(async (key) => (await readManifest(lake.s3, lake.bucket, key)).hourHistogram[hour] ?? 0));
  return { ...hourFreshness(true, counts), version };
}
