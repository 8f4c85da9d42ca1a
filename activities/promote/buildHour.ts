/**
 * Builds Silver and hourly Gold of an hour under the run's version, unpublished, in four steps:
 * download the hour's Bronze (and read the erasure list, whose users' records the build drops), run the DuckDB build (activities/silverSql.ts), check what was written
 * against the ledgers (core/promotionChecks.ts: a failed check fails the run at once, FAILED),
 * upload the version; and say whether the next, published hour must be sessionized again.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';
import * as path from 'node:path';
import { GOLD_CTR_HOURLY, partitionPrefix, SILVER_EVENTS, SILVER_QUARANTINE } from '../../core/lakeTables';
import { checkHourBuild } from '../../core/promotionChecks';
import { erasureListFingerprint, erasureRule, isErased, type ErasureRule } from '../../core/erasure';
import { readErasureList } from '../erasure/list';
import { QualityGateError } from '../../core/errors';
import { judgeQuality, previousDays, qualityFigures, volumeBaseline, volumeBaselineSql, type QualityThresholds, type RunQuality } from '../../core/quality';
import { nextHourSessionsChanged, sessionStateToJson, type SessionCursor } from '../../core/silver';
import type { HourCoverage } from '../../core/staleness';
import { HOUR_MS, hourKey, parseHourKey } from '../../core/time';
import { publishedLocation } from '../lake';
import { uploadFile } from '../parquet';
import { buildSilverHour, type SilverHourOutput } from '../silverSql';
import { withTempDir } from '../tempDir';
import type { HourResult, RunIdentity } from '../promote';
import { COVERAGE, downloadBronze, heartbeating, PART, priorSessions, publishedSessions, SESSIONS, type Lake } from './lake';

/**
 * Uploads the version's Silver file with its session state and its coverage (the Bronze it read),
 * its quarantine file, and the Gold file; returns their locations.
 */
async function uploadVersion(lake: Lake, version: string, files: { silver: string; gold: string; quarantine: string }, endState: Map<string, SessionCursor>, coverage: HourCoverage) {
  const { dt, hr } = parseHourKey(coverage.hour);
  const silverPrefix = partitionPrefix(SILVER_EVENTS, { dt, hr }, version);
  await uploadFile(lake.s3, lake.bucket, `${silverPrefix}${PART}`, files.silver);
  await lake.s3.send(new PutObjectCommand({ Bucket: lake.bucket, Key: `${silverPrefix}${SESSIONS}`, Body: JSON.stringify(sessionStateToJson(endState)) }));
  await lake.s3.send(new PutObjectCommand({ Bucket: lake.bucket, Key: `${silverPrefix}${COVERAGE}`, Body: JSON.stringify(coverage), ContentType: 'application/json' }));
  const goldPrefix = partitionPrefix(GOLD_CTR_HOURLY, { dt, hr }, version);
  await uploadFile(lake.s3, lake.bucket, `${goldPrefix}${PART}`, files.gold);
  const quarantinePrefix = partitionPrefix(SILVER_QUARANTINE, { dt, hr }, version);
  await uploadFile(lake.s3, lake.bucket, `${quarantinePrefix}${PART}`, files.quarantine);
  return { silverLocation: `s3://${lake.bucket}/${silverPrefix}`, goldLocation: `s3://${lake.bucket}/${goldPrefix}`, quarantineLocation: `s3://${lake.bucket}/${quarantinePrefix}` };
}

/**
 * The next hour's derived sessions start from this hour's end state: if the new state changes what
 * reaches the next hour, and that hour is published, it must be sessionized again.
 */
async function nextHourStale(lake: Lake, hour: string, endState: Map<string, SessionCursor>): Promise<boolean> {
  const next = parseHourKey(hourKey(parseHourKey(hour).startMs + HOUR_MS));
  const before = (await publishedSessions(lake, hour)) ?? new Map<string, SessionCursor>();
  if (!nextHourSessionsChanged(before, endState, next.startMs)) return false;
  return (await publishedLocation(lake.s3, lake.bucket, SILVER_EVENTS, { dt: next.dt, hr: next.hr })) !== undefined;
}

/**
 * The run's quality (core/quality.ts): its figures against the thresholds, with the volume baseline
 * from the audit table (the same hour on the previous 7 days). A blocking level fails the run with a
 * QualityGateError before anything is uploaded, unless the run accepts it.
 */
async function judgeRun(lake: Lake, hour: string, built: SilverHourOutput, thresholds: QualityThresholds, acceptQuality: boolean): Promise<RunQuality> {
  const { dt, hr } = parseHourKey(hour);
  const previous = await lake.presto.queryObjects(volumeBaselineSql(hr, previousDays(dt, 7)));
  const figures = qualityFigures(built.ledger, built.nulls, volumeBaseline(previous.map((row) => Number(row.rows_in))));
  const verdict = judgeQuality(figures, thresholds);
  if (verdict.level === 'block' && !acceptQuality) {
    throw new QualityGateError(`quality ${hour}: ${verdict.reasons.join('; ')} (promote --accept-quality publishes it anyway)`);
  }
  if (verdict.level !== 'ok') log.warn('quality gate', { hour, level: verdict.level, reasons: verdict.reasons, accepted: acceptQuality });
  return { figures, level: verdict.level === 'block' ? 'accepted' : verdict.level, reasons: verdict.reasons };
}

/** The cursors of users the rule does not erase (a cursor's last event dated up to the request goes). */
function withoutErasedCursors(state: Map<string, SessionCursor>, rule: ErasureRule): Map<string, SessionCursor> {
  if (rule.size === 0) return state;
  return new Map([...state].filter(([key, cursor]) => !isErased(rule, key, cursor.lastEventMs)));
}

export interface BuildSettings {
  readonly hmacKey: string;
  readonly quality: QualityThresholds;
}

export async function buildHour(lake: Lake, settings: BuildSettings, input: { hour: string; acceptQuality?: boolean } & RunIdentity): Promise<HourResult> {
  const { hmacKey } = settings;
  const { key: hour } = parseHourKey(input.hour);
  return withTempDir(`clicklake-promote-${hour}-`, async (dir) => {
    const bronze = await downloadBronze(lake, hour, dir);
    // Read after Bronze: a request already in the list when the objects were read is applied to them.
    const erasures = await readErasureList(lake.s3, lake.bucket);
    const files = { silver: path.join(dir, 'silver.parquet'), gold: path.join(dir, 'gold.parquet'), quarantine: path.join(dir, 'quarantine.parquet') };
    // An erased user's cursor goes too: it must not carry their user_key into this hour's session state.
    const priorState = withoutErasedCursors(await priorSessions(lake, hour), erasureRule(erasures));
    const built = await heartbeating({ hour, step: 'duckdb' }, () =>
      buildSilverHour({ bronzeFiles: bronze.files, hour, priorState, hmacKey, erasure: erasureRule(erasures), silverFile: files.silver, goldFile: files.gold, quarantineFile: files.quarantine }),
    );
    // Records erased before they reached an object (at ingestion, or by an erasure's rewrite) count in the hour's ledger.
    const ledger = { ...built.ledger, rows_in: built.ledger.rows_in + bronze.erasedRows, erased: built.ledger.erased + bronze.erasedRows };
    const ledgers = checkHourBuild(hour, { ...built, ledger, manifestRows: bronze.manifestRows + bronze.erasedRows });
    for (const rejection of built.rejections.slice(0, 20)) {
      log.warn('rejected by re-validation', { hour, topic: rejection.topic, partition: rejection.partition, offset: rejection.offset, errors: rejection.errors });
    }
    const quality = await judgeRun(lake, hour, built, settings.quality, input.acceptQuality === true);
    const locations = await uploadVersion(lake, input.version, files, built.endState, bronze.coverage);
    const erasureList = erasureListFingerprint(erasures);
    return { hour, version: input.version, ...ledgers, goldRows: built.goldRows, ...locations, nextHourStale: await nextHourStale(lake, hour, built.endState), quality, ...(erasureList === '' ? {} : { erasureList }) };
  });
}
