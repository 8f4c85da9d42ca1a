import { auditRunOf, consumerLag, hourFreshness, latestHourRunsSql, type AuditRun, type HourFacts } from '../../core/freshness';

const HOUR = '2026-11-22T05';
const END = Date.UTC(2026, 10, 22, 6); // the hour's end
const MIN = 60_000;

const published: AuditRun = { status: 'published', finished_at: END + 5 * MIN, error: null, rows_in: 120, rows_out: 100, late: 0, version: 'v1', run_id: 'run-1', quality: 'ok', quality_reasons: null };
const failedRun: AuditRun = { status: 'failed', finished_at: END + 7 * MIN, error: 'LedgerImbalanceError: rows_in 120 != 119', rows_in: 120, rows_out: 0, late: 0, version: 'v2', run_id: 'run-2', quality: null, quality_reasons: null };
const none: HourFacts = { hour: HOUR, latestRun: null, running: false, failedWorkflow: null, bronzeHasEvents: false };

const failedWorkflow = (runId: string, closedAtMs: number, message: string | null) => ({ runId, closedAtMs, message });
const ledgerOf = (run: AuditRun) => ({ version: run.version, rows_in: run.rows_in, rows_out: run.rows_out, last_run: new Date(run.finished_at).toISOString() });
const noLedger = { version: null, rows_in: null, rows_out: null, last_run: null };

describe('hourFreshness', () => {
  const late = END + 11 * MIN; // past the 10-minute grace
  it.each<[string, Partial<HourFacts>, number, unknown]>([
    ['nothing known: not listed', {}, late, null],
    ['Bronze events within the grace: not listed yet', { bronzeHasEvents: true }, END + 9 * MIN, null],
    ['Bronze events at the end of the grace: LATE', { bronzeHasEvents: true }, END + 10 * MIN, { state: 'LATE', error: null, ...noLedger }],
    ['Bronze events, grace passed, never published: LATE', { bronzeHasEvents: true }, late, { state: 'LATE', error: null, ...noLedger }],
    ['published: READY', { latestRun: published, bronzeHasEvents: true }, late, { state: 'READY', error: null, ...ledgerOf(published) }],
    ['published, even before the grace ends: READY', { latestRun: published }, END, { state: 'READY', error: null, ...ledgerOf(published) }],
    ['latest audit row failed: FAILED with its error', { latestRun: failedRun, bronzeHasEvents: true }, late, { state: 'FAILED', error: failedRun.error, ...ledgerOf(failedRun) }],
    [
      'a workflow failed with no audit row: FAILED with its message',
      { failedWorkflow: failedWorkflow('run-9', END + 3 * MIN, 'promote 2026-11-22T05: boom'), bronzeHasEvents: true },
      late,
      { state: 'FAILED', error: 'promote 2026-11-22T05: boom', ...noLedger },
    ],
    [
      'a workflow failed after the hour was published: FAILED',
      { latestRun: published, failedWorkflow: failedWorkflow('run-9', published.finished_at + MIN, null) },
      late,
      { state: 'FAILED', error: null, ...ledgerOf(published) },
    ],
    [
      'published after a failed workflow: READY',
      { latestRun: published, failedWorkflow: failedWorkflow('run-9', published.finished_at - MIN, 'old failure') },
      late,
      { state: 'READY', error: null, ...ledgerOf(published) },
    ],
    [
      'a failed audit row and its workflow closing at the same time: the audit row\'s reason',
      { latestRun: failedRun, failedWorkflow: failedWorkflow('run-9', failedRun.finished_at, 'promote 2026-11-22T05: wrapped') },
      late,
      { state: 'FAILED', error: failedRun.error, ...ledgerOf(failedRun) },
    ],
    [
      'a failed audit row and its own workflow closing later: the audit row\'s reason',
      { latestRun: failedRun, failedWorkflow: failedWorkflow('run-2', failedRun.finished_at + 500, 'promote 2026-11-22T05: wrapped') },
      late,
      { state: 'FAILED', error: failedRun.error, ...ledgerOf(failedRun) },
    ],
    [
      'a later failed run with no audit row after an earlier failed one: the later reason',
      { latestRun: failedRun, failedWorkflow: failedWorkflow('run-3', failedRun.finished_at + MIN, 'promote 2026-11-22T05: audit unreachable') },
      late,
      { state: 'FAILED', error: 'promote 2026-11-22T05: audit unreachable', ...ledgerOf(failedRun) },
    ],
    ['a run in progress: RUNNING, whatever came before', { running: true, latestRun: failedRun, failedWorkflow: failedWorkflow('run-9', late, 'x') }, late, { state: 'RUNNING', error: null, ...ledgerOf(failedRun) }],
    ['a run in progress of an hour not yet ended: RUNNING', { running: true }, END - 30 * MIN, { state: 'RUNNING', error: null, ...noLedger }],
  ])('%s', (_name, facts, nowMs, expected) => {
    expect(hourFreshness({ ...none, ...facts }, nowMs)).toEqual(expected === null ? null : { hour: HOUR, ...(expected as object) });
  });

  it('takes the grace it is given', () => {
    expect(hourFreshness({ ...none, bronzeHasEvents: true }, END + MIN, MIN)?.state).toBe('LATE');
    expect(hourFreshness({ ...none, bronzeHasEvents: true }, END + MIN - 1, MIN)).toBeNull();
  });
});

describe('the audit ledger read', () => {
  it('selects the latest silver run per hour and reads a column the table lacks as null', () => {
    expect(latestHourRunsSql('2026-11-21', new Set(['version', 'status']))).toBe(
      'SELECT dt, hr, rows_in, rows_out, late, finished_at, run_id, version, status, CAST(NULL AS varchar) AS error, CAST(NULL AS varchar) AS quality, CAST(NULL AS varchar) AS quality_reasons FROM (' +
        'SELECT *, row_number() OVER (PARTITION BY dt, hr ORDER BY finished_at DESC) AS n ' +
        "FROM lake.audit.hour_runs WHERE layer = 'silver' AND dt >= '2026-11-21') WHERE n = 1",
    );
  });

  it.each([
    [
      { dt: '2026-11-22', hr: '05', rows_in: '120', rows_out: 100, late: '3', finished_at: '1795327500000', run_id: 'r2', version: 'v2', status: 'published', error: null, quality: 'warn', quality_reasons: 'reject_rate 0.06 > warn 0.05' },
      { status: 'published', finished_at: 1795327500000, error: null, rows_in: 120, rows_out: 100, late: 3, version: 'v2', run_id: 'r2', quality: 'warn', quality_reasons: 'reject_rate 0.06 > warn 0.05' },
    ],
    [
      { dt: '2026-11-22', hr: '05', rows_in: '120', rows_out: 100, late: '3', finished_at: '1795327500000', run_id: 'r2', version: 'v2', status: 'failed', error: 'boom' },
      { status: 'failed', finished_at: 1795327500000, error: 'boom', rows_in: 120, rows_out: 100, late: 3, version: 'v2', run_id: 'r2', quality: null, quality_reasons: null },
    ],
    [
      { dt: '2026-11-22', hr: '05', rows_in: 1, rows_out: 1, finished_at: 5, version: null, status: null, error: null },
      { status: 'published', finished_at: 5, error: null, rows_in: 1, rows_out: 1, late: 0, version: null, run_id: null, quality: null, quality_reasons: null },
    ],
  ])('parses an audit row %#', (row, run) => {
    expect(auditRunOf(row)).toEqual({ hour: HOUR, run });
  });
});

describe('consumerLag', () => {
  it('adds what each partition still has to read, from 0 where nothing is committed', () => {
    const high = [{ partition: 0, high: '10' }, { partition: 1, high: '7' }, { partition: 2, high: '3' }];
    expect(consumerLag(high, [{ partition: 0, offset: '4' }, { partition: 1, offset: '-1' }])).toBe(6 + 7 + 3);
    expect(consumerLag(high, [])).toBe(20);
  });
});
