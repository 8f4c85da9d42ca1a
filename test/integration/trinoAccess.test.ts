/**
 * Trino itself enforces the serving API's access (core/trinoRules.ts, docs/access.md), queried here
 * directly as each role's Trino user, not through any API. Users of every role are added to the key
 * store's users in the live rules file (infra/trinoRules.ts writeTrinoRules), which Trino re-reads
 * within a second; afterwards the file is written again from the key store on disk, as `stack up`
 * and `clicklake keys` write it (so a key created meanwhile keeps its rules too).
 *
 * Traffic of this run's own id scope (10 campaigns, so four advertisers) goes through the collector
 * into a quiet stretch of past hours with its campaigns written to lake.gold.dim_campaign; the
 * hours are promoted (as the pipeline user, under the rules), and then each role's view is compared
 * with what the pipeline user sees.
 */
import { randomBytes } from 'node:crypto';
import { Presto } from '../../activities/clients';
import { addKey, newKeyRecord, newKeyText, type KeyStore, type Role } from '../../core/apiKeys';
import { campaignCatalog } from '../../core/generator';
import { hourKey } from '../../core/time';
import { readKeyStore } from '../../infra/keyStore';
import { writeTrinoRules } from '../../infra/trinoRules';
import { generate } from '../../workers/generate';
import { findQuietWindow, newIdScope, runPromoteHour } from '../../workers/lakeCommands';
import { stackConfig } from '../support/stack';

// Each query waits for Trino; a scan of the lake's whole ctr_hourly included.
jest.setTimeout(120_000);

const config = stackConfig();
const tag = randomBytes(3).toString('hex');
const scope = newIdScope();
const CAMPAIGNS = 10;
const advertiser = `${scope}a0001`;
const NAMES: Readonly<Record<Role, string>> = {
  admin: `t${tag}-admin`,
  analyst: `t${tag}-analyst`,
  finance: `t${tag}-finance`,
  product: `t${tag}-product`,
  campaign_manager: `t${tag}-cm`,
  collector: `t${tag}-collector`,
};
const UNKNOWN = `t${tag}-nokey`;

const as = (user: string): Presto => new Presto(config.presto, { user, timeoutSeconds: 60 });
const pipeline = new Presto(config.presto);
const scopeLike = `'${scope}%'`;

/** The error a query as `user` fails with, or 'allowed'. */
async function outcome(user: string, sql: string): Promise<string> {
  try {
    await as(user).query(sql);
    return 'allowed';
  } catch (err) {
    return (err as Error).message;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let hours: string[] = [];

beforeAll(async () => {
  // The real users keep their rules while the test's are added.
  let store: KeyStore = readKeyStore(config);
  const now = Date.now();
  for (const role of Object.keys(NAMES) as Role[]) {
    const record = newKeyRecord({ name: NAMES[role], role, ...(role === 'campaign_manager' ? { advertiser } : {}) }, newKeyText(randomBytes(24)), now);
    store = addKey(store, record);
  }
  writeTrinoRules(config, store);
  await waitFor('the test users in the rules', async () => (await outcome(NAMES.analyst, 'SELECT 1')) === 'allowed');

  const quiet = await findQuietWindow(config, now);
  const result = await generate(
    config.collector,
    {
      ratePerSec: 1000,
      durationSec: 2,
      batchSize: 500,
      concurrency: 2,
      gzip: true,
      eventTimeShiftMs: quiet.targetMs - now,
      traffic: { idScope: scope, seed: Math.floor(Math.random() * 2 ** 31), campaigns: CAMPAIGNS, users: 200, titles: 10 },
      lake: config.s3,
    },
    undefined,
  );
  hours = [...new Set(result.accepted.filter((e) => e.quarantine_reason === null).map((e) => hourKey(e.event_time)))].sort();
  // The pipeline user promotes under the rules: registering partitions, writing Gold and the audit.
  for (const hour of hours) await runPromoteHour(config, hour, { acceptQuality: true });
}, 600_000);

afterAll(async () => {
  writeTrinoRules(config);
  // Restored: the test's users are gone again.
  await waitFor('the test users to leave the rules', async () => (await outcome(NAMES.analyst, 'SELECT 1')) !== 'allowed');
});

const hoursSql = (): string => hours.map((h) => `(dt = '${h.slice(0, 10)}' AND hr = '${h.slice(11, 13)}')`).join(' OR ');

describe('Trino access rules on the real stack', () => {
  it('promoted the traffic and filled dim_campaign as the pipeline user', async () => {
    expect(hours.length).toBeGreaterThan(0);
    const dim = await pipeline.queryObjects(`SELECT campaign_id, advertiser_id, name FROM lake.gold.dim_campaign WHERE campaign_id LIKE ${scopeLike} ORDER BY campaign_id`);
    expect(dim).toEqual(campaignCatalog({ campaigns: CAMPAIGNS, idScope: scope }));
  });

  it('denies the raw zone to everyone but admins', async () => {
    for (const role of ['analyst', 'finance', 'product', 'campaign_manager'] as const) {
      expect(await outcome(NAMES[role], 'SHOW TABLES FROM lake.bronze')).toMatch(/Access Denied: Cannot show tables of schema lake\.bronze/);
    }
    expect(await outcome(NAMES.admin, 'SHOW TABLES FROM lake.bronze')).toBe('allowed');
  });

  it('masks user_key for product and campaign managers, not for analysts', async () => {
    const sql = `SELECT count(*) AS n, count(user_key) AS keys FROM lake.silver.events WHERE (${hoursSql()}) AND campaign_id LIKE ${scopeLike}`;
    const [truth] = await pipeline.queryObjects(sql);
    expect(Number(truth?.n)).toBeGreaterThan(0);
    expect(await as(NAMES.analyst).queryObjects(sql)).toEqual([{ n: truth?.n, keys: truth?.n }]);
    const [product] = await as(NAMES.product).queryObjects(sql);
    expect(product).toEqual({ n: truth?.n, keys: 0 });
    const [manager] = await as(NAMES.campaign_manager).queryObjects(sql);
    expect(Number(manager?.n)).toBeGreaterThan(0);
    expect(manager?.keys).toBe(0);
    // A masked column cannot be searched either: the mask applies before the WHERE.
    expect(await as(NAMES.product).query(`SELECT count(*) FROM lake.silver.events WHERE (${hoursSql()}) AND user_key IS NOT NULL`)).toMatchObject({ rows: [[0]] });
  });

  it('opens the audit schema to admin and finance only', async () => {
    const sql = 'SELECT count(*) FROM lake.audit.hour_runs';
    expect(await outcome(NAMES.product, sql)).toMatch(/Access Denied: Cannot select from table lake\.audit\.hour_runs/);
    expect(await outcome(NAMES.analyst, sql)).toMatch(/Access Denied: Cannot select from table lake\.audit\.hour_runs/);
    expect(await outcome(NAMES.campaign_manager, sql)).toMatch(/Access Denied/);
    expect(await outcome(NAMES.finance, sql)).toBe('allowed');
    expect(await outcome(NAMES.admin, sql)).toBe('allowed');
    // A collector key only sends events: it reads nothing in the lake.
    expect(await outcome(NAMES.collector, 'SELECT count(*) FROM lake.gold.ctr_hourly')).toMatch(/Access Denied/);
    expect(await outcome(NAMES.finance, 'SELECT count(*) FROM lake.silver.events')).toMatch(/Access Denied: Cannot select from table lake\.silver\.events/);
  });

  it("shows a campaign manager exactly its advertiser's campaigns in ctr_hourly, as the pipeline user sees them through dim_campaign", async () => {
    const columns = 'campaign_id, dt, hr, impressions, clicks';
    const order = 'ORDER BY campaign_id, dt, hr';
    const mine = await as(NAMES.campaign_manager).queryObjects(`SELECT ${columns} FROM lake.gold.ctr_hourly WHERE campaign_id LIKE ${scopeLike} ${order}`);
    const expected = await pipeline.queryObjects(
      `SELECT ${columns} FROM lake.gold.ctr_hourly WHERE campaign_id LIKE ${scopeLike} ` +
        `AND campaign_id IN (SELECT campaign_id FROM lake.gold.dim_campaign WHERE advertiser_id = '${advertiser}') ${order}`,
    );
    const all = await pipeline.queryObjects(`SELECT ${columns} FROM lake.gold.ctr_hourly WHERE campaign_id LIKE ${scopeLike} ${order}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(all.length).toBeGreaterThan(expected.length);
    expect(mine).toEqual(expected);
    // Without any WHERE of its own, nothing of another advertiser (this run's or any other).
    const seen = await as(NAMES.campaign_manager).queryObjects('SELECT DISTINCT campaign_id FROM lake.gold.ctr_hourly');
    const own = campaignCatalog({ campaigns: CAMPAIGNS, idScope: scope }).filter((c) => c.advertiser_id === advertiser).map((c) => c.campaign_id);
    expect(seen.map((r) => r.campaign_id).every((c) => own.includes(String(c)))).toBe(true);
    expect(await as(NAMES.campaign_manager).queryObjects('SELECT DISTINCT advertiser_id FROM lake.gold.dim_campaign')).toEqual([{ advertiser_id: advertiser }]);
    expect(await outcome(NAMES.campaign_manager, 'SELECT count(*) FROM lake.gold.dau_daily')).toMatch(/Access Denied/);
  });

  it('lets only the pipeline user write', async () => {
    const insert = "INSERT INTO lake.gold.dim_campaign SELECT 'x', 'y', 'z' WHERE false";
    for (const role of ['admin', 'analyst', 'finance'] as const) expect(await outcome(NAMES[role], insert)).toMatch(/Access Denied: Cannot insert into table lake\.gold\.dim_campaign/);
  });

  it("runs API users' queries in their own group under api, the pipeline's apart", async () => {
    const groups = await pipeline.queryObjects(
      `SELECT DISTINCT "user", array_join(resource_group_id, '.') AS grp FROM system.runtime.queries ` +
        `WHERE "user" IN ('${NAMES.analyst}', '${NAMES.product}', '${config.presto.user}') AND resource_group_id IS NOT NULL ORDER BY 1`,
    );
    expect(groups).toEqual(
      expect.arrayContaining([
        { user: NAMES.analyst, grp: `api.${NAMES.analyst}` },
        { user: NAMES.product, grp: `api.${NAMES.product}` },
        { user: config.presto.user, grp: 'pipeline' },
      ]),
    );
    expect(groups.filter((g) => g.user === config.presto.user).map((g) => g.grp)).toEqual(['pipeline']);
  });

  it('denies a user without a key everything', async () => {
    expect(await outcome(UNKNOWN, 'SELECT 1')).toMatch(/Access Denied: Cannot execute query/);
    expect(await outcome(UNKNOWN, 'SELECT count(*) FROM lake.gold.ctr_hourly')).toMatch(/Access Denied/);
  });
});
