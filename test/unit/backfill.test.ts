import {
  backfillFailed,
  checkConcurrency,
  countHours,
  eta,
  failedHours,
  initialState,
  nextToStart,
  planHours,
  progressBar,
  progressKeyword,
  skipPending,
  summarize,
  touchedDays,
  transition,
  withDay,
  type BackfillEvent,
  type BackfillHour,
  type BackfillHourState,
  type BackfillState,
} from '../../core/backfill';

const H = (n: number, dt = '2025-03-09'): string => `${dt}T${String(n).padStart(2, '0')}`;
const state = (...states: BackfillHourState[]): BackfillState => ({ hours: states.map((s, i) => ({ hour: H(i), state: s })), days: [] });

describe('planning', () => {
  it.each<[string, string, number | undefined, string[]]>([
    [H(22, '2025-03-08'), H(1), undefined, [H(22, '2025-03-08'), H(23, '2025-03-08'), H(0), H(1)]],
    [H(5), H(5), undefined, [H(5)]],
    [H(0), H(2), 3, [H(0), H(1), H(2)]],
  ])('%s..%s (at most %s)', (from, to, max, hours) => {
    expect(planHours(from, to, max)).toEqual(hours);
  });

  it.each<[string, string, number | undefined, string]>([
    [H(5), H(4), undefined, 'is before'],
    [H(0), H(3), 3, '4 hours from 2025-03-09T00 to 2025-03-09T03, at most 3'],
    ['2025-03-09 05', H(6), undefined, 'hour'],
  ])('refuses %s..%s', (from, to, max, message) => {
    expect(() => planHours(from, to, max)).toThrow(message);
  });

  it.each([[0], [65], [1.5]])('refuses concurrency %s', (n) => {
    expect(() => checkConcurrency(n)).toThrow('concurrency');
  });

  it('selects the given hours and skips the others with the reason', () => {
    expect(initialState([H(0), H(1), H(2)], new Set([H(1)]), 'not stale')).toEqual({
      hours: [
        { hour: H(0), state: 'skipped', error: 'not stale' },
        { hour: H(1), state: 'pending' },
        { hour: H(2), state: 'skipped', error: 'not stale' },
      ],
      days: [],
    });
    expect(initialState([H(0)]).hours).toEqual([{ hour: H(0), state: 'pending' }]);
  });
});

describe('next hours to start', () => {
  it.each<[string, BackfillState, number, string[]]>([
    ['all pending, room for 2', state('pending', 'pending', 'pending'), 2, [H(0), H(1)]],
    ['one running takes a slot', state('running', 'pending', 'pending'), 2, [H(1)]],
    ['full', state('running', 'running', 'pending'), 2, []],
    ['oldest first after done and failed', state('done', 'failed', 'pending', 'pending'), 1, [H(2)]],
    ['nothing pending', state('done', 'skipped'), 4, []],
  ])('%s', (_name, s, concurrency, hours) => {
    expect(nextToStart(s, concurrency)).toEqual(hours);
  });
});

describe('transitions', () => {
  it.each<[BackfillHourState, BackfillEvent, BackfillHour]>([
    ['pending', { type: 'start' }, { hour: H(0), state: 'running' }],
    ['running', { type: 'done', by: 'backfill' }, { hour: H(0), state: 'done', by: 'backfill' }],
    ['running', { type: 'done', by: 'other' }, { hour: H(0), state: 'done', by: 'other' }],
    ['running', { type: 'fail', error: 'X: y' }, { hour: H(0), state: 'failed', error: 'X: y' }],
    ['pending', { type: 'skip', reason: 'cancelled' }, { hour: H(0), state: 'skipped', error: 'cancelled' }],
  ])('%s + %j', (from, event, hour) => {
    expect(transition(state(from, 'pending'), H(0), event)).toEqual({ hours: [hour, { hour: H(1), state: 'pending' }], days: [] });
  });

  it.each<[BackfillHourState, BackfillEvent]>([
    ['running', { type: 'start' }],
    ['done', { type: 'start' }],
    ['pending', { type: 'done', by: 'backfill' }],
    ['failed', { type: 'fail', error: 'again' }],
    ['running', { type: 'skip', reason: 'x' }],
  ])('refuses %s + %j', (from, event) => {
    expect(() => transition(state(from), H(0), event)).toThrow(`cannot ${event.type} when ${from}`);
  });

  it('refuses an hour outside the range', () => {
    expect(() => transition(state('pending'), H(9), { type: 'start' })).toThrow('not in the range');
  });

  it('skips every pending hour on cancel, leaving the others', () => {
    expect(skipPending(state('done', 'running', 'pending'), 'cancelled').hours.map((h) => h.state)).toEqual(['done', 'running', 'skipped']);
  });
});

describe('days and summary', () => {
  const mixed: BackfillState = {
    hours: [
      { hour: H(23, '2025-03-08'), state: 'done', by: 'backfill' },
      { hour: H(0), state: 'failed', error: 'InvariantViolationError: torn' },
      { hour: H(1), state: 'done', by: 'other' },
      { hour: H(2), state: 'skipped', error: 'not stale' },
    ],
    days: [],
  };

  it('touches the days of the hours done', () => {
    expect(touchedDays(mixed)).toEqual(['2025-03-08', '2025-03-09']);
    expect(touchedDays(state('failed', 'skipped'))).toEqual([]);
  });

  it('summarizes in the CONTRACT §4 shape', () => {
    const s = withDay(withDay(mixed, { dt: '2025-03-09', state: 'failed', error: 'E: x' }), { dt: '2025-03-08', state: 'done' });
    expect(summarize('backfill-a-b', s, { reason: 'fix' })).toEqual({
      workflow_id: 'backfill-a-b',
      hours: { done: 2, failed: 1, skipped: 1 },
      failed: [{ hour: H(0), error: 'InvariantViolationError: torn' }],
      days: { done: 1, failed: 1 },
      failed_days: [{ dt: '2025-03-09', error: 'E: x' }],
      reason: 'fix',
    });
    expect(backfillFailed(summarize('w', s))).toBe(true);
    expect(backfillFailed(summarize('w', state('done')))).toBe(false);
    expect(failedHours(s.hours)).toEqual([H(0)]);
  });

  it('lists on a dry run what it would run, counted as skipped', () => {
    expect(summarize('w', state('pending', 'skipped'), { dryRun: true })).toMatchObject({ hours: { done: 0, failed: 0, skipped: 2 }, would_run: [H(0)] });
  });

  it('counts, shows and estimates', () => {
    const counts = countHours(state('done', 'failed', 'running', 'pending', 'skipped'));
    expect(counts).toEqual({ total: 5, pending: 1, running: 1, done: 1, failed: 1, skipped: 1 });
    expect(progressKeyword(counts)).toBe('done 1 failed 1 pending 2 of 5');
    expect(progressBar(counts, 90_000, 8)).toBe('[####....] 1/4 done, 1 failed, 2 remaining, ETA 1m30s');
    expect(progressBar(countHours(state('done')), undefined, 4)).toBe('[####] 1/1 done, 0 failed, 0 remaining');
    expect(eta(0, 0, 2, 60_000, 4)).toEqual({ perMinute: 2, remainingMs: 120_000 });
    expect(eta(2, 0, 2, 60_000, 4)).toEqual({ perMinute: 0, remainingMs: undefined });
  });
});
