/**
 * The dashboard (GET / of the serving API) in headless Chromium on the real stack: traffic of a fresh
 * id scope goes through the collector at the present time, the real-time CTR consumer counts it, and
 * the page opened with the admin key must draw its charts and show the same numbers the API gives
 * (a campaign of this run only: its counts cannot move between the two reads) and the generator's
 * truth. A bad key and an API error must show on the page, not be swallowed. CLICKLAKE_SCREENSHOT=1 saves
 * docs/dashboard.png.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS, ensureChromium } from '../../infra/chromium';
import { ensureAdminKey } from '../../infra/keyStore';
import { repoPath } from '../../infra/repo';
import { generate } from '../../workers/generate';
import { newIdScope } from '../../workers/lakeCommands';
import { stackConfig } from '../support/stack';

const config = stackConfig();
const API = config.api.url.replace(/\/$/, '');

interface TopCampaign {
  campaign_id: string;
  impressions: number;
  clicks: number;
  series: Array<{ impressions: number; clicks: number }>;
}
interface Bucket {
  start: string;
  impressions: number;
  clicks: number;
  source: string;
  state: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A GET of the API with the key; a 429 (the page shares the user's budget) waits its Retry-After. */
async function apiGet<T>(key: string, pathAndQuery: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${API}${pathAndQuery}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status === 429 && attempt < 10) {
      await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
      continue;
    }
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${pathAndQuery}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

/** The number a cell shows (`1,234` → 1234). */
async function shownNumber(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).textContent()) ?? '';
  return Number(text.replace(/,/g, ''));
}

describe('dashboard in headless Chromium', () => {
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;

  afterAll(async () => {
    await context?.close();
    if (userDataDir !== undefined) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  it('draws the live and campaign charts and shows the numbers the API gives', async () => {
    const key = ensureAdminKey(config, Date.now());
    const executablePath = await ensureChromium(config.paths);

    // Traffic of this run only, at the present time, so it lands in the live window.
    const idScope = newIdScope();
    const result = await generate(
      config.collector,
      {
        ratePerSec: 2000,
        durationSec: 3,
        batchSize: 500,
        concurrency: 2,
        gzip: true,
        traffic: { idScope, seed: Math.floor(Math.random() * 2 ** 31), campaigns: 3, users: 300, titles: 5, lateFraction: 0, tooLateFraction: 0, duplicateFraction: 0, malformedFraction: 0 },
      },
      undefined,
    );
    const truth = new Map<string, { impressions: number; clicks: number }>();
    const seen = new Set<string>();
    for (const e of result.accepted) {
      if (seen.has(e.event_id) || e.campaign_id === null || e.quarantine_reason !== null) continue;
      seen.add(e.event_id);
      const counts = truth.get(e.campaign_id) ?? { impressions: 0, clicks: 0 };
      if (e.event_type === 'ad_impression') counts.impressions++;
      else if (e.event_type === 'ad_click') counts.clicks++;
      else continue;
      truth.set(e.campaign_id, counts);
    }
    const [campaign, expected] = [...truth].sort((a, b) => b[1].impressions - a[1].impressions)[0] ?? [];
    if (campaign === undefined || expected === undefined) throw new Error('the traffic held no ad events');
    expect(campaign.startsWith(idScope)).toBe(true);

    // The real-time consumer has counted all of it: from here on the campaign's counts are fixed.
    let live: TopCampaign | undefined;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const top = await apiGet<{ campaigns: TopCampaign[] }>(key, '/v1/realtime/top?minutes=30&limit=8');
      live = top.campaigns.find((c) => c.campaign_id === campaign);
      if (live !== undefined && live.impressions === expected.impressions && live.clicks === expected.clicks) break;
      if (Date.now() > deadline) throw new Error(`real-time top never reached the truth of ${campaign} (${JSON.stringify(expected)}): ${JSON.stringify(live ?? top.campaigns.map((c) => [c.campaign_id, c.impressions]))}`);
      await sleep(1000);
    }

    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: [...CHROMIUM_FLAGS], viewport: { width: 1440, height: 1000 } });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    await page.goto(`${API}/#key=${encodeURIComponent(key)}&campaign=${encodeURIComponent(campaign)}`);
    // The key leaves the address bar at once; the fragment never reached the server anyway.
    expect(page.url()).not.toContain(key);

    // Charts drawn: the canvas is there and the chart instances hold series data.
    await page.waitForFunction(
      (id) => {
        const d = (globalThis as unknown as { __dashboard?: { charts: Record<string, { getOption(): { series: Array<{ name: string; data: unknown[] }> } }>; renders: Record<string, number> } }).__dashboard;
        const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
        const liveSeries = d?.charts.live?.getOption().series.find((s) => s.name === id);
        const hourly = d?.charts.hourly?.getOption().series[0];
        return doc.querySelector('#live-chart canvas') !== null && doc.querySelector('#hourly-chart canvas') !== null && (liveSeries?.data.some((v) => v !== null) ?? false) && (hourly?.data.length ?? 0) > 0 && (d?.renders.status ?? 0) > 0;
      },
      campaign,
      { timeout: 60_000 },
    );

    // Live: the campaign's impressions and clicks over the window, as the API gave them, and the truth.
    expect(await shownNumber(page, `live-impressions-${campaign}`)).toBe(live.impressions);
    expect(await shownNumber(page, `live-clicks-${campaign}`)).toBe(live.clicks);
    expect(live.impressions).toBe(expected.impressions);

    // Hourly: the page's request again, straight to the API; the campaign's totals and every bucket agree.
    const shown = (await page.evaluate(() => (globalThis as unknown as { __dashboard: { payloads: { hourly: { from: string; to: string } } } }).__dashboard.payloads.hourly)) as { from: string; to: string };
    const hourly = await apiGet<{ buckets: Bucket[] }>(key, `/v1/metrics/ctr?campaign_id=${encodeURIComponent(campaign)}&granularity=hour&from=${shown.from}&to=${shown.to}`);
    const sum = hourly.buckets.reduce((t, b) => ({ impressions: t.impressions + b.impressions, clicks: t.clicks + b.clicks }), { impressions: 0, clicks: 0 });
    expect(sum).toEqual(expected);
    expect(await shownNumber(page, 'hourly-total-impressions')).toBe(sum.impressions);
    expect(await shownNumber(page, 'hourly-total-clicks')).toBe(sum.clicks);
    for (const b of hourly.buckets.filter((x) => x.impressions > 0)) {
      expect(await shownNumber(page, `hour-impressions-${b.start}`)).toBe(b.impressions);
      expect(await page.getByTestId(`hour-source-${b.start}`).textContent()).toBe(b.source);
      expect(await page.getByTestId(`hour-state-${b.start}`).textContent()).toBe(b.state);
    }

    // Lag: the figure shown is the one of the status payload it was drawn from.
    const lag = await page.evaluate(() => {
      const g = globalThis as unknown as { __dashboard: { payloads: { status: { lag: { bronze_records: number; ctr_records: number } } } }; document: { getElementById(id: string): { textContent: string } } };
      return { payload: g.__dashboard.payloads.status.lag, bronze: g.document.getElementById('lag-bronze').textContent, ctr: g.document.getElementById('lag-ctr').textContent };
    });
    expect(Number(lag.bronze.replace(/,/g, ''))).toBe(lag.payload.bronze_records);
    expect(Number(lag.ctr.replace(/,/g, ''))).toBe(lag.payload.ctr_records);

    // No section shows an error (a 429 at start is shown, then cleared by the next success).
    await page.waitForFunction(() => Object.keys((globalThis as unknown as { __dashboard: { errors: object } }).__dashboard.errors).length === 0, undefined, { timeout: 20_000 }).catch(() => undefined);
    expect(await page.evaluate(() => (globalThis as unknown as { __dashboard: { errors: object } }).__dashboard.errors)).toEqual({});
    expect(pageErrors).toEqual([]);

    if (process.env.CLICKLAKE_SCREENSHOT === '1') await page.screenshot({ path: repoPath('docs', 'dashboard.png'), fullPage: true });

    // A wrong key: the page says why, in the key form.
    const refused = await context.newPage();
    await refused.goto(`${API}/#key=ck_wrong_${idScope}`);
    await refused.getByTestId('key-error').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await refused.getByTestId('key-error').textContent()).toContain('unknown or revoked API key');
    await refused.close();

    // An API error of one section is shown in that section (here a campaign id the API refuses).
    const bad = await context.newPage();
    await bad.goto(`${API}/#key=${encodeURIComponent(key)}&campaign=${encodeURIComponent('no such campaign')}`);
    await bad.getByTestId('error-hourly').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await bad.getByTestId('error-hourly').textContent()).toMatch(/^\/v1\/metrics\/ctr answered 400 bad_request: campaign_id: /);
    await bad.close();
  }, 180_000);
});
