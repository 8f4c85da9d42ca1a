import type { ApiUser } from '../../core/apiKeys';
import { AUDIT_ERASURES, GOLD_CTR_HOURLY, GOLD_DAU_DAILY, GOLD_DIM_CAMPAIGN, LAKE_TABLES, SILVER_EVENTS } from '../../core/lakeTables';
import { DEFAULT_RESOURCE_GROUP_LIMITS, exactRegex, trinoAccessRules, trinoResourceGroups, trinoRulesJson, type TableRule } from '../../core/trinoRules';

const user = (name: string, role: ApiUser['role'], advertiser_id?: string): ApiUser => ({ name, role, key_id: 'k00000000', ...(advertiser_id === undefined ? {} : { advertiser_id }) });
const USERS: ApiUser[] = [
  user('admin', 'admin'),
  user('ana.lyst', 'analyst'),
  user('fin', 'finance'),
  user('pm', 'product'),
  user('cm1', 'campaign_manager', 'a0001'),
  user('cm2', 'campaign_manager', 'a0002'),
];
const SMALL = [SILVER_EVENTS, GOLD_CTR_HOURLY, GOLD_DAU_DAILY, GOLD_DIM_CAMPAIGN, AUDIT_ERASURES];
const DIM = '"lake"."gold"."dim_campaign"';
const MASK = [{ name: 'user_key', mask: 'CAST(NULL AS varchar)' }];
const cmFilter = (advertiser: string) => `campaign_id IN (SELECT campaign_id FROM ${DIM} WHERE advertiser_id = '${advertiser}')`;

/** The first rule Trino would apply to a user's access to a table (rules are matched top to bottom, whole strings). */
function firstTableRule(rules: readonly TableRule[], who: string, catalog: string, schema: string, table: string): TableRule | undefined {
  const full = (regex: string | undefined, value: string) => regex === undefined || new RegExp(`^(?:${regex})$`).test(value);
  return rules.find((r) => full(r.user, who) && full(r.catalog, catalog) && full(r.schema, schema) && full(r.table, table));
}

describe('Trino access rules (core/trinoRules.ts)', () => {
  it('gives each role exactly its tables, masks and filters, the pipeline user everything', () => {
    const rules = trinoAccessRules({ users: USERS, pipelineUser: 'clicklake', catalog: 'lake', tables: SMALL });
    expect(rules).toEqual({
      catalogs: [
        { user: 'clicklake', allow: 'all' },
        { user: 'admin|ana\\.lyst|fin|pm|cm1|cm2', catalog: 'lake', allow: 'read-only' },
        { catalog: 'system', allow: 'none' },
      ],
      schemas: [{ user: 'clicklake', owner: true }, { owner: false }],
      tables: [
        { user: 'clicklake', privileges: ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP', 'GRANT_SELECT'] },
        { user: 'admin', catalog: 'lake', schema: 'bronze', table: '.*', privileges: ['SELECT'] },
        { user: 'admin', catalog: 'lake', schema: 'silver', table: '.*', privileges: ['SELECT'] },
        { user: 'admin', catalog: 'lake', schema: 'gold', table: '.*', privileges: ['SELECT'] },
        { user: 'admin', catalog: 'lake', schema: 'audit', table: '.*', privileges: ['SELECT'] },
        { catalog: 'lake', schema: 'bronze', privileges: [] },
        { user: 'ana\\.lyst', catalog: 'lake', schema: 'silver', table: 'events', privileges: ['SELECT'] },
        { user: 'ana\\.lyst', catalog: 'lake', schema: 'gold', table: 'ctr_hourly', privileges: ['SELECT'] },
        { user: 'ana\\.lyst', catalog: 'lake', schema: 'gold', table: 'dau_daily', privileges: ['SELECT'] },
        { user: 'ana\\.lyst', catalog: 'lake', schema: 'gold', table: 'dim_campaign', privileges: ['SELECT'] },
        { user: 'fin', catalog: 'lake', schema: 'gold', table: 'ctr_hourly', privileges: ['SELECT'] },
        { user: 'fin', catalog: 'lake', schema: 'gold', table: 'dau_daily', privileges: ['SELECT'] },
        { user: 'fin', catalog: 'lake', schema: 'gold', table: 'dim_campaign', privileges: ['SELECT'] },
        { user: 'fin', catalog: 'lake', schema: 'audit', table: 'erasures', privileges: ['SELECT'] },
        { user: 'pm', catalog: 'lake', schema: 'silver', table: 'events', privileges: ['SELECT'], columns: MASK },
        { user: 'pm', catalog: 'lake', schema: 'gold', table: 'ctr_hourly', privileges: ['SELECT'] },
        { user: 'pm', catalog: 'lake', schema: 'gold', table: 'dau_daily', privileges: ['SELECT'] },
        { user: 'pm', catalog: 'lake', schema: 'gold', table: 'dim_campaign', privileges: ['SELECT'] },
        ...(['a0001', 'a0002'] as const).flatMap((advertiser, i) => {
          const environment = { filter_environment: { user: 'clicklake' } };
          const who = `cm${i + 1}`;
          return [
            { user: who, catalog: 'lake', schema: 'silver', table: 'events', privileges: ['SELECT'], columns: MASK, filter: cmFilter(advertiser), ...environment },
            { user: who, catalog: 'lake', schema: 'gold', table: 'ctr_hourly', privileges: ['SELECT'], filter: cmFilter(advertiser), ...environment },
            { user: who, catalog: 'lake', schema: 'gold', table: 'dim_campaign', privileges: ['SELECT'], filter: `advertiser_id = '${advertiser}'`, ...environment },
          ];
        }),
      ],
      procedures: [{ user: 'clicklake', privileges: ['EXECUTE'] }],
      queries: [
        { user: 'clicklake', allow: ['execute', 'view', 'kill'] },
        { user: 'admin', allow: ['execute', 'view', 'kill'] },
        { user: 'admin|ana\\.lyst|fin|pm|cm1|cm2', allow: ['execute'] },
      ],
      system_information: [{ user: 'clicklake', allow: ['read', 'write'] }],
    });
  });

  it.each([
    // who, schema.table, expected privileges (undefined: no rule, denied), masked, filtered
    ['analyst', 'ana.lyst', 'bronze.events', [], false, false],
    ['admin', 'admin', 'bronze.anything', ['SELECT'], false, false],
    ['pipeline', 'clicklake', 'bronze.anything', ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP', 'GRANT_SELECT'], false, false],
    ['analyst', 'ana.lyst', 'silver.events', ['SELECT'], false, false],
    ['product', 'pm', 'silver.events', ['SELECT'], true, false],
    ['campaign manager', 'cm1', 'silver.events', ['SELECT'], true, true],
    ['campaign manager', 'cm1', 'silver.quarantine', ['SELECT'], true, true],
    ['campaign manager', 'cm1', 'gold.campaign_daily', ['SELECT'], false, true],
    ['campaign manager', 'cm1', 'gold.dau_daily', undefined, false, false],
    ['analyst', 'ana.lyst', 'audit.hour_runs', undefined, false, false],
    ['product', 'pm', 'audit.erasures', undefined, false, false],
    ['finance', 'fin', 'audit.erasures', ['SELECT'], false, false],
    ['finance', 'fin', 'silver.events', undefined, false, false],
    ['unknown', 'mallory', 'gold.ctr_hourly', undefined, false, false],
    ['unknown lookalike', 'anaxlyst', 'silver.events', undefined, false, false],
    ['analyst', 'ana.lyst', 'gold.ctr_hourly$partitions', undefined, false, false],
  ])('%s %s on %s: the first matching rule over every lake table', (_role, who, table, privileges, masked, filtered) => {
    const rules = trinoAccessRules({ users: USERS, pipelineUser: 'clicklake', catalog: 'lake' });
    const [schema, name] = table.split('.') as [string, string];
    const rule = firstTableRule(rules.tables, who, 'lake', schema, name);
    expect(rule?.privileges).toEqual(privileges);
    expect(rule?.columns?.some((c) => c.name === 'user_key' && c.mask === 'CAST(NULL AS varchar)') ?? false).toBe(masked);
    expect(rule?.filter !== undefined).toBe(filtered);
  });

  it('masks user_key wherever a product or campaign manager reads a table that has it', () => {
    const rules = trinoAccessRules({ users: USERS, pipelineUser: 'clicklake', catalog: 'lake' });
    for (const def of LAKE_TABLES.filter((t) => t.columns.some((c) => c.name === 'user_key'))) {
      for (const who of ['pm', 'cm1']) {
        const rule = firstTableRule(rules.tables, who, 'lake', def.schema, def.table);
        if (rule !== undefined && rule.privileges.length > 0) expect(rule.columns).toEqual(MASK);
      }
    }
  });

  it('has no rule that would open anything when the key store is empty', () => {
    expect(trinoAccessRules({ users: [], pipelineUser: 'clicklake', catalog: 'lake', tables: SMALL })).toEqual({
      catalogs: [{ user: 'clicklake', allow: 'all' }, { catalog: 'system', allow: 'none' }],
      schemas: [{ user: 'clicklake', owner: true }, { owner: false }],
      tables: [{ user: 'clicklake', privileges: ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP', 'GRANT_SELECT'] }, { catalog: 'lake', schema: 'bronze', privileges: [] }],
      procedures: [{ user: 'clicklake', privileges: ['EXECUTE'] }],
      queries: [{ user: 'clicklake', allow: ['execute', 'view', 'kill'] }],
      system_information: [{ user: 'clicklake', allow: ['read', 'write'] }],
    });
  });

  it('refuses users that would break the rules, naming the field', () => {
    const rules = (users: ApiUser[]) => () => trinoAccessRules({ users, pipelineUser: 'clicklake', catalog: 'lake' });
    expect(rules([user('a', 'analyst'), user('clicklake', 'analyst')])).toThrow("users[1].name: clicklake is the pipeline's own Trino user (presto.user); an API user must have another name");
    expect(rules([user('a', 'analyst'), user('a', 'finance')])).toThrow('users[1].name: a appears twice');
    expect(rules([user('c', 'campaign_manager')])).toThrow('users[0].advertiser_id: campaign_manager c has no advertiser');
    expect(() => trinoAccessRules({ users: [], pipelineUser: '', catalog: 'lake' })).toThrow("pipelineUser: must be the pipeline's Trino user (presto.user)");
  });

  it('escapes regex characters of user names and writes JSON with a final newline', () => {
    expect(exactRegex('a.b-c_d')).toBe('a\\.b-c_d');
    expect(trinoRulesJson(trinoAccessRules({ users: [], pipelineUser: 'clicklake', catalog: 'lake', tables: [] })).endsWith('}\n')).toBe(true);
  });
});

describe('Trino resource groups', () => {
  it('caps API queries in one group with a group per user, the pipeline user apart', () => {
    expect(trinoResourceGroups('clicklake')).toEqual({
      rootGroups: [
        { name: 'pipeline', softMemoryLimit: '100%', hardConcurrencyLimit: 1000, maxQueued: 10000 },
        {
          name: 'api',
          softMemoryLimit: '50%',
          hardConcurrencyLimit: 4,
          maxQueued: 100,
          schedulingPolicy: 'fair',
          subGroups: [{ name: '${USER}', softMemoryLimit: '25%', hardConcurrencyLimit: 2, maxQueued: 20 }],
        },
      ],
      selectors: [
        { user: 'clicklake', group: 'pipeline' },
        { user: '[a-z][a-z0-9._-]{0,62}', group: 'api.${USER}' },
      ],
    });
  });

  it('refuses limits that make no sense, naming the field', () => {
    expect(() => trinoResourceGroups('clicklake', { ...DEFAULT_RESOURCE_GROUP_LIMITS, apiConcurrency: 0 })).toThrow('apiConcurrency: must be a whole number ≥ 1, got 0');
    expect(() => trinoResourceGroups('clicklake', { ...DEFAULT_RESOURCE_GROUP_LIMITS, perUserConcurrency: 5 })).toThrow('perUserConcurrency: must be at most apiConcurrency (4), got 5');
  });
});
