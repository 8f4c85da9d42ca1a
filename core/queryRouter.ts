/**
 * The query router of `POST /v1/query` and `clicklake query` (issue #12): from the SQL text a user
 * sends, the SQL to run, the table it mainly reads, whether it was rewritten to a Gold summary and
 * why (or why not), a fingerprint for the cache, and the partitions it reads. Pure: text in, a
 * decision out; no services, no clock, no config. docs/query-router.md states the rules.
 *
 * A rewrite happens only when the Gold query gives provably the same result as the Silver one: the
 * same rows, the same column names (aliases and positions are kept, so Trino names the columns
 * alike) and the same types (count(*) is bigint, and so is sum of a bigint Gold count). It rests on
 * what Gold is (core/truth.ts computeGoldTables, CONTRACT §3) and on two facts of Silver: a row of
 * partition (dt, hr) has its event_time in that hour, and every valid ad event has a campaign_id and
 * every valid video event a title_id (CONTRACT §1). Whatever the router does not understand is not
 * rewritten, with a reason naming the first thing that prevented it.
 */
import { createHash } from 'node:crypto';
import { Parser } from 'node-sql-parser';
import { BadInputError } from './errors';
import { GOLD_CAMPAIGN_DAILY, GOLD_CTR_HOURLY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY, LAKE_TABLES, type TableDef } from './lakeTables';
import { DAY_MS, HOUR_MS, hourOf } from './time';

/** node-sql-parser's Trino grammar: catalog.schema.table names, varchar literals, FILTER, count_if. */
const DIALECT = { database: 'trino' } as const;
const parser = new Parser();

/** A bound of a range of partition values. */
export interface Bound {
  readonly value: string;
  readonly inclusive: boolean;
}

/**
 * The values of one partition column a query reads: every value (`all`, unbounded), a list, or a
 * range whose missing side is unbounded. Derived from the WHERE's top-level AND terms only, so it
 * may be wider than what the query reads, never narrower.
 */
export type ValueSet =
  | { readonly kind: 'all' }
  | { readonly kind: 'in'; readonly values: readonly string[] }
  | { readonly kind: 'range'; readonly min: Bound | null; readonly max: Bound | null };

/** The partitions of one partitioned lake table a query reads; `hr` only for hourly tables. */
export interface PartitionRange {
  /** `lake.<schema>.<table>`, lower case. */
  readonly table: string;
  readonly dt: ValueSet;
  readonly hr?: ValueSet;
  /** True when dt is not bounded on both sides: partitions of days yet to come can change the result. */
  readonly unbounded: boolean;
}

export interface Fingerprint {
  /** sha256 (hex) of the normalized SQL, the tables and the partitions. */
  readonly hash: string;
  /** The parser's re-serialization with identifiers in lower case; the whitespace-collapsed text if it did not parse. */
  readonly normalizedSql: string;
  readonly tables: readonly string[];
  readonly partitions: readonly PartitionRange[];
}

export interface Route {
  /** The SQL to run: the user's text unchanged unless rewritten. */
  readonly sql: string;
  /** The main table read after the rewrite (`lake.gold.ctr_hourly`); '' if unknown (not parsed, no FROM). */
  readonly table: string;
  readonly rewritten: boolean;
  readonly reason: string;
  /** Fingerprint of the query as sent (see fingerprint). */
  readonly fingerprint: string;
  /** The partitions the SQL to run reads (of the Gold table when rewritten). */
  readonly partitions: readonly PartitionRange[];
  /** Every table the SQL to run reads, `lake.<schema>.<table>`, sorted. */
  readonly tables: readonly string[];
}

export interface RouteOptions {
  /** The session catalog that two-part names (`silver.events`) resolve in; default `lake`. */
  readonly catalog?: string;
  /**
   * The user reads user_key masked to NULL (core/trinoRules.ts: product, campaign_manager): on Silver
   * its count(DISTINCT user_key) is 0, on a summary the real count, so distinct counts are not rewritten.
   */
  readonly userKeyMasked?: boolean;
  /**
   * The user's rows are filtered to its advertiser's campaigns (campaign_manager): Silver's events are,
   * summaries without campaign_id (dau_daily, title_plays_daily) are not readable, so only ad counts are rewritten.
   */
  readonly campaignFiltered?: boolean;
}

type Node = { [key: string]: unknown };

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Internal: the rewrite is refused for `reason`. Never leaves this module. */
class Refusal extends Error {}

function refuse(reason: string): never {
  throw new Refusal(reason);
}

const SILVER = 'lake.silver.events';
const AD_TYPES = ['ad_impression', 'ad_click'] as const;
const GOLD_COLUMNS = new Set(
  [GOLD_CTR_HOURLY, GOLD_CAMPAIGN_DAILY, GOLD_DAU_DAILY, GOLD_TITLE_PLAYS_DAILY].flatMap((def) => def.columns.map((column) => column.name)),
);

function nameOf(def: TableDef): string {
  return `lake.${def.schema}.${def.table}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing and the small readers of the AST

function parse(sql: string): { ok: true; ast: Node } | { ok: false; why: string } {
  let ast: unknown;
  try {
    ast = parser.astify(sql, DIALECT);
  } catch (err) {
    return { ok: false, why: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error' };
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) return { ok: false, why: `${ast.length} statements; one is run at a time` };
    ast = ast[0];
  }
  if (!isNode(ast)) return { ok: false, why: 'no statement' };
  return { ok: true, ast };
}

function sqlify(ast: Node): string {
  return parser.sqlify(ast as never, DIALECT);
}

function exprSql(node: Node): string {
  return parser.exprToSQL(node, DIALECT);
}

/** The column name of a column_ref (lower case, as Trino resolves it), or undefined. */
function columnName(node: unknown): string | undefined {
  if (!isNode(node) || node.type !== 'column_ref') return undefined;
  const column = node.column;
  if (typeof column === 'string') return column.toLowerCase();
  if (isNode(column) && isNode(column.expr) && typeof column.expr.value === 'string') return column.expr.value.toLowerCase();
  return undefined;
}

function stringLiteral(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if ((node.type === 'single_quote_string' || node.type === 'string') && typeof node.value === 'string') return node.value;
  return undefined;
}

function integerLiteral(node: unknown): number | undefined {
  if (!isNode(node) || node.type !== 'number') return undefined;
  const value = typeof node.value === 'string' ? Number(node.value) : node.value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

function listValues(node: unknown): unknown[] {
  return isNode(node) && node.type === 'expr_list' && Array.isArray(node.value) ? node.value : [];
}

function functionName(node: Node): string {
  const name = node.name;
  if (typeof name === 'string') return name.toLowerCase();
  if (isNode(name) && Array.isArray(name.name)) {
    return name.name.map((part) => (isNode(part) && typeof part.value === 'string' ? part.value : '')).join('.').toLowerCase();
  }
  return '';
}

/** The top-level AND terms of a WHERE (parentheses around an AND are looked through). */
function conjuncts(where: unknown): Node[] {
  if (!isNode(where)) return [];
  if (where.type === 'binary_expr' && where.operator === 'AND') return [...conjuncts(where.left), ...conjuncts(where.right)];
  return [where];
}

function and(terms: readonly Node[]): Node | null {
  if (terms.length === 0) return null;
  return terms.reduce((left, right) => ({ type: 'binary_expr', operator: 'AND', left, right }));
}

const column = (name: string): Node => ({ type: 'column_ref', table: null, column: { expr: { type: 'default', value: name } } });
const literal = (value: string): Node => ({ type: 'single_quote_string', value });
const number = (value: number): Node => ({ type: 'number', value });
const compare = (operator: string, left: Node, right: Node): Node => ({ type: 'binary_expr', operator, left, right });
const call = (name: string, ...args: Node[]): Node => ({ type: 'function', name: { name: [{ type: 'default', value: name }] }, args: { type: 'expr_list', value: args }, over: null });
const sum = (expr: Node): Node => ({ type: 'aggr_func', name: 'SUM', args: { expr }, over: null });

/** Every node of a subtree, depth first; `visit` returning false skips a node's children. */
function walk(node: unknown, visit: (node: Node) => boolean | void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (!isNode(node)) return;
  if (visit(node) === false) return;
  for (const value of Object.values(node)) walk(value, visit);
}

// ---------------------------------------------------------------------------------------------
// Tables

/** `catalog.schema.table` of a FROM entry, lower case (Trino's names are case-insensitive). */
function tableOf(entry: Node, catalog: string): string | undefined {
  if (typeof entry.table !== 'string') return undefined;
  const parts = [entry.db, entry.schema].filter((part): part is string => typeof part === 'string' && part !== '');
  const qualified = parts.length === 2 ? [...parts, entry.table] : parts.length === 1 ? [catalog, ...parts, entry.table] : [entry.table];
  return qualified.join('.').toLowerCase();
}

/** Every table a statement reads (FROM and JOIN entries at any depth), CTE names left out, sorted. */
function tablesOf(ast: Node, catalog: string): string[] {
  const ctes = new Set<string>();
  const tables = new Set<string>();
  walk(ast, (node) => {
    if (Array.isArray(node.with)) {
      for (const cte of node.with) {
        if (isNode(cte) && isNode(cte.name) && typeof cte.name.value === 'string') ctes.add(cte.name.value.toLowerCase());
      }
    }
    for (const key of ['from', 'table']) {
      const entries = node[key];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!isNode(entry)) continue;
        const name = tableOf(entry, catalog);
        if (name !== undefined) tables.add(name);
      }
    }
  });
  return [...tables].filter((name) => !ctes.has(name)).sort();
}

// ---------------------------------------------------------------------------------------------
// Partitions

const ALL: ValueSet = { kind: 'all' };

function inRange(value: string, set: ValueSet & { kind: 'range' }): boolean {
  const { min, max } = set;
  if (min !== null && (min.inclusive ? value < min.value : value <= min.value)) return false;
  if (max !== null && (max.inclusive ? value > max.value : value >= max.value)) return false;
  return true;
}

function tighter(a: Bound | null, b: Bound | null, side: 'min' | 'max'): Bound | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.value === b.value) return { value: a.value, inclusive: a.inclusive && b.inclusive };
  return (side === 'min' ? a.value > b.value : a.value < b.value) ? a : b;
}

function intersect(a: ValueSet, b: ValueSet): ValueSet {
  if (a.kind === 'all') return b;
  if (b.kind === 'all') return a;
  if (a.kind === 'in' && b.kind === 'in') return { kind: 'in', values: a.values.filter((value) => b.values.includes(value)) };
  if (a.kind === 'in') return { kind: 'in', values: a.values.filter((value) => inRange(value, b as ValueSet & { kind: 'range' })) };
  if (b.kind === 'in') return intersect(b, a);
  return { kind: 'range', min: tighter(a.min, b.min, 'min'), max: tighter(a.max, b.max, 'max') };
}

/** What one WHERE term says about a partition column, or undefined if it is not about it alone. */
function valueSetOf(term: Node, name: string): ValueSet | undefined {
  if (term.type !== 'binary_expr' || columnName(term.left) !== name) return undefined;
  const operator = String(term.operator).toUpperCase();
  const value = stringLiteral(term.right);
  if (operator === 'IN') {
    const values = listValues(term.right).map(stringLiteral);
    if (values.length === 0 || values.some((v) => v === undefined)) return undefined;
    return { kind: 'in', values: [...new Set(values as string[])].sort() };
  }
  if (operator === 'BETWEEN') {
    const [low, high] = listValues(term.right).map(stringLiteral);
    if (low === undefined || high === undefined) return undefined;
    return { kind: 'range', min: { value: low, inclusive: true }, max: { value: high, inclusive: true } };
  }
  if (value === undefined) return undefined;
  switch (operator) {
    case '=':
      return { kind: 'in', values: [value] };
    case '>=':
    case '>':
      return { kind: 'range', min: { value, inclusive: operator === '>=' }, max: null };
    case '<=':
    case '<':
      return { kind: 'range', min: null, max: { value, inclusive: operator === '<=' } };
    default:
      return undefined;
  }
}

function bounded(set: ValueSet): boolean {
  return set.kind === 'in' || (set.kind === 'range' && set.min !== null && set.max !== null);
}

/** The lake's tables partitioned by dt, each with whether it is hourly too. */
const PARTITIONED = new Map(LAKE_TABLES.filter((def) => def.partitionedBy.includes('dt')).map((def) => [nameOf(def), def.partitionedBy.includes('hr')]));

/** The partitions of the lake's partitioned tables a statement reads. */
function partitionsOf(ast: Node, tables: readonly string[], catalog: string): PartitionRange[] {
  const from = Array.isArray(ast.from) ? ast.from : [];
  // Only a single-table SELECT's WHERE bounds its table; anything else reads every partition.
  const single = ast.type === 'select' && from.length === 1 && isNode(from[0]) && ast._next == null && !Array.isArray(ast.with);
  const terms = single ? conjuncts(ast.where) : [];
  const main = single && isNode(from[0]) ? tableOf(from[0], catalog) : undefined;
  return tables.flatMap((table) => {
    const hourly = PARTITIONED.get(table);
    if (hourly === undefined) return [];
    const own = table === main ? terms : [];
    const setOf = (name: string): ValueSet => own.reduce<ValueSet>((set, term) => intersect(set, valueSetOf(term, name) ?? ALL), ALL);
    const dt = setOf('dt');
    if (!hourly) return [{ table, dt, unbounded: !bounded(dt) }];
    const hr = setOf('hr');
    // hr has 24 values: a bounded dt bounds the partitions whatever hr says.
    return [{ table, dt, hr, unbounded: !bounded(dt) }];
  });
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

/** The statement with identifiers (not aliases, not literals) in lower case, re-serialized. */
function normalized(ast: Node): string {
  const copy = structuredClone(ast);
  walk(copy, (node) => {
    if (node.type === 'column_ref') {
      if (typeof node.column === 'string') node.column = node.column.toLowerCase();
      else if (isNode(node.column) && isNode(node.column.expr) && typeof node.column.expr.value === 'string') node.column.expr.value = node.column.expr.value.toLowerCase();
      if (typeof node.table === 'string') node.table = node.table.toLowerCase();
    }
    if (node.type === 'function' && isNode(node.name) && Array.isArray(node.name.name)) {
      for (const part of node.name.name) if (isNode(part) && typeof part.value === 'string') part.value = part.value.toLowerCase();
    }
    for (const key of ['db', 'schema', 'table']) {
      if (typeof node[key] === 'string' && node.type === undefined) node[key] = (node[key] as string).toLowerCase();
    }
  });
  return sqlify(copy).trim();
}

function hashOf(normalizedSql: string, tables: readonly string[], partitions: readonly PartitionRange[]): string {
  return createHash('sha256').update(JSON.stringify({ sql: normalizedSql, tables, partitions }), 'utf8').digest('hex');
}

function checkSql(sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') throw new BadInputError('sql: must be a non-empty string');
  return sql;
}

/**
 * The fingerprint of a query as sent: equal for texts that differ only in whitespace, keyword or
 * identifier case; different when the time range (or anything else) differs.
 */
export function fingerprint(sql: string, options: RouteOptions = {}): Fingerprint {
  checkSql(sql);
  const catalog = (options.catalog ?? 'lake').toLowerCase();
  const parsed = parse(sql);
  if (!parsed.ok) {
    const normalizedSql = sql.trim().replace(/\s+/g, ' ');
    return { hash: hashOf(normalizedSql, [], []), normalizedSql, tables: [], partitions: [] };
  }
  const normalizedSql = normalized(parsed.ast);
  const tables = tablesOf(parsed.ast, catalog);
  const partitions = partitionsOf(parsed.ast, tables, catalog);
  return { hash: hashOf(normalizedSql, tables, partitions), normalizedSql, tables, partitions };
}

// ---------------------------------------------------------------------------------------------
// The rewrite

/** A family of summaries and the Silver query shape it answers. */
interface Family {
  readonly what: string;
  /** Silver columns the summary holds as they are (its keys): filters and groups may use them. */
  readonly keys: readonly string[];
  readonly daily: TableDef;
  readonly hourly?: TableDef;
  /** The Gold expression of a count of events of these types (all of the family's filter). */
  readonly count?: (types: ReadonlySet<string>) => Node;
  /** The Gold column of count(DISTINCT user_key), and the keys each group must fix for it. */
  readonly distinct: string;
  readonly distinctKeys: readonly string[];
}

const AD: Family = {
  what: 'ad counts',
  keys: ['campaign_id', 'dt', 'hr'],
  daily: GOLD_CAMPAIGN_DAILY,
  hourly: GOLD_CTR_HOURLY,
  count: (types) => {
    if (types.size === 2) return compare('+', column('impressions'), column('clicks'));
    return column(types.has('ad_impression') ? 'impressions' : 'clicks');
  },
  distinct: 'unique_users',
  distinctKeys: ['campaign_id', 'dt'],
};

const TITLE: Family = {
  what: 'title plays',
  keys: ['title_id', 'dt'],
  daily: GOLD_TITLE_PLAYS_DAILY,
  count: () => column('plays'),
  distinct: 'unique_viewers',
  distinctKeys: ['title_id', 'dt'],
};

const DAU: Family = {
  what: 'daily active users',
  keys: ['dt'],
  daily: GOLD_DAU_DAILY,
  distinct: 'dau',
  distinctKeys: ['dt'],
};

/** Deterministic scalar functions of Trino that may wrap key columns and counts. */
const SCALAR_FUNCTIONS = new Set([
  'abs', 'ceil', 'ceiling', 'coalesce', 'concat', 'date', 'date_add', 'date_diff', 'date_format', 'date_parse', 'date_trunc',
  'day', 'day_of_week', 'dow', 'floor', 'format', 'from_iso8601_date', 'greatest', 'if', 'least', 'length', 'lower', 'lpad', 'month',
  'nullif', 'quarter', 'replace', 'round', 'rpad', 'split_part', 'strpos', 'substr', 'substring', 'trim', 'truncate', 'try_cast',
  'upper', 'week', 'year',
]);

/** Set-valued aggregates: equal over Silver rows and over the Gold rows of the same keys. */
const KEY_AGGREGATES = new Set(['MIN', 'MAX']);

/** The event types a predicate on event_type keeps, or undefined if it is not `= 'x'` / `IN ('x', ...)`. */
function eventTypes(term: unknown): Set<string> | undefined {
  if (!isNode(term) || term.type !== 'binary_expr' || columnName(term.left) !== 'event_type') return undefined;
  if (term.operator === '=') {
    const value = stringLiteral(term.right);
    return value === undefined ? undefined : new Set([value]);
  }
  if (term.operator === 'IN') {
    const values = listValues(term.right).map(stringLiteral);
    return values.length === 0 || values.some((v) => v === undefined) ? undefined : new Set(values as string[]);
  }
  return undefined;
}

function mentions(node: unknown, name: string): boolean {
  let found = false;
  walk(node, (child) => {
    if (columnName(child) === name) found = true;
    return !found;
  });
  return found;
}

/** event_time bounds of a WHERE term, [lo, hi) in epoch ms. */
function eventTimeBounds(term: Node): { lo?: number; hi?: number } {
  const shape = 'filter on event_time: only event_time compared with epoch milliseconds (>=, >, <, <=, BETWEEN) is understood';
  if (term.type !== 'binary_expr' || columnName(term.left) !== 'event_time') refuse(shape);
  const operator = String(term.operator).toUpperCase();
  if (operator === 'BETWEEN') {
    const [low, high] = listValues(term.right).map(integerLiteral);
    if (low === undefined || high === undefined) refuse(shape);
    return { lo: low, hi: high + 1 };
  }
  const value = integerLiteral(term.right);
  if (value === undefined) refuse(shape);
  switch (operator) {
    case '>=':
      return { lo: value };
    case '>':
      return { lo: value + 1 };
    case '<':
      return { hi: value };
    case '<=':
      return { hi: value + 1 };
    default:
      return refuse(shape);
  }
}

const hourText = (ms: number): string => {
  const { dt, hr } = hourOf(ms);
  return `${dt}T${hr}`;
};

/** Why a column cannot be read from the family's summaries (`where`: 'filter on', 'GROUP BY', ...). */
function columnReason(name: string, where: string, family: Family | undefined): string {
  if (name === 'user_key') return `${where} user_key: summaries hold no users`;
  if (name === 'event_time') return `${where} event_time: summaries hold hours, not event times (filter event_time on whole hours at the top of the WHERE)`;
  if (name === 'hr' && family !== undefined && family.hourly === undefined) return `${where} hr: ${nameOf(family.daily)} is daily`;
  if (name === 'event_type') return `${where} event_type: only a top-level filter event_type = '...' or IN (...) is understood`;
  if (!GOLD_COLUMNS.has(name) || family === undefined) return `no summary holds column ${name}`;
  const tables = [family.hourly, family.daily].filter((def): def is TableDef => def !== undefined).map(nameOf);
  return `${where} ${name}: ${tables.join(' and ')} (${family.what}) ${tables.length > 1 ? 'hold' : 'holds'} no column ${name}`;
}

interface Plan {
  readonly sql: string;
  readonly table: string;
  readonly ast: Node;
}

/** The rewrite of a SELECT over lake.silver.events to a Gold table, or a Refusal saying why not. */
function planRewrite(original: Node, catalog: string, options: RouteOptions): Plan {
  const ast = structuredClone(original);
  if (Array.isArray(ast.with)) refuse('WITH: only a single SELECT over lake.silver.events is rewritten');
  if (ast._next != null || ast.set_op != null) refuse(`${String(ast.set_op ?? 'set operation').toUpperCase()}: only a single SELECT over lake.silver.events is rewritten`);
  const from = Array.isArray(ast.from) ? ast.from : [];
  if (from.length !== 1 || !isNode(from[0])) refuse('join: summaries hold no rows to join');
  const source = from[0];
  if (tableOf(source, catalog) !== SILVER) refuse('subquery in FROM: only a single SELECT over lake.silver.events is rewritten');
  if (ast.window != null) refuse('WINDOW clause: window functions are not rewritten');
  walk([ast.columns, ast.where, ast.groupby, ast.having, ast.orderby], (node) => {
    if (node.type === 'select' || isNode(node.ast)) refuse('subquery: only a single SELECT over lake.silver.events is rewritten');
  });
  const columns = Array.isArray(ast.columns) ? ast.columns.filter(isNode) : [];
  if (columns.some((item) => item.expr === '*' || columnName(item.expr) === '*' || (isNode(item.expr) && item.expr.type === 'star'))) {
    refuse('SELECT *: summaries hold counts, not events');
  }

  // WHERE: event_type and event_time terms are consumed; the rest must be about the keys.
  const terms = conjuncts(ast.where);
  let types: Set<string> | undefined;
  let lo: number | undefined;
  let hi: number | undefined;
  const rest: Node[] = [];
  for (const term of terms) {
    if (mentions(term, 'event_type')) {
      const kept = eventTypes(term);
      if (kept === undefined) refuse(`filter ${exprSql(term)}: only event_type = '...' or event_type IN (...) is understood`);
      types = types === undefined ? kept : new Set([...types].filter((type) => kept.has(type)));
    } else if (mentions(term, 'event_time')) {
      const bounds = eventTimeBounds(term);
      if (bounds.lo !== undefined) lo = lo === undefined ? bounds.lo : Math.max(lo, bounds.lo);
      if (bounds.hi !== undefined) hi = hi === undefined ? bounds.hi : Math.min(hi, bounds.hi);
    } else {
      rest.push(term);
    }
  }
  if ((lo !== undefined && lo % HOUR_MS !== 0) || (hi !== undefined && hi % HOUR_MS !== 0)) refuse('filter on event_time is not aligned to whole hours');
  const dayAligned = (lo === undefined || lo % DAY_MS === 0) && (hi === undefined || hi % DAY_MS === 0);

  let family: Family;
  if (types === undefined) {
    // Gold counts only ad and play events; without the filter, Silver's groups hold every other event.
    walk([ast.columns, ast.having, ast.orderby], (node) => {
      const counts = (node.type === 'aggr_func' && String(node.name).toUpperCase() === 'COUNT' && !(isNode(node.args) && node.args.distinct === 'DISTINCT')) || (node.type === 'function' && functionName(node) === 'count_if');
      if (counts) refuse(`${exprSql(node)} without a filter event_type IN ('ad_impression', 'ad_click') or event_type = 'video_play': summaries count only those events`);
    });
    family = DAU;
  } else if (types.size === 0) refuse('the filter on event_type matches no event type');
  else if ([...types].every((type) => (AD_TYPES as readonly string[]).includes(type))) family = AD;
  else if (types.size === 1 && types.has('video_play')) family = TITLE;
  else {
    const other = [...types].filter((type) => !(AD_TYPES as readonly string[]).includes(type) && type !== 'video_play').sort();
    refuse(other.length > 0 ? `no summary holds events of type ${other.join(', ')}` : `event_type IN (${[...types].sort().join(', ')}): no summary holds these together`);
  }

  if (!dayAligned && family.hourly === undefined) refuse(`filter on event_time is not aligned to whole days: ${nameOf(family.daily)} is daily`);
  if (options.campaignFiltered === true && family !== AD) {
    refuse(`your rows are filtered to your campaigns: ${nameOf(family.daily)} has no campaign_id to filter them on`);
  }

  // DAU: device_type = '<type>' picks that row of dau_daily; without it, the 'all' row.
  let device = 'all';
  const keyTerms: Node[] = [];
  const pinned = new Set<string>();
  for (const term of rest) {
    if (family === DAU && mentions(term, 'device_type')) {
      const value = term.type === 'binary_expr' && term.operator === '=' && columnName(term.left) === 'device_type' ? stringLiteral(term.right) : undefined;
      if (value === undefined) refuse("filter on device_type: only device_type = '<type>' matches a row of lake.gold.dau_daily");
      if (value === 'other' || value === 'all') refuse(`filter device_type = '${value}': lake.gold.dau_daily counts absent device_type as 'other' and all users as 'all'`);
      if (device !== 'all' && device !== value) refuse('two filters on device_type');
      device = value;
      continue;
    }
    if (term.type === 'binary_expr' && term.operator === '=' && stringLiteral(term.right) !== undefined) {
      const name = columnName(term.left);
      if (name !== undefined) pinned.add(name);
    }
    keyTerms.push(term);
  }

  // The expressions: counts become sums of Gold counts, other columns must be keys.
  const measures = { count: 0, distinct: 0 };
  let hourly = !dayAligned;
  const hourlyWhy: string[] = dayAligned ? [] : ['filter on event_time is not aligned to whole days'];
  const grouped = new Set<string>();
  const groupItems = isNode(ast.groupby) && Array.isArray(ast.groupby.columns) ? ast.groupby.columns : Array.isArray(ast.groupby) ? ast.groupby : [];
  const global = groupItems.length === 0;
  const aliases = new Set(columns.map((item) => (typeof item.as === 'string' ? item.as.toLowerCase() : undefined)).filter((a) => a !== undefined));

  const qualifiers = new Set(['events', ...(typeof source.as === 'string' ? [source.as.toLowerCase()] : [])]);
  const checkColumn = (name: string, where: string): void => {
    if (name === 'hr' && family.hourly !== undefined) {
      if (!hourly) hourlyWhy.push(`${where} hr`);
      hourly = true;
      return;
    }
    if (!family.keys.includes(name)) refuse(columnReason(name, where, family));
  };

  /** The Gold replacement of an aggregate, or undefined when it is not a count. */
  const measure = (node: Node): Node | undefined => {
    const name = node.type === 'aggr_func' ? String(node.name).toUpperCase() : functionName(node).toUpperCase();
    const args = isNode(node.args) ? node.args : {};
    let counted: Set<string> | undefined;
    if (node.type === 'aggr_func' && name === 'COUNT' && args.distinct !== 'DISTINCT' && (isNode(args.expr) && (args.expr.type === 'star' || integerLiteral(args.expr) !== undefined))) {
      if (isNode(node.filter)) {
        counted = eventTypes((node.filter as Node).where);
        if (counted === undefined || counted.size !== 1) refuse(`${exprSql(node)}: only a FILTER (WHERE event_type = '...') is understood`);
      } else {
        if (types === undefined) refuse(`${exprSql(node)} without a filter on event_type: no summary counts events of every type`);
        counted = types;
      }
    } else if (node.type === 'function' && name === 'COUNT_IF') {
      const list = listValues(args);
      counted = list.length === 1 ? eventTypes(list[0]) : undefined;
      if (counted === undefined || counted.size !== 1) refuse(`${exprSql(node)}: only count_if(event_type = '...') is understood`);
    } else if (node.type === 'aggr_func' && name === 'COUNT' && args.distinct === 'DISTINCT' && columnName(args.expr) === 'user_key' && node.filter == null) {
      measures.distinct++;
      return sum(column(family.distinct));
    } else {
      return undefined;
    }
    const excluded = [...counted].filter((type) => types === undefined || !types.has(type));
    if (excluded.length > 0) refuse(`${exprSql(node)} counts ${excluded.join(', ')}, which the filter on event_type excludes`);
    if (family.count === undefined) refuse(`${exprSql(node)}: no summary counts these events`);
    measures.count++;
    return sum(family.count(counted));
  };

  /** Checks and rewrites an expression in place (through its parent slot). */
  const visit = (slot: Node, key: string, where: string): void => {
    const node = slot[key];
    if (Array.isArray(node)) {
      node.forEach((_, i) => visit(node as unknown as Node, String(i), where));
      return;
    }
    if (!isNode(node)) return;
    if (node.type === 'column_ref') {
      const name = columnName(node);
      if (name === undefined || name === '*') refuse(`${where} *: summaries hold counts, not events`);
      // The Gold query reads its columns unqualified: a qualifier must name the table read.
      if (typeof node.table === 'string' && !qualifiers.has(node.table.toLowerCase())) refuse(`column ${node.table}.${name}: ${node.table} is not the table read`);
      checkColumn(name, where);
      node.table = null;
      return;
    }
    if ((node.type === 'aggr_func' || node.type === 'function') && isNode(node.over)) {
      refuse(`window function ${node.type === 'aggr_func' ? String(node.name).toLowerCase() : functionName(node)}: not rewritten`);
    }
    if (node.type === 'aggr_func' || (node.type === 'function' && functionName(node) === 'count_if')) {
      const replacement = measure(node);
      if (replacement !== undefined) {
        slot[key] = global ? call('coalesce', replacement, number(0)) : replacement;
        return;
      }
      const name = String(node.name).toUpperCase();
      if (node.type !== 'aggr_func' || !KEY_AGGREGATES.has(name) || node.filter != null) refuse(`aggregate ${exprSql(node)}: no summary holds it`);
      visit(node, 'args', where);
      return;
    }
    if (node.type === 'function' && ['rollup', 'cube', 'grouping'].includes(functionName(node))) refuse(`${functionName(node).toUpperCase()}: grouping sets are not rewritten`);
    if (node.type === 'function' && !SCALAR_FUNCTIONS.has(functionName(node))) refuse(`function ${functionName(node)}: not known to be deterministic and scalar, not rewritten`);
    for (const child of Object.keys(node)) {
      if (child !== 'type') visit(node, child, where);
    }
  };

  for (const term of keyTerms) visit({ term }, 'term', 'filter on');
  for (const item of groupItems) {
    if (!isNode(item)) continue;
    const position = integerLiteral(item);
    const target = position !== undefined ? columns[position - 1]?.expr : item;
    const name = columnName(target);
    if (name !== undefined) grouped.add(name);
    if (position === undefined) visit({ item }, 'item', 'GROUP BY');
  }
  if (grouped.has('hr')) hourlyWhy.unshift('GROUP BY hr');
  columns.forEach((item) => visit(item, 'expr', 'column'));
  if (isNode(ast.having)) visit(ast, 'having', 'HAVING on');
  if (Array.isArray(ast.orderby)) {
    for (const item of ast.orderby) {
      if (!isNode(item)) continue;
      const name = columnName(item.expr);
      if (integerLiteral(item.expr) !== undefined || (name !== undefined && aliases.has(name))) continue;
      visit(item, 'expr', 'ORDER BY');
    }
  }
  if (isNode(ast.limit) && Array.isArray(ast.limit.value) && ast.limit.value.length > 0 && !Array.isArray(ast.orderby)) {
    refuse('LIMIT without ORDER BY: the rows kept are arbitrary, so no rewrite can give the same ones');
  }
  if (measures.count + measures.distinct === 0 && global) refuse('reads events, not counts: summaries hold only counts per key');

  if (measures.distinct > 0) {
    if (options.userKeyMasked === true) refuse(`count(DISTINCT user_key): user_key is masked for you, so Silver counts no users where ${nameOf(family.daily)}.${family.distinct} counts them`);
    if (family === AD && (types === undefined || types.size !== 2)) {
      refuse(`count(DISTINCT user_key) over ${[...(types ?? [])].join(', ')} only: ${nameOf(GOLD_CAMPAIGN_DAILY)}.unique_users counts users of ad_impression and ad_click together`);
    }
    if (hourly) {
      const why = hourlyWhy[0] ?? 'hr';
      refuse(`count(DISTINCT user_key) with ${why}: ${nameOf(family.daily)}.${family.distinct} counts whole days, and distinct users cannot be summed across hours`);
    }
    for (const key of family.distinctKeys) {
      if (grouped.has(key) || pinned.has(key)) continue;
      const across = key === 'dt' ? 'days' : `${key.replace(/_id$/, '')}s`;
      refuse(`count(DISTINCT user_key) over several ${across}: distinct users cannot be summed across ${across} (GROUP BY ${key} or filter ${key} = one value)`);
    }
  }

  // The Gold query: the same SELECT over the summary, with the consumed filters restated on its keys.
  const def = hourly && family.hourly !== undefined ? family.hourly : family.daily;
  const where = [...keyTerms];
  if (lo !== undefined) where.push(dayAligned ? compare('>=', column('dt'), literal(hourOf(lo).dt)) : compare('>=', call('concat', column('dt'), literal('T'), column('hr')), literal(hourText(lo))));
  if (hi !== undefined) where.push(dayAligned ? compare('<', column('dt'), literal(hourOf(hi).dt)) : compare('<', call('concat', column('dt'), literal('T'), column('hr')), literal(hourText(hi))));
  // Partition pruning for hour bounds: the days they span.
  if (!dayAligned && lo !== undefined) where.push(compare('>=', column('dt'), literal(hourOf(lo).dt)));
  if (!dayAligned && hi !== undefined) where.push(compare('<=', column('dt'), literal(hourOf(hi - 1).dt)));
  // A Gold row exists for a key with any counted event; Silver's group only with one of the filtered type.
  if (family === AD && types !== undefined && types.size === 1) where.push(compare('>', column(types.has('ad_impression') ? 'impressions' : 'clicks'), number(0)));
  if (family === DAU) where.push(compare('=', column('device_type'), literal(device)));
  ast.where = and(where);
  ast.from = [{ db: 'lake', schema: def.schema, table: def.table, as: source.as ?? null }];
  const table = nameOf(def);
  return { sql: sqlify(ast), table, ast };
}

/** The route of a query: what to run and why (see Route). BadInputError if sql is not a non-empty string. */
export function routeQuery(sql: string, options: RouteOptions = {}): Route {
  const print = fingerprint(sql, options);
  const catalog = (options.catalog ?? 'lake').toLowerCase();
  const parsed = parse(sql);
  const passThrough = (reason: string): Route => ({
    sql,
    table: print.tables[0] ?? '',
    rewritten: false,
    reason,
    fingerprint: print.hash,
    partitions: print.partitions,
    tables: print.tables,
  });
  if (!parsed.ok) return passThrough(`not parsed: ${parsed.why}`);
  const { ast } = parsed;
  if (ast.type !== 'select') return passThrough(`not a SELECT (${String(ast.type).toUpperCase()}): not rewritten`);
  if (print.tables.length === 0) return passThrough('reads no table');
  if (print.tables.every((table) => table.startsWith('lake.gold.'))) return passThrough('already reads a summary');
  if (!print.tables.includes(SILVER)) return passThrough(`reads ${print.tables.join(', ')}: no summary of it`);
  let plan: Plan;
  try {
    plan = planRewrite(ast, catalog, options);
  } catch (err) {
    if (err instanceof Refusal) return { ...passThrough(err.message), table: print.tables.includes(SILVER) ? SILVER : (print.tables[0] ?? '') };
    throw err;
  }
  const tables = tablesOf(plan.ast, catalog);
  return {
    sql: plan.sql,
    table: plan.table,
    rewritten: true,
    reason: `answered by ${plan.table}`,
    fingerprint: print.hash,
    partitions: partitionsOf(plan.ast, tables, catalog),
    tables,
  };
}
