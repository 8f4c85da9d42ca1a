/**
 * Compaction on the real stack (workflow compactDay on the stack's worker). Bronze objects are
 * written with the ingestion's own writer under a topic of this run's own, in random days of 2025
 * where no other traffic is; compaction is scoped to that topic, so no other Bronze is touched.
 *  - compaction merges a day's objects; a promotion afterwards gives the same Silver rows, Gold and
 *    ledgers; the hour is not STALE; retention deletes unpublished versions and never the published
 *    one; rollback publishes a kept version and refuses a deleted one, naming it;
 *  - compaction while a promotion of the same day runs changes nothing in the promotion's result.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client } from '@temporalio/client';
import { connectTemporal, createS3, Presto } from '../../activities/clients';
import { putBronzeObject } from '../../activities/bronze';
import { decompress } from '@mongodb-js/zstd';
import { deleteReplaced, mergeGroup, partitionVersions } from '../../activities/compaction';
import { readManifest } from '../../activities/bronze';
import { hourManifestKeys } from '../../activities/promote/lake';
import { getBytes } from '../../activities/s3Objects';
import { rollbackDay, rollbackHour } from '../../activities/rollback';
import { hourStaleness } from '../../activities/staleness';
import { zonePrefix } from '../../core/lake';
import { parseBronzeLine, parseManifest, type BronzeRecord } from '../../core/bronze';
import { planBronzeCompaction } from '../../core/compaction';
import { BadInputError } from '../../core/errors';
import { GOLD_CAMPAIGN_DAILY, GOLD_CTR_HOURLY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, SILVER_EVENTS, SILVER_QUARANTINE, type TableDef } from '../../core/lakeTables';
import { HOUR_MS, MINUTE_MS, dayOf, hourKey } from '../../core/time';
import type { EventRecord } from '../../schemas/eventRecord';
import { runPromoteDay, runPromoteHour } from '../../workers/lakeCommands';
import { compactDay, type CompactDayInput } from '../../workflows/compactDay';
import { eventRecord } from '../unit/eventFixtures';
import { repoPath } from '../../infra/repo';
import { stackConfig, uniqueName } from '../support/stack';
import { randomTestDayMs } from '../support/isolatedHour';

const config = stackConfig();
jest.setTimeout(180_000);

describe('compaction of a closed day', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const lake = { s3, presto, bucket: config.s3.bucket };
  const run = uniqueName('compact');
  /** Each test writes under a topic of its own (offset ranges of one topic-partition are one history). */
  let topic = '';
  const newTopic = (): void => {
    topic = `clicklake.${uniqueName(run).replace(/_/g, '-')}`;
  };
  let temporal: Client;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const connection = await connectTemporal(config.temporal);
    temporal = new Client({ connection, namespace: config.temporal.namespace });
    close = () => connection.close();
  });
  afterAll(async () => {
    await close();
    s3.destroy();
  });

  /** A random day of 2025 (not the last one, so the day after is 2025 too). */
  const randomDay = randomTestDayMs;

  /** Event n of partition p at `time`: impressions, clicks, plays and page views of a few users. */
  function record(p: number, offset: number, time: number): BronzeRecord {
    const n = p * 1000 + offset;
    const kind = (['ad_impression', 'ad_impression', 'ad_click', 'video_play', 'page_view'] as const)[n % 5] as EventRecord['event_type'];
    const ad = kind === 'ad_impression' || kind === 'ad_click' ? { campaign_id: `c-${run}-${n % 3}`, ad_id: `a${n % 2}` } : {};
    const video = kind === 'video_play' ? { title_id: `t-${run}-${n % 2}` } : {};
    const event = eventRecord({ event_id: `${run}-${p}-${offset}`, event_type: kind, event_time: time, user_id: `user-${run}-${n % 7}`, received_time: time + MINUTE_MS, device_type: n % 2 ? 'ios' : 'web', ...ad, ...video });
    return { topic, partition: p, offset, kafka_timestamp_ms: event.received_time, schema_id: 1, received_time: event.received_time, event };
  }

  /** `objects` objects of `size` records on partition p from offset 0; record j of object k at timeOf(k, j). */
  async function writeObjects(p: number, objects: number, size: number, timeOf: (k: number, j: number) => number): Promise<void> {
    for (let k = 0; k < objects; k += 1) {
      const records = Array.from({ length: size }, (_, j) => record(p, k * size + j, timeOf(k, j)));
      await putBronzeObject(s3, config.s3.bucket, { topic, partition: p, firstOffset: k * size, lastOffset: k * size + size - 1 }, records);
    }
  }

  async function bronzeObjects(): Promise<string[]> {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: config.s3.bucket, Prefix: `${zonePrefix('bronze')}events/topic=${topic}/` }));
    return (out.Contents ?? []).map((o) => o.Key ?? '');
  }

  const compact = (input: CompactDayInput) =>
    temporal.workflow.execute(compactDay, { workflowId: uniqueName(`compact-day-${input.dt}`), taskQueue: config.temporal.taskQueue, args: [{ topics: [topic], graceMs: 0, ...input }] });

  /** Silver rows of the hours, ctr_hourly of the hours, the three daily tables of the day. */
  async function snapshot(dt: string, hours: readonly string[]): Promise<Record<string, unknown>> {
    const hrs = hours.map((h) => `'${h.slice(11)}'`).join(', ');
    const q = (sql: string) => presto.queryObjects(sql);
    return {
      silver: await q(`SELECT * FROM lake.silver.events WHERE dt = '${dt}' AND hr IN (${hrs}) ORDER BY event_id`),
      ctr_hourly: await q(`SELECT * FROM lake.gold.ctr_hourly WHERE dt = '${dt}' AND hr IN (${hrs}) ORDER BY hr, campaign_id`),
      campaign_daily: await q(`SELECT * FROM lake.gold.campaign_daily WHERE dt = '${dt}' ORDER BY campaign_id`),
      dau_daily: await q(`SELECT * FROM lake.gold.dau_daily WHERE dt = '${dt}' ORDER BY device_type`),
      title_plays_daily: await q(`SELECT * FROM lake.gold.title_plays_daily WHERE dt = '${dt}' ORDER BY title_id`),
    };
  }

  async function promoteAll(dt: string, hours: readonly string[]) {
    const results = [];
    for (const hour of hours) results.push(await runPromoteHour(config, hour));
    await runPromoteDay(config, dt);
    return results;
  }

  it('merges the objects; a promotion afterwards gives the same Silver, Gold and ledgers; retention and rollback', async () => {
    newTopic();
    const d0 = randomDay();
    const dt = dayOf(d0);
    const hours = [hourKey(d0 + 5 * HOUR_MS), hourKey(d0 + 6 * HOUR_MS)];
    const at = (k: number, j: number) => d0 + (5 + ((k + j) % 2)) * HOUR_MS + (k * 7 + j) * MINUTE_MS;
    await writeObjects(0, 8, 5, at);
    await writeObjects(1, 8, 5, at);
    // An object holding the last hour of the day and the first of the next: it stays as it is.
    await writeObjects(2, 1, 4, (_, j) => d0 + 23 * HOUR_MS + 50 * MINUTE_MS + j * 4 * MINUTE_MS);
    const before = await bronzeObjects();
    expect(before).toHaveLength(17);

    const first = await promoteAll(dt, hours);
    const reference = await snapshot(dt, hours);
    expect((reference.silver as unknown[]).length).toBe(80);

    const result = await compact({ dt });
    expect(result.dt).toBe(dt);
    expect(result.bronze).toMatchObject({ objects_before: 17, objects_after: 3 });
    expect(result.bronze.bytes_after).toBe(result.bronze.bytes_before);
    expect(result.versions_deleted).toBe(0);
    const after = await bronzeObjects();
    expect(after).toHaveLength(3);
    expect(after).toContain(before.find((k) => k.includes('partition=00002')));
    // The published versions read the replaced manifests: compaction keeps them fresh.
    for (const [i, hour] of hours.entries()) expect(await hourStaleness(lake, hour)).toEqual({ state: 'fresh', version: first[i]?.version });

    const second = await promoteAll(dt, hours);
    expect(second.map((r) => r.silver)).toEqual(first.map((r) => r.silver));
    expect(second.map((r) => r.gold)).toEqual(first.map((r) => r.gold));
    expect(await snapshot(dt, hours)).toEqual(reference);
    for (const [i, hour] of hours.entries()) expect(await hourStaleness(lake, hour)).toEqual({ state: 'fresh', version: second[i]?.version });

    // Rollback of the first hour to its first version; then retention keeping only what is published.
    const [h0, h1] = hours as [string, string];
    const v1 = first[0]?.version as string;
    const v2 = second[0]?.version as string;
    const rolled = await rollbackHour(lake, h0, v1, Date.now());
    expect(rolled.tables.map((t) => [t.table, t.previous])).toEqual([['silver.events', v2], ['gold.ctr_hourly', v2]]);
    expect(await hourStaleness(lake, h0)).toEqual({ state: 'fresh', version: v1 });
    // Rollback of the day's daily Gold to its oldest version (the first day run may have seen one hour
    // only), recorded as manual restatements; then back to the newest.
    const daily = await partitionVersions(lake, GOLD_CAMPAIGN_DAILY as TableDef, { dt });
    const oldest = [...daily.versions].sort()[0] as string;
    expect(oldest).not.toBe(daily.published);
    const day = await rollbackDay(lake, dt, oldest, Date.now());
    expect(day.tables.map((t) => [t.table, t.previous])).toEqual(['campaign_daily', 'dau_daily', 'title_plays_daily'].map((t) => [`gold.${t}`, daily.published]));
    expect((await partitionVersions(lake, GOLD_DAU_DAILY as TableDef, { dt })).published).toBe(oldest);
    const recorded = await presto.queryObjects(`SELECT table_name, count(*) AS n FROM lake.audit.restatements WHERE dt = '${dt}' AND reason = 'manual' AND new_version = '${oldest}' GROUP BY table_name ORDER BY table_name`);
    // The oldest day run saw the first hour only: its campaigns' rows differ, so something was recorded.
    expect(day.tables[0]?.restated).toBeGreaterThan(0);
    expect(recorded).toEqual(day.tables.filter((t) => t.restated > 0).map((t) => ({ table_name: t.table.slice(5), n: t.restated })));
    await rollbackDay(lake, dt, daily.published as string, Date.now());
    const partitions = [...hours.flatMap((h) => [SILVER_EVENTS, SILVER_QUARANTINE, GOLD_CTR_HOURLY].map((def) => ({ def: def as TableDef, values: { dt, hr: h.slice(11) } }))), ...[GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY].map((def) => ({ def: def as TableDef, values: { dt } }))];
    const kept = await Promise.all(partitions.map(({ def, values }) => partitionVersions(lake, def, values)));
    const retained = await compact({ dt, retention: { keepNewest: 0, keepDays: 0 } });
    // Everything but the published version of each partition (h0: v1 now, so v2 goes).
    expect(retained.versions_deleted).toBe(kept.reduce((sum, k) => sum + k.versions.length - 1, 0));
    expect(retained.versions_deleted).toBeGreaterThanOrEqual(7);
    const left = await Promise.all(partitions.map(({ def, values }) => partitionVersions(lake, def, values)));
    expect(left).toEqual(kept.map((k) => ({ versions: [k.published], published: k.published })));
    expect(retained.bronze).toMatchObject({ objects_before: 3, objects_after: 3 });
    await expect(rollbackHour(lake, h0, v2, Date.now())).rejects.toThrow(new BadInputError(`--version: silver.events ${h0} has no version ${v2} (never written, or deleted by retention)`));
    await expect(rollbackHour(lake, h1, first[1]?.version as string, Date.now())).rejects.toThrow(BadInputError);
    // The CLI: exit 1, one line naming the version (and with --json the error as the one document).
    const cli = await promisify(execFile)(process.execPath, [repoPath('bin', 'clicklake.js'), 'rollback', '--hour', h0, '--version', v2, '--json']).then(
      () => undefined,
      (err: { code?: number; stdout?: string; stderr?: string }) => err,
    );
    const message = `--version: silver.events ${h0} has no version ${v2} (never written, or deleted by retention)`;
    expect({ code: cli?.code, stdout: JSON.parse(cli?.stdout ?? 'null') as unknown, stderr: cli?.stderr }).toEqual({ code: 1, stdout: { error: message, exit_code: 1 }, stderr: `clicklake: ${message}\n` });
    expect(await snapshot(dt, hours)).toEqual(reference);
  });

  it('compaction while a promotion of the same day runs changes nothing in its result', async () => {
    newTopic();
    const d0 = randomDay();
    const dt = dayOf(d0);
    const hour = hourKey(d0 + 9 * HOUR_MS);
    for (const p of [0, 1, 2]) await writeObjects(p, 30, 10, (k, j) => d0 + 9 * HOUR_MS + (k + j) * MINUTE_MS);
    const reference = await runPromoteHour(config, hour);
    const silver = await snapshot(dt, [hour]);

    const [during, compacted] = await Promise.all([runPromoteHour(config, hour), compact({ dt })]);
    expect(compacted.bronze).toMatchObject({ objects_before: 90, objects_after: 3 });
    expect(during.silver).toEqual(reference.silver);
    expect(during.gold).toEqual(reference.gold);
    const afterwards = await snapshot(dt, [hour]);
    expect(afterwards.silver).toEqual(silver.silver);
    expect(afterwards.ctr_hourly).toEqual(silver.ctr_hourly);
    expect(await bronzeObjects()).toHaveLength(3);
  });

  /**
   * What a promotion reads from a listing of the hour index: each manifest, then its object, the
   * records of the hour in it; 'retry' where a manifest or object is gone (its read fails, retriably).
   */
  async function readListing(keys: readonly string[], hour: string): Promise<number | 'retry'> {
    let records = 0;
    for (const key of keys) {
      const manifestBytes = await getBytes(s3, config.s3.bucket, key);
      if (manifestBytes === undefined) return 'retry';
      const manifest = parseManifest(JSON.parse(manifestBytes.toString('utf8')));
      const body = await getBytes(s3, config.s3.bucket, manifest.objectKey);
      if (body === undefined) return 'retry';
      const lines = (await decompress(body)).toString('utf8').split('\n').filter((line) => line !== '');
      records += lines.filter((line) => hourKey(parseBronzeLine(line).event.event_time) === hour).length;
    }
    return records;
  }

  /** The merge groups of the objects the hours' index names, as compaction plans them. */
  async function planOf(dt: string, hours: readonly string[]) {
    const keys = [...new Set((await Promise.all(hours.map((h) => hourManifestKeys(lake, h)))).flat())];
    const objects = await Promise.all(keys.map(async (key) => ({ manifestKey: key, manifest: await readManifest(s3, config.s3.bucket, key) })));
    return planBronzeCompaction(objects, dt, 1 << 30);
  }

  it('a promotion listing the index at any step of the switch, reading at any later step, reads every record once or retries', async () => {
    newTopic();
    const d0 = randomDay();
    const dt = dayOf(d0);
    const hours = [hourKey(d0 + 14 * HOUR_MS), hourKey(d0 + 15 * HOUR_MS)] as const;
    // 4 objects of 6 records, each holding both hours: every marker of both hours switches.
    await writeObjects(0, 4, 6, (k, j) => d0 + (14 + (j % 2)) * HOUR_MS + (k * 6 + j) * MINUTE_MS);
    const expected = { [hours[0]]: 12, [hours[1]]: 12 };
    const [group, ...others] = await planOf(dt, hours);
    expect(others).toEqual([]);
    expect(group?.members).toHaveLength(4);

    const listings: Array<{ step: string; hour: string; keys: string[] }> = [];
    const outcomes: Array<{ listedAt: string; readAt: string; hour: string; read: number | 'retry' }> = [];
    const checkAll = async (step: string): Promise<void> => {
      for (const hour of hours) listings.push({ step, hour, keys: await hourManifestKeys(lake, hour) });
      for (const listing of listings) outcomes.push({ listedAt: listing.step, readAt: step, hour: listing.hour, read: await readListing(listing.keys, listing.hour) });
    };
    await checkAll('before');
    await mergeGroup(lake, group!, async (step) => {
      if (!step.startsWith('read ')) await checkAll(step);
    });
    await deleteReplaced(lake, group!);
    await checkAll('replaced objects deleted');

    // Every read is exact or fails (to be retried): never a record twice, never one missed.
    expect(outcomes.filter((o) => o.read !== 'retry' && o.read !== expected[o.hour])).toEqual([]);
    // And both sides of the switch were read: the old set exactly, the merged one exactly, retries between.
    expect(outcomes.filter((o) => o.listedAt === 'before' && o.readAt === 'before').map((o) => o.read)).toEqual([12, 12]);
    expect(outcomes.filter((o) => o.listedAt === 'replaced objects deleted').map((o) => o.read)).toEqual([12, 12]);
    expect(outcomes.filter((o) => o.read === 'retry').length).toBeGreaterThan(0);
    expect(listings.length).toBe(2 * (3 + 2 * 5 + 1));
  });

  it('a compaction stopped inside its switch is finished by the next one: every hour reads its records once again', async () => {
    newTopic();
    const d0 = randomDay();
    const dt = dayOf(d0);
    const hours = [hourKey(d0 + 18 * HOUR_MS), hourKey(d0 + 19 * HOUR_MS)] as const;
    await writeObjects(0, 3, 4, (k, j) => d0 + (18 + (j % 2)) * HOUR_MS + (k * 4 + j) * MINUTE_MS);
    const [group] = await planOf(dt, hours);
    // Stopped after the first hour's merged marker: the second hour's index names deleted manifests only.
    const stop = new Error('stopped');
    await expect(mergeGroup(lake, group!, (step) => {
      if (step === `${hours[0]}: merged marker written`) throw stop;
    })).rejects.toBe(stop);
    expect(await readListing(await hourManifestKeys(lake, hours[1]), hours[1])).toBe('retry');

    const result = await compact({ dt });
    expect(result.bronze).toMatchObject({ objects_before: 1, objects_after: 1 });
    for (const hour of hours) {
      const listing = await hourManifestKeys(lake, hour);
      expect({ hour, listing: listing.length, read: await readListing(listing, hour) }).toEqual({ hour, listing: 1, read: 6 });
    }
  });
});
