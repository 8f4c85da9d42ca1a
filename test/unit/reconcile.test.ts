import { daysOf, indexedHours, reconcileWindow } from '../../core/reconcile';

const NOW = Date.UTC(2026, 10, 22, 5, 41);

describe('reconcile window', () => {
  it.each<[string, number, { from?: string; to?: string }, { from: string; to: string }]>([
    ['the look-back up to now', 8, {}, { from: '2026-11-14T05', to: '2026-11-22T05' }],
    ['one day', 1, {}, { from: '2026-11-21T05', to: '2026-11-22T05' }],
    ['a range as given', 8, { from: '2025-03-01T00', to: '2025-03-01T23' }, { from: '2025-03-01T00', to: '2025-03-01T23' }],
    ['only an end: the look-back before it', 1, { to: '2026-01-02T00' }, { from: '2026-01-01T00', to: '2026-01-02T00' }],
  ])('%s', (_name, days, range, expected) => {
    expect(reconcileWindow(NOW, days, range)).toEqual(expected);
  });

  it('refuses a range that ends before it starts, or a bad hour', () => {
    expect(() => reconcileWindow(NOW, 8, { from: '2026-11-22T06', to: '2026-11-22T05' })).toThrow('reconcile: from 2026-11-22T06 is after to 2026-11-22T05');
    expect(() => reconcileWindow(NOW, 8, { from: '2026-11-22 06' })).toThrow();
  });
});

describe('hours of the hour-index listing', () => {
  const p = (hour: string) => `bronze/_index/events/hour=${hour}/`;
  it.each<[string, string[], string[]]>([
    ['inside the window, oldest first', [p('2026-11-22T03'), p('2026-11-21T23'), p('2026-11-22T05')], ['2026-11-21T23', '2026-11-22T03', '2026-11-22T05']],
    ['outside it left out', [p('2026-11-20T23'), p('2026-11-21T00'), p('2026-11-22T06')], ['2026-11-21T00']],
    ['anything else ignored', ['bronze/_index/events/other/', p('2026-11-21T10'), p('2026-11-21T10')], ['2026-11-21T10']],
  ])('%s', (_name, prefixes, expected) => {
    expect(indexedHours(prefixes, { from: '2026-11-21T00', to: '2026-11-22T05' })).toEqual(expected);
  });

  it('names the days of hours once, sorted', () => {
    expect(daysOf(['2026-11-22T05', '2026-11-21T23', '2026-11-22T01'])).toEqual(['2026-11-21', '2026-11-22']);
  });
});
