/**
 * `clicklake demo`, the main job: brings the stack up, sends realistic traffic (with late, too-late,
 * duplicate and malformed events) through the collector, and shows what happened and where to look.
 * Each later stage of the pipeline adds its step here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClicklakeConfig } from '../core/config';
import { layoutOf } from '../infra/layout';
import type { StackStatus } from '../infra/stack';
import { generate, writeTruth, type GenerateSummary } from './generate';

export interface DemoReport {
  readonly status: StackStatus;
  readonly traffic: GenerateSummary;
  readonly truthFile: string;
  readonly truth: { readonly events: number; readonly duplicates: number; readonly quarantined: number; readonly counted: number };
  readonly topCampaigns: ReadonlyArray<{ campaign_id: string; impressions: number; clicks: number; ctr: number | null }>;
  readonly links: Readonly<Record<string, string>>;
}

export async function runDemo(
  config: ClicklakeConfig,
  status: StackStatus,
  options: { ratePerSec: number; durationSec: number },
  progress: (message: string) => void,
): Promise<DemoReport> {
  const dir = path.join(layoutOf(config.paths).stateDir, 'demo');
  fs.mkdirSync(dir, { recursive: true });
  const truthFile = path.join(dir, `truth-${new Date().toISOString().replace(/[:.]/g, '')}.json`);

  progress(`sending ${options.ratePerSec} events/s for ${options.durationSec} s through the collector (5% late, 1% too late, 3% duplicates, 2% malformed)`);
  const result = await generate(
    config.collector,
    {
      ratePerSec: options.ratePerSec,
      durationSec: options.durationSec,
      batchSize: 500,
      concurrency: 4,
      gzip: true,
      traffic: {
        seed: Date.now() % 2_147_483_647,
        campaigns: 50,
        users: 5000,
        titles: 200,
        lateFraction: 0.05,
        tooLateFraction: 0.01,
        duplicateFraction: 0.03,
        malformedFraction: 0.02,
      },
    },
    undefined,
  );
  const truth = writeTruth(truthFile, result);

  // Campaign totals over every hour the traffic touched, busiest first.
  const totals = new Map<string, { impressions: number; clicks: number }>();
  for (const row of truth.tables.ctr_hourly) {
    const t = totals.get(row.campaign_id) ?? { impressions: 0, clicks: 0 };
    t.impressions += row.impressions;
    t.clicks += row.clicks;
    totals.set(row.campaign_id, t);
  }
  const topCampaigns = [...totals]
    .sort((a, b) => b[1].impressions - a[1].impressions || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([campaign_id, t]) => ({ campaign_id, ...t, ctr: t.impressions === 0 ? null : t.clicks / t.impressions }));

  return {
    status,
    traffic: result.summary,
    truthFile,
    truth: truth.stats,
    topCampaigns,
    links: {
      temporal_ui: config.temporal.uiUrl,
      presto_ui: `${config.presto.url}/ui/`,
      s3_console: `http://${config.s3.host}:${config.s3.consolePort}`,
      collector_metrics: `${config.collector.url}/metrics`,
    },
  };
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
    'Busiest campaigns (expected Gold, all hours):',
    ...report.topCampaigns.map(
      (c) => `  ${c.campaign_id.padEnd(10)} impressions ${String(c.impressions).padStart(6)}  clicks ${String(c.clicks).padStart(5)}  ctr ${c.ctr === null ? 'n/a' : (c.ctr * 100).toFixed(2) + '%'}`,
    ),
    '',
    'Where to look:',
    `  Temporal Web UI    ${report.links.temporal_ui}`,
    `  Presto (Trino) UI  ${report.links.presto_ui}   (catalog lake: schemas bronze, silver, gold, audit)`,
    `  S3 console         ${report.links.s3_console}   (credentials in ${secretsFile})`,
    `  Collector metrics  ${report.links.collector_metrics}`,
    '',
  ];
  return lines.join('\n');
}
