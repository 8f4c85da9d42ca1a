/**
 * Erasure of a user (GDPR) on the real stack, through the CLI as an operator runs it.
 *
 * A user U has events over three hours on two days (23:00 of a random quiet day D of 2001-2025, 00:00
 * and 01:00 of D+1) beside other users' events in the same hours: valid ones, a duplicate, one invalid
 * record in Bronze (rejected by re-validation), one received past the allowed lateness; and, through
 * the collector, invalid events (refused, dead-lettered) and late ones (quarantined) with a
 * duplicate. The on-time traffic of those past hours is written to Bronze with the ingestion's own
 * writer under a topic of this run's own (as the other integration tests do: the collector receives
 * "now", so every event of 2001-2025 it takes is late); what the collector takes reaches Bronze
 * through Kafka and the always-on ingestion. The hours are promoted and Gold includes U; then
 * `delete-user --user-id U --wait --json`, and:
 *   - the erasure record is exact (counts measured here by reading Bronze before, hours, days);
 *   - Bronze (every object the hours' index names, decompressed and read here) holds no record of U,
 *     the objects it replaced are gone, the others untouched, every manifest true to its object;
 *   - Silver and the quarantine hold no row of U's key; the hour ledgers balance with `erased`;
 *   - Gold equals the truth computed here (core/truthRules.ts, core/truth.ts) without U, to the row;
 *   - each affected Silver, quarantine and Gold partition keeps one version folder, the published one;
 *   - lake.audit.restatements says, with reason `erasure`, exactly which Gold rows changed;
 *   - `status --json` lists the request; neither its Temporal history nor any service log holds the
 *     raw user_id.
 * Then (a) U's events dated up to the request arriving afterwards (Bronze directly, the collector
 * late, the collector on time in the current hour) never reach Silver, and the ledger counts them
 * erased; (b) U's events dated after the request are kept; (c) a backfill of the erased hours does not
 * bring U back; (d) V erased with `--suppress`: V's later events are dropped too; (e) W erased while a
 * backfill of the same hours runs: once both end, no Silver version holds W.
 *
 * Events dated after a request are dated after "now", so they land in the current hour, which other
 * traffic may share: there the test compares this run's own campaign and event ids, and the change of
 * the hour's `erased` count between a promotion right before its events were sent and one after.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { ConfigResourceTypes } from 'kafkajs';
import { connectTemporal, createKafka, createS3, Presto } from '../../activities/clients';
import { hourHasEvents, putBronzeObject } from '../../activities/bronze';
import type { HourResult } from '../../activities/promote';
import { publishedLocation } from '../../activities/lake';
import { backfillWorkflowId } from '../../core/backfill';
import type { BronzeRecord } from '../../core/bronze';
import type { ErasureRow } from '../../core/erasure';
import { quoteLiteral } from '../../core/lake';
import type { Ledger } from '../../core/ledger';
import { GOLD_CAMPAIGN_DAILY, GOLD_CTR_HOURLY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, SILVER_EVENTS, SILVER_QUARANTINE, type PartitionValues, type TableDef } from '../../core/lakeTables';
import { userKey } from '../../core/silver';
import { DAY_MS, HOUR_MS, MINUTE_MS, dayOf, hourKey, hoursOfDay, parseHourKey } from '../../core/time';
import { computeTruth, type GoldTables } from '../../core/truth';
import { judgeEvent, TRUTH_RULES } from '../../core/truthRules';
import { parseRunVersion } from '../../core/versions';
import type { DeviceType, EventType } from '../../schemas/eventRecord';
import { eventRecord } from '../unit/eventFixtures';
import { childWorkflows, cli, filesContaining, historyText, scanBronze, startCli, userKeysByVersion, versionFolders, type StoredObject } from '../support/erasure';
import { randomTestDayMs } from '../support/isolatedHour';
import { stackConfig, uniqueName } from '../support/stack';

const config = stackConfig();
const bucket = config.s3.bucket;
const STEP_MS = 1_200_000;

/** An event as a client sends it (event_time epoch ms); invalid ones may carry anything. */
interface ClientEvent {
  readonly event_id: string;
  readonly event_type: string;
  readonly event_time: number;
  readonly user_id: string;
  readonly [field: string]: unknown;
}

/** One copy of an event that reached the lake's door: written to Bronze here, or posted to the collector. */
interface Sent {
  readonly event: ClientEvent;
  readonly receivedMs: number;
  readonly via: 'bronze' | 'collector';
  /** Send order, to break receive-time ties as the batch order does. */
  readonly seq: number;
}

/** One erasure request as the truth applies it: the user's events dated up to `until` are gone. */
interface Erased {
  readonly userId: string;
  readonly until: number;
}

/** The `lake.audit.erasures` row as `delete-user --json` prints it. */
type ErasureRecord = ErasureRow;

type LedgerFigures = Ledger;

type Row = Record<string, unknown>;

const byReceipt = (a: Sent, b: Sent): number => a.receivedMs - b.receivedMs || a.seq - b.seq;

describe('erasing a user (delete-user) on the real stack', () => {
  const s3 = createS3(config.s3);
  const presto = new Presto(config.presto);
  const run = uniqueName('erase');
  const topic = `clicklake.${run.replace(/_/g, '-')}`;
  const apiKey = config.collector.apiKeys[0] as string;
  const rawId = (name: string) => `${name}-${randomBytes(8).toString('hex')}`;
  const [U, V, W] = [rawId('u'), rawId('v'), rawId('w')];
  const [O1, O2, O3, O4, O5] = ['o1', 'o2', 'o3', 'o4', 'o5'].map(rawId) as [string, string, string, string, string];
  const key = (userId: string) => userKey(config.pii.hmacKey, userId);
  const [c1, c2, cU, cNow] = ['c1', 'c2', 'cu', 'cnow'].map((c) => `${run}-${c}`) as [string, string, string, string];
  const [t1, tU] = ['t1', 'tu'].map((t) => `${run}-${t}`) as [string, string];

  const sent: Sent[] = [];
  const erasures: Erased[] = [];
  const records: Record<string, ErasureRecord> = {};
  let seq = 0;
  let nextEventId = 0;
  let nextPartition = 0;
  // Set in the first step.
  let hours: string[] = [];
  let days: string[] = [];
  let failedStep: string | undefined;

  const eventId = () => `${run}-${String(nextEventId++).padStart(4, '0')}`;
  const ad = (user: string, type: 'ad_impression' | 'ad_click', campaign: string, at: number, device?: DeviceType): ClientEvent => ({
    event_id: eventId(),
    event_type: type,
    event_time: at,
    user_id: user,
    campaign_id: campaign,
    ad_id: 'ad-1',
    ...(device === undefined ? {} : { device_type: device }),
  });
  const play = (user: string, title: string, at: number, device?: DeviceType): ClientEvent => ({ event_id: eventId(), event_type: 'video_play', event_time: at, user_id: user, title_id: title, ...(device === undefined ? {} : { device_type: device }) });
  const view = (user: string, at: number, device?: DeviceType): ClientEvent => ({ event_id: eventId(), event_type: 'page_view', event_time: at, user_id: user, ...(device === undefined ? {} : { device_type: device }) });

  /** The Avro record of a client event as the collector would have stamped it (only valid types are written this way). */
  const bronzeRecord = (s: Sent, partition: number, offset: number): BronzeRecord => {
    const e = s.event;
    const text = (name: string): string | null => (typeof e[name] === 'string' ? (e[name] as string) : null);
    const event = eventRecord({
      event_id: e.event_id,
      event_type: e.event_type as EventType,
      event_time: e.event_time,
      user_id: e.user_id,
      received_time: s.receivedMs,
      campaign_id: text('campaign_id'),
      ad_id: text('ad_id'),
      title_id: text('title_id'),
      device_type: text('device_type') as DeviceType | null,
    });
    return { topic, partition, offset, kafka_timestamp_ms: s.receivedMs, schema_id: 1, received_time: s.receivedMs, event };
  };

  /** Writes copies (event, received after it by `after` ms) as one Bronze object of a new partition of the run's topic. */
  async function writeBronze(copies: ReadonlyArray<readonly [ClientEvent, number]>): Promise<string> {
    const partition = nextPartition++;
    const batch = copies.map(([event, after]) => ({ event, receivedMs: event.event_time + after, via: 'bronze' as const, seq: seq++ }));
    const manifest = await putBronzeObject(s3, bucket, { topic, partition, firstOffset: 0, lastOffset: batch.length - 1 }, batch.map((s, i) => bronzeRecord(s, partition, i)));
    sent.push(...batch);
    return manifest.objectKey;
  }

  /** Posts events to the collector; checks its answer against the truth's own judgement of each. */
  async function post(events: readonly ClientEvent[]): Promise<void> {
    const receivedMs = Date.now();
    const res = await fetch(`${config.collector.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number }>; quarantined?: number };
    expect(res.status).toBe(200);
    const judged = events.map((e) => judgeEvent(e, receivedMs));
    expect({ accepted: body.accepted, rejected: body.rejected.map((r) => r.index) }).toEqual({
      accepted: judged.filter((j) => j.valid).length,
      rejected: judged.flatMap((j, i) => (j.valid ? [] : [i])),
    });
    expect(body.quarantined).toBe(judged.filter((j) => j.valid && j.event.quarantine_reason !== null).length);
    sent.push(...events.map((event) => ({ event, receivedMs, via: 'collector' as const, seq: seq++ })));
  }

  // ---- the truth, from what was sent ------------------------------------------------------------

  const isErasedBy = (list: readonly Erased[]) => (s: Sent) => list.some((e) => e.userId === s.event.user_id && s.event.event_time <= e.until);
  /** Copies that reached Bronze's door: everything written directly, what the collector accepted. */
  const delivered = (s: Sent) => s.via === 'bronze' || judgeEvent(s.event, s.receivedMs).valid;

  /** Gold of every accepted copy not erased by `list`, in receive order (core/truth.ts). */
  function truthWithout(list: readonly Erased[]): GoldTables {
    const erased = isErasedBy(list);
    const accepted = [...sent]
      .filter((s) => !erased(s))
      .sort(byReceipt)
      .flatMap((s) => {
        const j = judgeEvent(s.event, s.receivedMs);
        return j.valid ? [j.event] : [];
      });
    return computeTruth(accepted).tables;
  }

  /** What Silver (kept) and the quarantine (late) of an hour must hold, and its ledger, with `list` erased. */
  function expectedHour(hour: string, list: readonly Erased[]): { ledger: LedgerFigures; kept: string[]; late: string[] } {
    const erased = isErasedBy(list);
    const copies = sent.filter((s) => delivered(s) && hourKey(s.event.event_time) === hour).sort(byReceipt);
    const rest = copies.filter((s) => !erased(s));
    const valid = rest.flatMap((s) => {
      const j = judgeEvent(s.event, s.receivedMs);
      return j.valid ? [j.event] : [];
    });
    const seen = new Set<string>();
    const winners = valid.filter((e) => !seen.has(e.event_id) && seen.add(e.event_id) !== undefined);
    const kept = winners.filter((e) => e.quarantine_reason === null).map((e) => e.event_id).sort();
    const late = winners.filter((e) => e.quarantine_reason !== null).map((e) => e.event_id).sort();
    return {
      ledger: {
        rows_in: copies.length,
        rows_out: kept.length,
        duplicates: valid.length - winners.length,
        rejected: rest.length - valid.length,
        late: late.length,
        erased: copies.length - rest.length,
      },
      kept,
      late,
    };
  }

  /** How many Silver and quarantine rows of a user the test hours must hold, with `list` erased. */
  function expectedRowsOf(userId: string, list: readonly Erased[]): { events: number; quarantine: number } {
    const ids = new Set(sent.filter((s) => s.event.user_id === userId).map((s) => s.event.event_id));
    const rows = hours.map((h) => expectedHour(h, list));
    return { events: rows.flatMap((r) => r.kept).filter((id) => ids.has(id)).length, quarantine: rows.flatMap((r) => r.late).filter((id) => ids.has(id)).length };
  }

  // ---- reading the lake ------------------------------------------------------------------------

  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 1e9) / 1e9);
  const GOLD_SPECS = {
    ctr_hourly: { key: 'campaign_id', values: ['impressions', 'clicks', 'ctr'], hourly: true },
    campaign_daily: { key: 'campaign_id', values: ['impressions', 'clicks', 'ctr', 'unique_users'], hourly: false },
    dau_daily: { key: 'device_type', values: ['dau'], hourly: false },
    title_plays_daily: { key: 'title_id', values: ['plays', 'unique_viewers'], hourly: false },
  } as const;
  type GoldName = keyof typeof GOLD_SPECS;
  const GOLD_NAMES = Object.keys(GOLD_SPECS) as GoldName[];

  /** A Gold row as `[partition, key, values]` with numbers normalised, for exact comparison. */
  const goldRow = (table: GoldName, row: Row): [string, string, Record<string, number | null>] => {
    const spec = GOLD_SPECS[table];
    const partition = spec.hourly ? `${String(row.dt)}T${String(row.hr)}` : String(row.dt);
    return [partition, String(row[spec.key]), Object.fromEntries(spec.values.map((c) => [c, num(row[c])]))];
  };
  const sortRows = <T extends [string, string, unknown]>(rows: T[]): T[] => rows.sort((a, b) => (a[0] + '\u0000' + a[1] < b[0] + '\u0000' + b[1] ? -1 : 1));

  /** The truth's rows of the test days (every row: the days hold only this run's traffic). */
  const expectedGold = (truth: GoldTables) =>
    Object.fromEntries(GOLD_NAMES.map((t) => [t, sortRows((truth[t] as unknown as Row[]).filter((r) => days.includes(String(r.dt))).map((r) => goldRow(t, r)))]));

  async function goldOfDays(): Promise<Record<string, Array<[string, string, Record<string, number | null>]>>> {
    const inDays = `dt IN (${days.map(quoteLiteral).join(', ')})`;
    const out: Record<string, Array<[string, string, Record<string, number | null>]>> = {};
    for (const t of GOLD_NAMES) out[t] = sortRows((await presto.queryObjects(`SELECT * FROM lake.gold.${t} WHERE ${inDays}`)).map((r) => goldRow(t, r)));
    return out;
  }

  /** Silver event ids (and their user keys) of an hour, and the quarantine's. */
  async function silverOf(hour: string, table: 'events' | 'quarantine', only = ''): Promise<Array<[string, string]>> {
    const { dt, hr } = parseHourKey(hour);
    const rows = await presto.queryObjects(`SELECT event_id, user_key FROM lake.silver.${table} WHERE dt = ${quoteLiteral(dt)} AND hr = ${quoteLiteral(hr)} ${only} ORDER BY event_id`);
    return rows.map((r) => [String(r.event_id), String(r.user_key)]);
  }

  /** Rows of a user key anywhere in Silver or the quarantine (every partition). */
  async function rowsOfKey(userKeyValue: string): Promise<{ events: number; quarantine: number }> {
    const count = async (table: string) => Number((await presto.queryObjects(`SELECT count(*) AS n FROM lake.silver.${table} WHERE user_key = ${quoteLiteral(userKeyValue)}`))[0]?.n);
    return { events: await count('events'), quarantine: await count('quarantine') };
  }

  const versionOf = (location: string | undefined): string | undefined => /\/v=([^/]+)\/$/.exec(location ?? '')?.[1];
  const published = async (def: TableDef, values: PartitionValues) => versionOf(await publishedLocation(s3, bucket, def, values));

  /** The ledger row of the published Silver version of an hour. */
  async function publishedLedger(hour: string): Promise<LedgerFigures & { reason: string }> {
    const { dt, hr } = parseHourKey(hour);
    const version = await published(SILVER_EVENTS, { dt, hr });
    const rows = await presto.queryObjects(
      `SELECT rows_in, rows_out, duplicates, rejected, late, erased, reason FROM lake.audit.hour_runs ` +
        `WHERE dt = ${quoteLiteral(dt)} AND hr = ${quoteLiteral(hr)} AND layer = 'silver' AND status = 'published' AND version = ${quoteLiteral(version ?? '')}`,
    );
    expect(rows).toHaveLength(1);
    const r = rows[0] as Row;
    return { rows_in: Number(r.rows_in), rows_out: Number(r.rows_out), duplicates: Number(r.duplicates), rejected: Number(r.rejected), late: Number(r.late), erased: Number(r.erased), reason: String(r.reason) };
  }

  /** Promotes an hour with the CLI, again if it joined a run begun before `sinceMs` (the schedule's). */
  async function promoteAfter(hour: string, sinceMs: number): Promise<HourResult> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await cli<HourResult>(['promote', '--hour', hour]);
      if (parseRunVersion(result.version).createdAtMs >= sinceMs) return result;
    }
    throw new Error(`promote --hour ${hour}: three runs in a row began before ${new Date(sinceMs).toISOString()}`);
  }

  /** Every Bronze record of `userId` in the objects the test hours' index names, and the objects holding them. */
  const recordsOf = (objects: readonly StoredObject[], userId: string) => {
    const holding = objects.filter((o) => (o.lines ?? []).some((l) => l.event.user_id === userId));
    return { objects: holding.map((o) => o.manifest.objectKey).sort(), records: holding.reduce((n, o) => n + (o.lines ?? []).filter((l) => l.event.user_id === userId).length, 0) };
  };

  /** Each manifest true to its object: as many lines as rowCount, the hour histogram of their event times. */
  function expectManifestsTrue(objects: readonly StoredObject[]): void {
    for (const o of objects) {
      expect({ key: o.manifestKey, present: o.lines !== undefined }).toEqual({ key: o.manifestKey, present: true });
      const histogram: Record<string, number> = {};
      for (const line of o.lines ?? []) histogram[hourKey(Number(line.event.event_time))] = (histogram[hourKey(Number(line.event.event_time))] ?? 0) + 1;
      expect({ key: o.manifestKey, rows: o.lines?.length, histogram }).toEqual({ key: o.manifestKey, rows: o.manifest.rowCount, histogram: o.manifest.hourHistogram });
    }
  }

  /** Every versioned partition of the test hours and days. */
  const partitions = (): Array<{ def: TableDef; values: PartitionValues }> => [
    ...hours.flatMap((h) => {
      const { dt, hr } = parseHourKey(h);
      return [SILVER_EVENTS, SILVER_QUARANTINE, GOLD_CTR_HOURLY].map((def) => ({ def: def as TableDef, values: { dt, hr } }));
    }),
    ...days.flatMap((dt) => [GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY].map((def) => ({ def: def as TableDef, values: { dt } }))),
  ];
  const partitionName = (p: { def: TableDef; values: PartitionValues }) => `${p.def.schema}.${p.def.table} ${p.values.dt}${p.values.hr === undefined ? '' : `T${p.values.hr}`}`;
  async function publishedVersions(): Promise<Record<string, string | undefined>> {
    const out: Record<string, string | undefined> = {};
    for (const p of partitions()) out[partitionName(p)] = await published(p.def, p.values);
    return out;
  }

  /** The Kafka topics that can hold a user's records, with the retention and segment roll each has. */
  async function kafkaHorizonMs(): Promise<number> {
    const admin = createKafka(config.kafka, { clientId: 'clicklake-test', quiet: true }).admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [config.kafka.eventsTopic, config.kafka.deadLetterTopic].map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'segment.ms'] })),
      });
      return Math.max(
        ...described.resources.map((r) => {
          const value = (name: string) => Number(r.configEntries.find((e) => e.configName === name)?.configValue);
          return value('retention.ms') + value('segment.ms');
        }),
      );
    } finally {
      await admin.disconnect();
    }
  }

  /** `delete-user` with the CLI; checks the record's identity and timing, and that it names no raw id. */
  async function deleteUser(userId: string, suppress: boolean): Promise<ErasureRecord> {
    const before = Date.now();
    const record = await cli<ErasureRecord>(['delete-user', '--user-id', userId, '--wait', ...(suppress ? ['--suppress'] : [])]);
    const after = Date.now();
    expect(JSON.stringify(record)).not.toContain(userId);
    expect(record).toMatchObject({ user_key: key(userId), status: 'verified', suppress, error: null, workflow_id: `erase-user-${record.request_id}` });
    expect(record.request_id).toMatch(/^er-\d{14}-[0-9a-f]{8}$/);
    expect(record.requested_at).toBeGreaterThanOrEqual(before);
    expect(record.requested_at).toBeLessThanOrEqual(after);
    expect(record.completed_at).toBeGreaterThanOrEqual(record.requested_at);
    expect(record.verified_at).toBeGreaterThanOrEqual(record.completed_at as number);
    expect(record.verified_at).toBeLessThanOrEqual(after);
    records[userId] = record;
    process.stderr.write(`erasure test: delete-user ${suppress ? '--suppress ' : ''}took ${after - before} ms: ${JSON.stringify(record)}\n`);
    erasures.push({ userId, until: suppress ? Number.POSITIVE_INFINITY : record.requested_at });
    return record;
  }

  /**
   * The hours and days the record's details say were restated (`hours`/`days`, or
   * `hours_restated`/`days_restated`), checked against its counts; of them, those of the test days.
   * Other hours may be among them: the erasure also restates every STALE hour of the last days
   * (Bronze no published version read, which could hold the user), which other traffic leaves.
   */
  function restatedBy(record: ErasureRecord): { hours: string[]; days: string[] } {
    const details = JSON.parse(record.details ?? 'null') as Record<string, unknown>;
    const list = (...names: string[]): string[] => {
      const value = names.map((n) => details[n]).find((v) => Array.isArray(v));
      if (value === undefined) throw new Error(`details names none of ${names.join(', ')}: ${record.details}`);
      return value as string[];
    };
    const allHours = list('hours', 'hours_restated');
    const allDays = list('days', 'days_restated');
    expect({ hours_restated: record.hours_restated, days_restated: record.days_restated }).toEqual({ hours_restated: allHours.length, days_restated: allDays.length });
    const others = allHours.filter((h) => !days.includes(h.slice(0, 10)));
    const window = { from: hourKey(record.requested_at - 9 * DAY_MS), to: hourKey(record.requested_at + HOUR_MS) };
    expect({ outsideTheWindow: others.filter((h) => h < window.from || h > window.to) }).toEqual({ outsideTheWindow: [] });
    return { hours: allHours.filter((h) => days.includes(h.slice(0, 10))).sort(), days: allDays.filter((d) => days.includes(d)).sort() };
  }

  /** The requests `status --json` lists (`erasures` as a list, or its `latest`). */
  const listedErasures = (status: { erasures?: unknown }): unknown[] => {
    const e = status.erasures as { latest?: unknown } | unknown[] | undefined;
    return Array.isArray(e) ? e : Array.isArray(e?.latest) ? e.latest : [];
  };

  /** Silver, the quarantine and the ledgers of the test hours, and Gold of the test days, against the truth with `list` erased. */
  async function expectLakeEqualsTruth(list: readonly Erased[], reason?: string): Promise<void> {
    for (const hour of hours) {
      const want = expectedHour(hour, list);
      expect({ hour, events: (await silverOf(hour, 'events')).map(([id]) => id) }).toEqual({ hour, events: want.kept });
      expect({ hour, quarantine: (await silverOf(hour, 'quarantine')).map(([id]) => id) }).toEqual({ hour, quarantine: want.late });
      const ledger = await publishedLedger(hour);
      expect({ hour, ...ledger }).toEqual({ hour, ...want.ledger, reason: reason ?? ledger.reason });
    }
    expect(await goldOfDays()).toEqual(expectedGold(truthWithout(list)));
  }

  /** Neither the Temporal history of the erasure (nor of any child it started) holds a raw user id. */
  async function expectHistoriesClean(workflowId: string, rawIds: readonly string[]): Promise<void> {
    const connection = await connectTemporal(config.temporal);
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const pending = [{ workflowId, runId: undefined as string | undefined }];
      let checked = 0;
      while (pending.length > 0 && checked < 50) {
        const next = pending.shift() as { workflowId: string; runId: string | undefined };
        const history = await client.workflow.getHandle(next.workflowId, next.runId).fetchHistory();
        const text = historyText(history);
        expect(text.length).toBeGreaterThan(0);
        expect({ workflow: next.workflowId, holds: rawIds.filter((id) => text.includes(id)) }).toEqual({ workflow: next.workflowId, holds: [] });
        pending.push(...childWorkflows(history));
        checked++;
      }
    } finally {
      await connection.close();
    }
  }

  /** One step of the scenario; a step after a failed one does not run (it would only fail for the same reason). */
  function step(name: string, body: () => Promise<void>, timeoutMs = STEP_MS): void {
    it(
      name,
      async () => {
        if (failedStep !== undefined) throw new Error(`not run: the step "${failedStep}" failed`);
        const started = Date.now();
        try {
          await body();
        } catch (err) {
          failedStep = name;
          throw err;
        } finally {
          process.stderr.write(`erasure test: "${name}" ${Date.now() - started} ms\n`);
        }
      },
      timeoutMs,
    );
  }

  afterAll(() => s3.destroy());

  let bronzeBefore: StoredObject[] = [];
  let versionsBefore: Record<string, string | undefined> = {};

  step('promotes the hours and days: Gold, Silver and the ledgers hold U as the truth says', async () => {
    // Two days with no Bronze at all in any of their hours: every Gold row there is this run's.
    let d0: number | undefined;
    for (let attempt = 0; attempt < 30 && d0 === undefined; attempt++) {
      const candidate = randomTestDayMs();
      const all = [...hoursOfDay(dayOf(candidate)), ...hoursOfDay(dayOf(candidate + DAY_MS))];
      if ((await Promise.all(all.map((h) => hourHasEvents(s3, bucket, h)))).every((has) => !has)) d0 = candidate;
    }
    if (d0 === undefined) throw new Error('no quiet pair of days found in 30 draws');
    const h1 = d0 + 23 * HOUR_MS;
    hours = [0, 1, 2].map((i) => hourKey(h1 + i * HOUR_MS));
    days = [dayOf(d0), dayOf(d0 + DAY_MS)];

    const on = MINUTE_MS; // on time: received a minute after
    const late = TRUTH_RULES.latenessMs + DAY_MS; // past the allowed lateness on arrival
    for (const [i, hour] of hours.entries()) {
      const at = (minute: number) => parseHourKey(hour).startMs + minute * MINUTE_MS;
      // Object A: other users only (an erasure must leave it as it is).
      const a: Array<[ClientEvent, number]> = [
        [ad(O1, 'ad_impression', c1, at(1), 'ios'), on],
        [ad(O1, 'ad_impression', c1, at(2), 'ios'), on],
        [ad(O1, 'ad_click', c1, at(3), 'ios'), on],
        [ad(O2, 'ad_impression', c2, at(4), 'web'), on],
        [play(O2, t1, at(5), 'web'), on],
      ];
      if (i === 1) a.push([ad(O1, 'ad_impression', c1, at(29), 'ios'), late]);
      await writeBronze(a);
      // Object B: U among V, W and O3.
      const uImpression = ad(U, 'ad_impression', c1, at(20), 'android');
      const b: Array<[ClientEvent, number]> = [
        [view(O3, at(6), 'android'), on],
        [ad(O3, 'ad_impression', c1, at(7), 'android'), on],
        [ad(V, 'ad_impression', c2, at(8), 'stb'), on],
        [ad(V, 'ad_click', c2, at(9), 'stb'), on],
        [play(V, t1, at(10), 'stb'), on],
        [ad(W, 'ad_impression', c1, at(11), 'tv'), on],
        [view(W, at(12), 'tv'), on],
        [play(W, t1, at(13), 'tv'), on],
        [uImpression, on],
        [ad(U, 'ad_click', c1, at(21), 'android'), on],
        [ad(U, 'ad_impression', cU, at(22), 'android'), on],
        [ad(U, 'ad_click', cU, at(23), 'android'), on],
        [play(U, tU, at(24), 'android'), on],
        [play(U, t1, at(25), 'android'), on],
        [view(U, at(26)), on],
        [uImpression, 5 * MINUTE_MS], // a client retry: the same event_id again
      ];
      if (i === 1) b.push([{ event_id: eventId(), event_type: 'ad_click', event_time: at(27), user_id: U, campaign_id: c1 }, on]); // no ad_id: rejected
      if (i === 2) b.push([view(U, at(28), 'android'), late]);
      await writeBronze(b);
    }
    // Through the collector: U's late events (one sent twice), U's and O4's invalid ones, O2's late one.
    const uLate = view(U, parseHourKey(hours[0] as string).startMs + 30 * MINUTE_MS, 'android');
    await post([
      uLate,
      uLate,
      ad(U, 'ad_click', c1, parseHourKey(hours[2] as string).startMs + 31 * MINUTE_MS, 'android'),
      { event_id: eventId(), event_type: 'ad_impression', event_time: parseHourKey(hours[1] as string).startMs + 32 * MINUTE_MS, user_id: U, ad_id: 'ad-1' },
      { event_id: eventId(), event_type: 'bogus', event_time: parseHourKey(hours[0] as string).startMs + 33 * MINUTE_MS, user_id: U },
      play(O2, t1, parseHourKey(hours[1] as string).startMs + 34 * MINUTE_MS, 'web'),
      { ...view(O4, parseHourKey(hours[2] as string).startMs + 35 * MINUTE_MS), device_type: 'toaster' },
    ]);

    const since = Date.now();
    for (const hour of hours) {
      const result = await promoteAfter(hour, since);
      expect({ hour, ledger: result.silver }).toEqual({ hour, ledger: expectedHour(hour, []).ledger });
    }
    for (const dt of days) await cli(['promote', '--day', dt]);
    await expectLakeEqualsTruth([]);
    // U is in Gold: the campaign and title only U had are there.
    const gold = await goldOfDays();
    expect(gold.ctr_hourly?.filter(([, k]) => k === cU)).toHaveLength(3);
    expect(gold.title_plays_daily?.filter(([, k]) => k === tU)).toHaveLength(2);
    expect(await rowsOfKey(key(U))).toEqual(expectedRowsOf(U, []));
    expect(expectedRowsOf(U, [])).toEqual({ events: 3 * 7, quarantine: 3 });

    bronzeBefore = await scanBronze(s3, bucket, hours);
    versionsBefore = await publishedVersions();
  });

  step('delete-user U --wait: the record is exact and U is gone from Bronze, Silver, the quarantine and Gold', async () => {
    const uBefore = recordsOf(bronzeBefore, U);
    // 3 hours x 8 direct copies, H2's invalid, H3's late; the collector's 3 accepted copies.
    expect(uBefore.records).toBe(sent.filter((s) => s.event.user_id === U && delivered(s)).length);
    expect(uBefore.records).toBe(3 * 8 + 2 + 3);
    const silverBefore = await rowsOfKey(key(U));

    const horizon = await kafkaHorizonMs();
    const record = await deleteUser(U, false);
    expect({
      objects: record.bronze_objects_rewritten,
      records: record.bronze_records_removed,
      silver: record.silver_rows_removed,
      restated: restatedBy(record),
    }).toEqual({ objects: uBefore.objects.length, records: uBefore.records, silver: silverBefore.events + silverBefore.quarantine, restated: { hours, days } });
    // Kafka keeps its copies until retention (and the open segment's roll) has passed the last one appended.
    const lastSent = Math.max(...sent.filter((s) => s.via === 'collector' && s.event.user_id === U).map((s) => s.receivedMs));
    expect(record.kafka_expiry).toBeGreaterThanOrEqual(lastSent + horizon);
    expect(record.kafka_expiry).toBeLessThanOrEqual((record.completed_at as number) + horizon);

    // The same row in lake.audit.erasures.
    const [row] = await presto.queryObjects(
      `SELECT request_id, user_key, requested_at, completed_at, verified_at, status, bronze_objects_rewritten, bronze_records_removed, silver_rows_removed, hours_restated, days_restated, kafka_expiry, details ` +
        `FROM lake.audit.erasures WHERE request_id = ${quoteLiteral(record.request_id)}`,
    );
    expect(row).toEqual({
      request_id: record.request_id,
      user_key: record.user_key,
      requested_at: record.requested_at,
      completed_at: record.completed_at,
      verified_at: record.verified_at,
      status: 'verified',
      bronze_objects_rewritten: record.bronze_objects_rewritten,
      bronze_records_removed: record.bronze_records_removed,
      silver_rows_removed: record.silver_rows_removed,
      hours_restated: record.hours_restated,
      days_restated: record.days_restated,
      kafka_expiry: record.kafka_expiry,
      details: record.details,
    });

    // Bronze: no record of U; the objects that held U replaced (the old keys gone), the others as they were.
    const after = await scanBronze(s3, bucket, hours);
    expect(recordsOf(after, U)).toEqual({ objects: [], records: 0 });
    expectManifestsTrue(after);
    const keysAfter = new Set(after.map((o) => o.manifest.objectKey));
    for (const objectKey of uBefore.objects) expect({ objectKey, stillThere: keysAfter.has(objectKey) }).toEqual({ objectKey, stillThere: false });
    const untouched = bronzeBefore.filter((o) => !uBefore.objects.includes(o.manifest.objectKey));
    for (const o of untouched) expect(after.find((a) => a.manifestKey === o.manifestKey)?.manifest).toEqual(o.manifest);
    // Every record but U's is still there, once; the manifests count U's as erased in their hours.
    const linesOf = (objects: readonly StoredObject[]) => objects.flatMap((o) => (o.lines ?? []).map((l) => `${l.topic}/${l.partition}/${l.offset}`)).sort();
    expect(linesOf(after)).toEqual(linesOf(bronzeBefore.map((o) => ({ ...o, lines: (o.lines ?? []).filter((l) => l.event.user_id !== U) }))));
    const erasedByHour: Record<string, number> = {};
    for (const o of after) for (const [h, n] of Object.entries(o.manifest.erasedHistogram ?? {})) if (hours.includes(h)) erasedByHour[h] = (erasedByHour[h] ?? 0) + n;
    expect(erasedByHour).toEqual(Object.fromEntries(hours.map((h) => [h, expectedHour(h, erasures).ledger.erased])));

    // Silver, the quarantine, the ledgers (the restatement counts U's records as erased) and Gold.
    expect(await rowsOfKey(key(U))).toEqual({ events: 0, quarantine: 0 });
    await expectLakeEqualsTruth(erasures, 'erasure');

    // One version left in each partition, the published one, which is new.
    const versionsNow = await publishedVersions();
    for (const p of partitions()) {
      const name = partitionName(p);
      expect({ name, folders: await versionFolders(s3, bucket, p.def, p.values) }).toEqual({ name, folders: [versionsNow[name]] });
      expect({ name, changed: versionsNow[name] !== versionsBefore[name] }).toEqual({ name, changed: true });
    }

    // lake.audit.restatements: for each Gold row that changed, a chain of `erasure` rows from the
    // value with U to the value without, ending in the published version.
    const withU = truthWithout([]);
    const withoutU = truthWithout(erasures);
    const restated = await presto.queryObjects(
      `SELECT table_name, row_key, old_version, new_version, old_values, new_values, dt, hr, finished_at FROM lake.audit.restatements ` +
        `WHERE dt IN (${days.map(quoteLiteral).join(', ')}) AND reason = 'erasure' ORDER BY finished_at, new_version`,
    );
    const values = (table: GoldName, json: unknown) => (json === null ? null : Object.fromEntries(Object.entries(JSON.parse(String(json)) as Row).map(([k, v]) => [k, num(v)])));
    const chains = new Map<string, Row[]>();
    for (const r of restated) {
      const id = `${String(r.table_name)} ${String(r.dt)}${r.hr === '' ? '' : `T${String(r.hr)}`} ${String(r.row_key)}`;
      chains.set(id, [...(chains.get(id) ?? []), r]);
    }
    const expectedChanges: Record<string, { from: Record<string, number | null> | null; to: Record<string, number | null> | null; version: string | undefined }> = {};
    for (const t of GOLD_NAMES) {
      const before = new Map(expectedGold(withU)[t]?.map(([p, k, v]) => [`${t} ${p} ${k}`, v]));
      const now = new Map(expectedGold(withoutU)[t]?.map(([p, k, v]) => [`${t} ${p} ${k}`, v]));
      for (const id of new Set([...before.keys(), ...now.keys()])) {
        if (JSON.stringify(before.get(id)) === JSON.stringify(now.get(id))) continue;
        const [, partition] = id.split(' ') as [string, string];
        const def = { ctr_hourly: GOLD_CTR_HOURLY, campaign_daily: GOLD_CAMPAIGN_DAILY, dau_daily: GOLD_DAU_DAILY, title_plays_daily: GOLD_TITLE_PLAYS_DAILY }[t] as TableDef;
        const p = { def, values: partition.includes('T') ? { dt: partition.slice(0, 10), hr: partition.slice(11) } : { dt: partition } };
        expectedChanges[id] = { from: before.get(id) ?? null, to: now.get(id) ?? null, version: versionsNow[partitionName(p)] };
      }
    }
    const foundChanges: typeof expectedChanges = {};
    for (const [id, chain] of chains) {
      const t = id.split(' ')[0] as GoldName;
      for (let i = 1; i < chain.length; i++) {
        expect({ id, link: i, old_version: chain[i]?.old_version, old_values: values(t, chain[i]?.old_values ?? null) }).toEqual({ id, link: i, old_version: chain[i - 1]?.new_version, old_values: values(t, chain[i - 1]?.new_values ?? null) });
      }
      foundChanges[id] = { from: values(t, chain[0]?.old_values ?? null), to: values(t, chain.at(-1)?.new_values ?? null), version: String(chain.at(-1)?.new_version) };
    }
    expect(foundChanges).toEqual(expectedChanges);
    // Among them the rows only U made disappear: campaign cU, title tU, device `other`.
    expect(Object.entries(expectedChanges).filter(([, c]) => c.to === null).map(([id]) => id.split(' ').slice(0, 1).concat(id.split(' ').slice(2)).join(' ')).sort()).toEqual(
      [...hours.map(() => `ctr_hourly ${cU}`), ...days.map(() => `campaign_daily ${cU}`), ...days.map(() => 'dau_daily other'), ...days.map(() => `title_plays_daily ${tU}`)].sort(),
    );

    // clicklake status lists the request.
    const status = await cli<{ erasures?: unknown }>(['status', '--from', hours[0] as string, '--to', hours[2] as string]);
    expect(listedErasures(status)).toEqual(expect.arrayContaining([expect.objectContaining({ request_id: record.request_id, status: 'verified' })]));
    expect(JSON.stringify(status)).not.toContain(U);

    await expectHistoriesClean(record.workflow_id, [U]);
  });

  step('(a) U events dated up to the request that arrive afterwards never reach Silver; the ledger counts them erased', async () => {
    const R = records[U]?.requested_at as number;
    // Straight into Bronze (past ingestion's filter: the promotion's own must drop it), with one of O1's.
    await writeBronze([
      [view(U, parseHourKey(hours[1] as string).startMs + 40 * MINUTE_MS, 'android'), MINUTE_MS],
      [ad(O1, 'ad_impression', c1, parseHourKey(hours[1] as string).startMs + 5 * MINUTE_MS, 'ios'), MINUTE_MS],
    ]);
    // Through the collector: late for an erased hour, and on time, dated a minute before and exactly at the request, beside O5's.
    const lateNow = [view(U, parseHourKey(hours[0] as string).startMs + 42 * MINUTE_MS, 'android')];
    const current = [ad(U, 'ad_impression', cNow, R - MINUTE_MS, 'android'), ad(U, 'ad_impression', cNow, R, 'android'), ad(O5, 'ad_impression', cNow, R - 30_000, 'web')];
    const currentHours = [...new Set(current.map((e) => hourKey(e.event_time)))].sort();
    const baseline: Record<string, LedgerFigures> = {};
    const beforeBaseline = Date.now();
    for (const h of currentHours) baseline[h] = (await promoteAfter(h, beforeBaseline)).silver;
    const postedAt = Date.now();
    await post([...lateNow, ...current]);

    const reconciled = await cli<{ restated: Array<{ hour: string }>; days: string[]; failed: unknown[] }>(['reconcile', '--from', hours[0] as string, '--to', hours[2] as string]);
    expect(reconciled.failed).toEqual([]);
    const restatedHours = reconciled.restated.map((h) => h.hour).sort();
    expect(restatedHours).toContain(hours[1]);
    expect(restatedHours.every((h) => h === hours[0] || h === hours[1])).toBe(true);
    // An hour whose only new record is erased may count as nothing new: promoted here, its ledger must count it.
    if (!restatedHours.includes(hours[0] as string)) await promoteAfter(hours[0] as string, postedAt);
    for (const dt of days) await cli(['promote', '--day', dt]);
    await expectLakeEqualsTruth(erasures);
    expect(await rowsOfKey(key(U))).toEqual({ events: 0, quarantine: 0 });

    // The current hours: only O5's event of cNow counts; U's two are erased (counted, not written).
    for (const h of currentHours) {
      const result = await promoteAfter(h, postedAt);
      const mine = current.filter((e) => hourKey(e.event_time) === h);
      const erasedHere = mine.filter((e) => e.user_id === U).length;
      expect({ hour: h, erased: result.silver.erased - (baseline[h]?.erased ?? 0) }).toEqual({ hour: h, erased: erasedHere });
      expect({ hour: h, rows: (await silverOf(h, 'events', `AND starts_with(event_id, ${quoteLiteral(run)})`)).map(([id]) => id) }).toEqual({
        hour: h,
        rows: mine.filter((e) => e.user_id !== U).map((e) => e.event_id).sort(),
      });
      const { dt, hr } = parseHourKey(h);
      const gold = await presto.queryObjects(`SELECT impressions, clicks FROM lake.gold.ctr_hourly WHERE dt = ${quoteLiteral(dt)} AND hr = ${quoteLiteral(hr)} AND campaign_id = ${quoteLiteral(cNow)}`);
      const o5 = mine.filter((e) => e.user_id === O5).length;
      expect(gold).toEqual(o5 === 0 ? [] : [{ impressions: o5, clicks: 0 }]);
    }
    expect(await rowsOfKey(key(U))).toEqual({ events: 0, quarantine: 0 });
  });

  step('(b) U events dated after the request are kept (no --suppress)', async () => {
    const R = records[U]?.requested_at as number;
    const now = Date.now();
    const later = [ad(U, 'ad_impression', cNow, R + 1, 'android'), ad(U, 'ad_click', cNow, R + 1000, 'android'), view(U, now, 'web')];
    const currentHours = [...new Set(later.map((e) => hourKey(e.event_time)))].sort();
    const baseline: Record<string, LedgerFigures> = {};
    for (const h of currentHours) baseline[h] = (await promoteAfter(h, now)).silver;
    const postedAt = Date.now();
    await post(later);
    for (const h of currentHours) {
      const result = await promoteAfter(h, postedAt);
      expect({ hour: h, erased: result.silver.erased - (baseline[h]?.erased ?? 0) }).toEqual({ hour: h, erased: 0 });
      expect({ hour: h, rows: await silverOf(h, 'events', `AND user_key = ${quoteLiteral(key(U))}`) }).toEqual({
        hour: h,
        rows: later.filter((e) => hourKey(e.event_time) === h).map((e) => [e.event_id, key(U)]).sort(),
      });
      const truth = truthWithout(erasures).ctr_hourly.filter((r) => r.campaign_id === cNow && `${r.dt}T${r.hr}` === h);
      const { dt, hr } = parseHourKey(h);
      const gold = await presto.queryObjects(`SELECT impressions, clicks FROM lake.gold.ctr_hourly WHERE dt = ${quoteLiteral(dt)} AND hr = ${quoteLiteral(hr)} AND campaign_id = ${quoteLiteral(cNow)}`);
      expect({ hour: h, gold }).toEqual({ hour: h, gold: truth.map((r) => ({ impressions: r.impressions, clicks: r.clicks })) });
    }
    expect((await rowsOfKey(key(U))).events).toBe(later.length);
  });

  step('(c) a backfill of the erased hours does not bring U back', async () => {
    const summary = await cli<{ hours: Record<string, number>; failed: unknown[] }>(['backfill', '--from', hours[0] as string, '--to', hours[2] as string]);
    expect(summary).toMatchObject({ hours: { done: 3, failed: 0, skipped: 0 }, days: { done: 2, failed: 0 }, failed: [] });
    await expectLakeEqualsTruth(erasures, 'backfill');
    const counts = await rowsOfKey(key(U));
    expect(counts.quarantine).toBe(0);
    // Only the events dated after the request, in the current hours, are U's.
    expect(counts.events).toBe(3);
  });

  step('(d) delete-user V --suppress: V is erased, and V events dated after the request are dropped too', async () => {
    const vBefore = recordsOf(await scanBronze(s3, bucket, hours), V);
    expect(vBefore.records).toBe(3 * 3);
    const record = await deleteUser(V, true);
    expect({ objects: record.bronze_objects_rewritten, records: record.bronze_records_removed, silver: record.silver_rows_removed, restated: restatedBy(record) }).toEqual({
      objects: vBefore.objects.length,
      records: 9,
      silver: 9,
      restated: { hours, days },
    });
    expect(recordsOf(await scanBronze(s3, bucket, hours), V)).toEqual({ objects: [], records: 0 });
    await expectLakeEqualsTruth(erasures, 'erasure');

    const now = Date.now();
    const later = [ad(V, 'ad_impression', cNow, record.requested_at + 1, 'stb'), ad(V, 'ad_click', cNow, now, 'stb'), view(V, now, 'stb')];
    const currentHours = [...new Set(later.map((e) => hourKey(e.event_time)))].sort();
    const baseline: Record<string, LedgerFigures> = {};
    for (const h of currentHours) baseline[h] = (await promoteAfter(h, now)).silver;
    const postedAt = Date.now();
    await post([...later, view(V, parseHourKey(hours[2] as string).startMs + 50 * MINUTE_MS, 'stb')]);
    for (const h of currentHours) {
      const result = await promoteAfter(h, postedAt);
      expect({ hour: h, erased: result.silver.erased - (baseline[h]?.erased ?? 0) }).toEqual({ hour: h, erased: later.filter((e) => hourKey(e.event_time) === h).length });
    }
    await promoteAfter(hours[2] as string, postedAt);
    await cli(['promote', '--day', days[1] as string]);
    expect(await rowsOfKey(key(V))).toEqual({ events: 0, quarantine: 0 });
    await expectLakeEqualsTruth(erasures);
    await expectHistoriesClean(record.workflow_id, [U, V]);
  });

  step('(e) delete-user W while a backfill of the same hours runs: once both end, no Silver version holds W', async () => {
    const wBefore = recordsOf(await scanBronze(s3, bucket, hours), W);
    expect(wBefore.records).toBe(3 * 3);
    const spawnedAt = Date.now();
    const backfill = startCli(['backfill', '--from', hours[0] as string, '--to', hours[2] as string, '--concurrency', '1']);
    const connection = await connectTemporal(config.temporal);
    let record: ErasureRecord;
    try {
      const handle = new Client({ connection, namespace: config.temporal.namespace }).workflow.getHandle(backfillWorkflowId(hours[0] as string, hours[2] as string));
      for (;;) {
        const described = await handle.describe().catch(() => undefined);
        if (described !== undefined && described.startTime.getTime() >= spawnedAt - 1000) {
          if (described.status.name === 'RUNNING') break;
          throw new Error(`the backfill ended (${described.status.name}) before the erasure could start`);
        }
        if (Date.now() - spawnedAt > 60_000) throw new Error('the backfill did not start within a minute');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      record = await deleteUser(W, false);
      const summary = await backfill.done;
      expect({ code: summary.code, stderr: summary.code === 0 ? '' : summary.stderr }).toEqual({ code: 0, stderr: '' });
      expect(summary.value).toMatchObject({ hours: { done: 3, failed: 0, skipped: 0 }, days: { done: 2, failed: 0 }, failed: [] });
      // The two overlapped: the backfill was still running when the erasure was requested.
      const closed = (await handle.describe()).closeTime;
      expect(closed?.getTime()).toBeGreaterThan(record.requested_at);
    } finally {
      await connection.close();
    }
    // What ran when, for the report of a failure: the hours' runs since the request, and the record.
    const runs = await presto.queryObjects(
      `SELECT dt, hr, reason, erased, finished_at FROM lake.audit.hour_runs WHERE layer = 'silver' AND status = 'published' AND finished_at >= ${record.requested_at} ` +
        `AND ((dt = ${quoteLiteral(days[0] as string)} AND hr = '23') OR (dt = ${quoteLiteral(days[1] as string)} AND hr IN ('00', '01'))) ORDER BY finished_at`,
    );
    process.stderr.write(`erasure test (e): runs since the request ${JSON.stringify(runs.map((r) => ({ ...r, after_request_ms: Number(r.finished_at) - record.requested_at })))}\n`);

    // Every check below runs, whichever fails, so a failure report says everything that is wrong.
    const problems: string[] = [];
    const soft = async (what: string, check: () => unknown): Promise<void> => {
      try {
        await check();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    // Which hours it restates depends on the race (an hour the backfill rebuilt after the request is
    // already without W in Silver); W's Bronze is in all three, whichever.
    await soft('the record', () => {
      const restated = restatedBy(record);
      const bronzeHours = (JSON.parse(record.details ?? '{}') as { bronze_hours?: string[] }).bronze_hours;
      expect({
        records: record.bronze_records_removed,
        objects: record.bronze_objects_rewritten,
        restatedOutsideTheHours: restated.hours.filter((h) => !hours.includes(h)),
        bronzeHoursMissing: bronzeHours === undefined ? [] : hours.filter((h) => !bronzeHours.includes(h)),
      }).toEqual({ records: 9, objects: wBefore.objects.length, restatedOutsideTheHours: [], bronzeHoursMissing: [] });
    });
    await soft('Bronze', async () => expect(recordsOf(await scanBronze(s3, bucket, hours), W)).toEqual({ objects: [], records: 0 }));
    await soft('published Silver and quarantine', async () => expect(await rowsOfKey(key(W))).toEqual({ events: 0, quarantine: 0 }));
    for (const hour of hours) {
      const { dt, hr } = parseHourKey(hour);
      for (const def of [SILVER_EVENTS, SILVER_QUARANTINE] as TableDef[]) {
        await soft(`versions of ${def.table} ${hour}`, async () => {
          const byVersion = await userKeysByVersion(s3, bucket, def, { dt, hr });
          expect(Object.keys(byVersion).length).toBeGreaterThan(0);
          const holding = (userKeyValue: string) => Object.entries(byVersion).filter(([, keys]) => keys.includes(userKeyValue)).map(([v]) => v);
          expect({ W: holding(key(W)), U: holding(key(U)), V: holding(key(V)) }).toEqual({ W: [], U: [], V: [] });
        });
      }
    }
    await soft('Silver, quarantine, ledgers and Gold against the truth', () => expectLakeEqualsTruth(erasures));
    await soft('Temporal history', () => expectHistoriesClean(record.workflow_id, [U, V, W]));

    // Every request in lake.audit.erasures and in status, verified; no raw id in any service log.
    const ids = [U, V, W].map((u) => records[u]?.request_id as string);
    await soft('lake.audit.erasures', async () => {
      const rows = await presto.queryObjects(`SELECT request_id, status FROM lake.audit.erasures WHERE request_id IN (${ids.map(quoteLiteral).join(', ')}) ORDER BY request_id`);
      expect(rows).toEqual([...ids].sort().map((request_id) => ({ request_id, status: 'verified' })));
    });
    await soft('status', async () => {
      const status = await cli<{ erasures?: unknown }>(['status', '--from', hours[0] as string, '--to', hours[2] as string]);
      expect(listedErasures(status)).toEqual(expect.arrayContaining(ids.map((request_id) => expect.objectContaining({ request_id, status: 'verified' }))));
    });
    await soft('service logs', () => {
      const logs = filesContaining(path.join(config.paths.stateDir, 'logs'), [U, V, W]);
      expect(logs.files.length).toBeGreaterThan(0);
      expect(logs.hits).toEqual([]);
    });
    if (problems.length > 0) throw new Error(`${problems.length} check(s) failed:\n\n${problems.join('\n\n')}`);
  });
});
