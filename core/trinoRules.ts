/**
 * Trino's own access rules (file-based system access control, rules.json) and resource groups
 * (file resource group manager, resource-groups.json) for the users of the serving API (CONTRACT §2b:
 * a query runs in Trino as the key's user, so Trino itself enforces who sees what). Pure: from the
 * active users of the key store (core/apiKeys.ts activeUsers) and the pipeline's own Trino user to
 * the JSON documents; infra/trinoRules.ts writes them.
 *
 * What each role may read (every rule names its users exactly; no rule matches a user without an
 * active key, so such a user can neither run a query nor see a catalog):
 *
 * | role             | bronze | silver | gold | audit | user_key | rows                         |
 * |------------------|--------|--------|------|-------|----------|------------------------------|
 * | admin            | yes    | yes    | yes  | yes   | visible  | all                          |
 * | analyst          |        | yes    | yes  |       | visible  | all                          |
 * | finance          |        |        | yes  | yes   | visible  | all                          |
 * | product          |        | yes    | yes  |       | NULL     | all                          |
 * | campaign_manager |        | yes*   | yes* |       | NULL     | its advertiser's campaigns   |
 * | collector        |        |        |      |       |          | none (it only sends events)  |
 *
 * (*) only the tables with a `campaign_id` column, each filtered to the campaigns of the key's
 * advertiser through lake.gold.dim_campaign (the subquery runs as the pipeline user).
 * Reading is all an API user may do; the pipeline user (presto.user: promotion, bootstrap, CLI) keeps
 * every right it had without rules: all catalogs, schema and table ownership, every table privilege,
 * procedures (register_partition), all queries and system information. The `system` catalog is the
 * pipeline's alone; admins may also see and kill any user's query.
 *
 * Tables are named one by one from the lake's table list, so a table added later is invisible to
 * API users until this code knows it (and whether it holds user_key).
 */
import type { ApiUser, Role } from './apiKeys';
import { BadInputError } from './errors';
import { quoteLiteral, type LakeSchema } from './lake';
import { GOLD_DIM_CAMPAIGN, LAKE_TABLES, qualifiedName, type TableDef } from './lakeTables';

export type TablePrivilege = 'SELECT' | 'INSERT' | 'DELETE' | 'UPDATE' | 'OWNERSHIP' | 'GRANT_SELECT';

export interface CatalogRule {
  readonly user?: string;
  readonly catalog?: string;
  readonly allow: 'all' | 'read-only' | 'none';
}

export interface SchemaRule {
  readonly user?: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly owner: boolean;
}

export interface ColumnConstraint {
  readonly name: string;
  readonly allow?: boolean;
  readonly mask?: string;
}

export interface TableRule {
  readonly user?: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly privileges: readonly TablePrivilege[];
  readonly columns?: readonly ColumnConstraint[];
  readonly filter?: string;
  readonly filter_environment?: { readonly user: string };
}

export interface ProcedureRule {
  readonly user?: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly procedure?: string;
  readonly privileges: ReadonlyArray<'EXECUTE' | 'GRANT_EXECUTE'>;
}

export interface QueryRule {
  readonly user?: string;
  readonly allow: ReadonlyArray<'execute' | 'view' | 'kill'>;
}

export interface SystemInformationRule {
  readonly user?: string;
  readonly allow: ReadonlyArray<'read' | 'write'>;
}

/** rules.json of Trino's file-based system access control (section names as Trino 476 reads them). */
export interface TrinoAccessRules {
  readonly catalogs: readonly CatalogRule[];
  readonly schemas: readonly SchemaRule[];
  readonly tables: readonly TableRule[];
  readonly procedures: readonly ProcedureRule[];
  readonly queries: readonly QueryRule[];
  readonly system_information: readonly SystemInformationRule[];
}

export interface TrinoRulesInput {
  /** The API's users (core/apiKeys.ts activeUsers). */
  readonly users: readonly ApiUser[];
  /** The pipeline's own Trino user (config.presto.user): full rights. */
  readonly pipelineUser: string;
  /** The lake's catalog (config.presto.catalog). */
  readonly catalog: string;
  /** The lake's tables; default LAKE_TABLES. */
  readonly tables?: readonly TableDef[];
}

/** The schemas each role reads; campaign_manager only the tables of them with a campaign_id. */
export const ROLE_SCHEMAS: Readonly<Record<Role, readonly LakeSchema[]>> = {
  admin: ['bronze', 'silver', 'gold', 'audit'],
  analyst: ['silver', 'gold'],
  finance: ['gold', 'audit'],
  product: ['silver', 'gold'],
  campaign_manager: ['silver', 'gold'],
  collector: [],
};

/** Personal-data columns NULL for these roles (user_key is a stable pseudonym of a person). */
export const MASKED_COLUMNS: Readonly<Record<Role, readonly string[]>> = {
  admin: [],
  analyst: [],
  finance: [],
  product: ['user_key'],
  campaign_manager: ['user_key'],
  collector: ['user_key'],
};

const ALL_TABLE_PRIVILEGES: readonly TablePrivilege[] = ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP', 'GRANT_SELECT'];
const ROLE_ORDER: readonly Role[] = ['admin', 'analyst', 'finance', 'product', 'campaign_manager', 'collector'];

/** A Java regex matching exactly `name` (Trino matches the whole user name). */
export function exactRegex(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex matching exactly these names (none: undefined, since an empty alternation would match ''). */
function anyOf(names: readonly string[]): string | undefined {
  return names.length === 0 ? undefined : names.map(exactRegex).join('|');
}

function hasColumn(def: TableDef, column: string): boolean {
  return def.columns.some((c) => c.name === column);
}

/** Users checked: unique names, none the pipeline's, an advertiser exactly on campaign managers. */
function checkUsers(users: readonly ApiUser[], pipelineUser: string): void {
  if (typeof pipelineUser !== 'string' || pipelineUser.length === 0) throw new BadInputError('pipelineUser: must be the pipeline\'s Trino user (presto.user)');
  const seen = new Set<string>();
  users.forEach((user, i) => {
    if (user.name === pipelineUser) throw new BadInputError(`users[${i}].name: ${user.name} is the pipeline's own Trino user (presto.user); an API user must have another name`);
    if (seen.has(user.name)) throw new BadInputError(`users[${i}].name: ${user.name} appears twice`);
    seen.add(user.name);
    if (!(ROLE_ORDER as readonly string[]).includes(user.role)) throw new BadInputError(`users[${i}].role: unknown role ${JSON.stringify(user.role)}`);
    if (user.role === 'campaign_manager' && (typeof user.advertiser_id !== 'string' || user.advertiser_id.length === 0)) {
      throw new BadInputError(`users[${i}].advertiser_id: campaign_manager ${user.name} has no advertiser`);
    }
  });
}

/** The masks of a role on a table: NULL of the column's type for each masked column it has. */
function masksOf(role: Role, def: TableDef): ColumnConstraint[] {
  return def.columns.filter((c) => MASKED_COLUMNS[role].includes(c.name)).map((c) => ({ name: c.name, mask: `CAST(NULL AS ${c.type})` }));
}

/** A campaign manager's row filter on a table with campaign_id: the campaigns of its advertiser. */
function advertiserFilter(def: TableDef, advertiser: string, catalog: string): string {
  if (def.schema === GOLD_DIM_CAMPAIGN.schema && def.table === GOLD_DIM_CAMPAIGN.table) return `advertiser_id = ${quoteLiteral(advertiser)}`;
  return `campaign_id IN (SELECT campaign_id FROM ${qualifiedName(GOLD_DIM_CAMPAIGN, catalog)} WHERE advertiser_id = ${quoteLiteral(advertiser)})`;
}

function tableRule(user: string, catalog: string, def: TableDef, extra: Partial<TableRule> = {}): TableRule {
  return { user, catalog: exactRegex(catalog), schema: def.schema, table: def.table, privileges: ['SELECT'], ...extra };
}

export function trinoAccessRules(input: TrinoRulesInput): TrinoAccessRules {
  const { users, pipelineUser, catalog } = input;
  checkUsers(users, pipelineUser);
  const tables = input.tables ?? LAKE_TABLES;
  const dimKnown = tables.some((t) => t.schema === GOLD_DIM_CAMPAIGN.schema && t.table === GOLD_DIM_CAMPAIGN.table);
  const pipeline = exactRegex(pipelineUser);
  const lake = exactRegex(catalog);
  const namesOf = (role: Role): string[] => users.filter((u) => u.role === role).map((u) => u.name);
  const known = anyOf(users.map((u) => u.name));
  const admins = anyOf(namesOf('admin'));

  const tableRules: TableRule[] = [{ user: pipeline, privileges: ALL_TABLE_PRIVILEGES }];
  if (admins !== undefined) {
    for (const schema of ROLE_SCHEMAS.admin) tableRules.push({ user: admins, catalog: lake, schema, table: '.*', privileges: ['SELECT'] });
  }
  // The raw zone: nobody else, whatever a later rule says (first match wins).
  tableRules.push({ catalog: lake, schema: 'bronze', privileges: [] });
  for (const role of ROLE_ORDER) {
    if (role === 'admin' || role === 'campaign_manager') continue;
    const who = anyOf(namesOf(role));
    if (who === undefined) continue;
    for (const def of tables) {
      if (!ROLE_SCHEMAS[role].includes(def.schema)) continue;
      const columns = masksOf(role, def);
      tableRules.push(tableRule(who, catalog, def, columns.length > 0 ? { columns } : {}));
    }
  }
  for (const user of users) {
    if (user.role !== 'campaign_manager') continue;
    const advertiser = user.advertiser_id as string;
    // Without the dimension there is nothing to filter by: such a user sees no table.
    if (!dimKnown) continue;
    for (const def of tables) {
      if (!ROLE_SCHEMAS.campaign_manager.includes(def.schema) || !hasColumn(def, 'campaign_id')) continue;
      const columns = masksOf('campaign_manager', def);
      tableRules.push(
        tableRule(exactRegex(user.name), catalog, def, {
          ...(columns.length > 0 ? { columns } : {}),
          filter: advertiserFilter(def, advertiser, catalog),
          filter_environment: { user: pipelineUser },
        }),
      );
    }
  }

  const catalogs: CatalogRule[] = [{ user: pipeline, allow: 'all' }];
  if (known !== undefined) catalogs.push({ user: known, catalog: lake, allow: 'read-only' });
  // The system catalog is open to everyone unless a rule says otherwise.
  catalogs.push({ catalog: 'system', allow: 'none' });

  const queries: QueryRule[] = [{ user: pipeline, allow: ['execute', 'view', 'kill'] }];
  if (admins !== undefined) queries.push({ user: admins, allow: ['execute', 'view', 'kill'] });
  // Everyone else runs (and sees) only its own queries; a user without a key runs none.
  if (known !== undefined) queries.push({ user: known, allow: ['execute'] });

  const systemInformation: SystemInformationRule[] = [{ user: pipeline, allow: ['read', 'write'] }];

  return {
    catalogs,
    schemas: [
      { user: pipeline, owner: true },
      { owner: false },
    ],
    tables: tableRules,
    procedures: [{ user: pipeline, privileges: ['EXECUTE'] }],
    queries,
    system_information: systemInformation,
  };
}

/** The rules file's text. */
export function trinoRulesJson(rules: TrinoAccessRules): string {
  return `${JSON.stringify(rules, null, 2)}\n`;
}

/** API user names as core/apiKeys.ts allows them: the selector that puts a query in the API's group. */
const API_USER_REGEX = '[a-z][a-z0-9._-]{0,62}';

export interface ResourceGroupLimits {
  /** API queries running at once, all users together. */
  readonly apiConcurrency: number;
  /** API queries waiting, all users together; past it a query is refused. */
  readonly apiQueued: number;
  /** Queries of one API user running at once. */
  readonly perUserConcurrency: number;
  /** Queries of one API user waiting. */
  readonly perUserQueued: number;
}

/** Two cores locally: a few API queries at once, so promotion (its own group) always gets its share. */
export const DEFAULT_RESOURCE_GROUP_LIMITS: ResourceGroupLimits = { apiConcurrency: 4, apiQueued: 100, perUserConcurrency: 2, perUserQueued: 20 };

export interface ResourceGroup {
  readonly name: string;
  readonly softMemoryLimit: string;
  readonly hardConcurrencyLimit: number;
  readonly maxQueued: number;
  readonly schedulingPolicy?: 'fair' | 'weighted_fair' | 'weighted' | 'query_priority';
  readonly subGroups?: readonly ResourceGroup[];
}

export interface ResourceGroupSelector {
  readonly user?: string;
  readonly group: string;
}

/** resource-groups.json of the file resource group manager. */
export interface TrinoResourceGroups {
  readonly rootGroups: readonly ResourceGroup[];
  readonly selectors: readonly ResourceGroupSelector[];
}

function checkLimit(name: keyof ResourceGroupLimits, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new BadInputError(`${name}: must be a whole number ≥ 1, got ${value}`);
}

/**
 * Two root groups: `pipeline` (the pipeline user alone, limits far above what it runs) and `api`,
 * which caps the API's queries together and holds one group per user (`api.${USER}`, a template
 * Trino expands to the query's user). Selectors match by user: the pipeline user, then any name an
 * API key may have. A user name outside that form matches no selector and Trino refuses its query.
 * Nothing here names a user of the key store, so the file never changes with keys.
 */
export function trinoResourceGroups(pipelineUser: string, limits: ResourceGroupLimits = DEFAULT_RESOURCE_GROUP_LIMITS): TrinoResourceGroups {
  if (typeof pipelineUser !== 'string' || pipelineUser.length === 0) throw new BadInputError('pipelineUser: must be the pipeline\'s Trino user (presto.user)');
  for (const name of Object.keys(limits) as Array<keyof ResourceGroupLimits>) checkLimit(name, limits[name]);
  if (limits.perUserConcurrency > limits.apiConcurrency) {
    throw new BadInputError(`perUserConcurrency: must be at most apiConcurrency (${limits.apiConcurrency}), got ${limits.perUserConcurrency}`);
  }
  return {
    rootGroups: [
      { name: 'pipeline', softMemoryLimit: '100%', hardConcurrencyLimit: 1000, maxQueued: 10000 },
      {
        name: 'api',
        softMemoryLimit: '50%',
        hardConcurrencyLimit: limits.apiConcurrency,
        maxQueued: limits.apiQueued,
        schedulingPolicy: 'fair',
        subGroups: [{ name: '${USER}', softMemoryLimit: '25%', hardConcurrencyLimit: limits.perUserConcurrency, maxQueued: limits.perUserQueued }],
      },
    ],
    selectors: [
      { user: exactRegex(pipelineUser), group: 'pipeline' },
      { user: API_USER_REGEX, group: 'api.${USER}' },
    ],
  };
}
