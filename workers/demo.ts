/**
 * `clicklake demo`, the main job: brings the stack up, sends realistic traffic (with late, too-late,
 * duplicate and malformed events) through the collector, promotes what it touched, checks Gold
 * against the truth, and shows what happened and where to look. Each later stage of the pipeline
 * adds its step to runDemo.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClicklakeConfig } from '../core/config';
import { localAdminKey } from '../infra/keyStore';
import { layoutOf } from '../infra/layout';
import type { StackStatus } from '../infra/stack';
import type { HourResult } from '../activities/promote';
import { daysOf, hoursToPromote, topCampaigns, type CampaignTotal } from '../core/demo';
import { generate, writeTruth, type GenerateOptions, type GenerateSummary } from './generate';
import { comparableTables, findQuietWindow, newIdScope, runPromoteDay, runPromoteHour, verifyGold } from './lakeCommands';

export interface DemoReport {
  readonly status: StackStatus;
  readonly traffic: GenerateSummary;
  readonly truthFile: string;
  readonly truth: { readonly events: number; readonly duplicates: number; readonly quarantined: number; readonly counted: number };
  readonly topCampaigns: readonly CampaignTotal[];
  readonly day: string;
  /** The day held no other traffic: every Gold table was compared (else those the id scope isolates). */
  readonly quietDay: boolean;
  readonly hours: readonly HourResult[];
  readonly verify: Awaited<ReturnType<typeof verifyGold>>;
  readonly links: Readonly<Record<string, string>>;
}

/** The demo's traffic: 5% late, 1% too late, 3% duplicates, 2% malformed, its ids in a scope of their own. */
function demoTraffic(options: DemoOptions, eventTimeShiftMs: number): GenerateOptions {
  return {
    ratePerSec: options.ratePerSec,
    durationSec: options.durationSec,
    batchSize: 500,
    concurrency: 4,
    gzip: true,
    eventTimeShiftMs,
    traffic: {
      idScope: newIdScope(),
      seed: Date.now() % 2_147_483_647,
      campaigns: 50,
      users: 5000,
      titles: 200,
      lateFraction: 0.05,
      tooLateFraction: 0.01,
      duplicateFraction: 0.03,
      malformedFraction: 0.02,
    },
  };
}

/** A fresh truth file under `<state>/demo/`. */
function newTruthFile(config: ClicklakeConfig): string {
  const dir = path.join(layoutOf(config.paths).stateDir, 'demo');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `truth-${new Date().toISOString().replace(/[:.]/g, '')}.json`);
}

/** Promotes every hour the traffic touched, then each of their days, through Temporal. */
async function promoteAll(config: ClicklakeConfig, hourKeys: readonly string[], progress: (message: string) => void): Promise<HourResult[]> {
  const hours: HourResult[] = [];
  for (const hour of hourKeys) {
    progress(`promoting ${hour} (Temporal workflow promote-hour-${hour})`);
    hours.push(await runPromoteHour(config, hour));
  }
  for (const dt of daysOf(hourKeys)) {
    progress(`promoting day ${dt} (daily Gold)`);
    await runPromoteDay(config, dt);
  }
  return hours;
}

function demoLinks(config: ClicklakeConfig): DemoReport['links'] {
  const adminKey = localAdminKey(config);
  return {
    // The key rides in the fragment: the browser never sends it in a URL, the page keeps it for its calls.
    dashboard: `${config.api.url}/${adminKey === undefined ? '' : `#key=${adminKey}`}`,
    metrics_api: `${config.api.url}/v1/metrics/ctr`,
    temporal_ui: config.temporal.uiUrl,
    presto_ui: `${config.presto.url}/ui/`,
    s3_console: `http://${config.s3.host}:${config.s3.consolePort}`,
    collector_metrics: `${config.collector.url}/metrics`,
  };
}

export interface DemoOptions {
  readonly ratePerSec: number;
  readonly durationSec: number;
}

/**
 * Sends the traffic, promotes what it touched and compares Gold with its truth. The traffic is
 * replayed into a recent day (event times shifted back, as a client sending a backlog does), a quiet
 * one when the lake has one, so every Gold table can be checked exactly; its campaign and title ids
 * carry a scope of their own, so on a busy day those tables still can.
 */
export async function runDemo(config: ClicklakeConfig, status: StackStatus, options: DemoOptions, progress: (message: string) => void): Promise<DemoReport> {
  const truthFile = newTruthFile(config);
  const now = Date.now();
  const quiet = await findQuietWindow(config, now);
  const day = new Date(quiet.targetMs).toISOString().slice(0, 10);
  progress(`sending ${options.ratePerSec} events/s for ${options.durationSec} s through the collector into ${day} (5% late, 1% too late, 3% duplicates, 2% malformed)`);
  const result = await generate(config.collector, { ...demoTraffic(options, quiet.targetMs - now), lake: config.s3 }, undefined);
  const truth = writeTruth(truthFile, result);
  const hours = await promoteAll(config, hoursToPromote(result.accepted), progress);
  // Daily tables are compared only when the whole day held nothing but this traffic.
  const verify = await verifyGold(config, truthFile, comparableTables(quiet));
  // A few seconds of traffic dated now, so the dashboard's live minute CTR has something to draw.
  progress('sending 5 s of live traffic (event time now) for the dashboard\'s real-time minutes');
  await generate(config.collector, { ...demoTraffic({ ratePerSec: Math.min(options.ratePerSec, 1000), durationSec: 5 }, 0), lake: config.s3 }, undefined);
  return {
    day,
    quietDay: quiet.wholeDay,
    hours,
    verify,
    status,
    traffic: result.summary,
    truthFile,
    truth: truth.stats,
    topCampaigns: topCampaigns(truth.tables.ctr_hourly),
    links: demoLinks(config),
  };
}

function nextDay(dt: string): string {
  return new Date(Date.parse(`${dt}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

export function formatDemo(report: DemoReport, secretsFile: string): string {
  const t = report.traffic;
  const lines = [
    '',
    `Traffic: ${t.sent} events in ${t.durationSec} s (${t.eventsPerSec}/s): accepted ${t.accepted} (of which ${t.quarantined} quarantined as too late),`,
    `         rejected ${t.rejected} with reasons (in the dead-letter topic), ${t.retries} retried requests`,
    `Truth:   ${report.truth.counted} events count in Gold after dropping ${report.truth.duplicates} duplicates and ${report.truth.quarantined} quarantined`,
    `         expected Gold rows of all four tables: ${report.truthFile}`,
    '',
    `Promoted ${report.hours.length} hours of ${report.day} through Temporal (Bronze -> Silver -> Gold), ledger per hour:`,
    ...report.hours.map((h) => {
      const l = h.silver;
      return `  ${h.hour}  in ${String(l.rows_in).padStart(6)} = out ${String(l.rows_out).padStart(6)} + dup ${String(l.duplicates).padStart(4)} + rejected ${l.rejected} + late ${l.late}${l.erased > 0 ? ` + erased ${l.erased}` : ''}`;
    }),
    '',
    `Gold in Presto vs the truth: ${report.verify.ok ? 'EQUAL, to the row' : 'DIFFERENT'}` +
      (report.quietDay ? '' : ` (${report.day} holds other traffic: rows of this run's id scope ${report.traffic.idScope ?? ''}; dau_daily not compared)`),
    ...Object.entries(report.verify.tables).map(([table, n]) => `  ${table.padEnd(18)} ${n.found} rows (expected ${n.expected})`),
    `  try: npx clicklake query "SELECT * FROM lake.gold.ctr_hourly WHERE dt = '${report.day}' ORDER BY impressions DESC LIMIT 10"`,
    ...(t.idScope === undefined ? [] : [`  erase this traffic's busiest user: npx clicklake delete-user --user-id ${t.idScope}u0000000 --wait   (docs/governance.md)`]),
    '',
    'Busiest campaigns of this traffic:',
    ...report.topCampaigns.map(
      (c) => `  ${c.campaign_id.padEnd(16)} impressions ${String(c.impressions).padStart(6)}  clicks ${String(c.clicks).padStart(5)}  ctr ${c.ctr === null ? 'n/a' : (c.ctr * 100).toFixed(2) + '%'}`,
    ),
    '',
    'Where to look:',
    `  Dashboard          ${report.links.dashboard ?? ''}`,
    `                     (live minute CTR: keep traffic flowing with  npx clicklake generate --rate 500 --duration 600)`,
    `  Metrics API        ${report.links.metrics_api ?? ''}?campaign_id=${report.topCampaigns[0]?.campaign_id ?? 'C'}&from=${report.day}&to=${nextDay(report.day)}&granularity=hour   (docs/api.md; key: stack status --json)`,
    `  Temporal Web UI    ${report.links.temporal_ui}`,
    `  Presto (Trino) UI  ${report.links.presto_ui}   (catalog lake: schemas bronze, silver, gold, audit)`,
    `  S3 console         ${report.links.s3_console}   (credentials in ${secretsFile})`,
    `  Collector metrics  ${report.links.collector_metrics}`,
    '',
  ];
  return lines.join('\n');
}
