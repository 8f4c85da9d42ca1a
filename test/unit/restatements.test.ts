import { restatementReason, restatementRows, valuesJson, type RestatementContext, type RestatementReason } from '../../core/restatements';
import type { RunReason } from '../../core/lakeTables';

const CONTEXT: RestatementContext = {
  table: 'ctr_hourly',
  oldVersion: '20261122T060000000Z-old',
  newVersion: '20261123T060000000Z-new',
  reason: 'late_events',
  workflowId: 'promote-hour-2026-11-22T05',
  finishedAt: 1_764_000_000_000,
  dt: '2026-11-22',
  hr: '05',
};
const ctr = (campaign_id: string, impressions: number, clicks: number) => ({ campaign_id, impressions, clicks, ctr: impressions === 0 ? null : clicks / impressions });
const row = (row_key: string, old_values: string | null, new_values: string | null) => ({
  table_name: 'ctr_hourly',
  row_key,
  old_version: CONTEXT.oldVersion,
  new_version: CONTEXT.newVersion,
  old_values,
  new_values,
  reason: 'late_events',
  workflow_id: CONTEXT.workflowId,
  finished_at: CONTEXT.finishedAt,
  dt: '2026-11-22',
  hr: '05',
});

describe('restatement diff', () => {
  it.each<[string, object[], object[], object[]]>([
    ['unchanged rows give nothing', [ctr('c1', 10, 1), ctr('c2', 4, 0)], [ctr('c2', 4, 0), ctr('c1', 10, 1)], []],
    ['a changed row has both values', [ctr('c1', 10, 1)], [ctr('c1', 12, 3)], [row('c1', '{"impressions":10,"clicks":1,"ctr":0.1}', '{"impressions":12,"clicks":3,"ctr":0.25}')]],
    ['a new row has no old values', [], [ctr('c9', 0, 2)], [row('c9', null, '{"impressions":0,"clicks":2,"ctr":null}')]],
    ['a removed row has no new values', [ctr('c3', 5, 0)], [], [row('c3', '{"impressions":5,"clicks":0,"ctr":0}', null)]],
    [
      'all at once, sorted by key',
      [ctr('c2', 1, 0), ctr('c1', 2, 1), ctr('c3', 5, 5)],
      [ctr('c4', 1, 1), ctr('c1', 2, 1), ctr('c2', 2, 0)],
      [row('c2', '{"impressions":1,"clicks":0,"ctr":0}', '{"impressions":2,"clicks":0,"ctr":0}'), row('c3', '{"impressions":5,"clicks":5,"ctr":1}', null), row('c4', null, '{"impressions":1,"clicks":1,"ctr":1}')],
    ],
  ])('%s', (_name, oldRows, newRows, expected) => {
    expect(restatementRows(CONTEXT, oldRows as never, newRows as never)).toEqual(expected);
  });

  it('keys daily tables by their own key, hr empty', () => {
    const daily = { ...CONTEXT, table: 'dau_daily' as const, hr: undefined };
    expect(restatementRows(daily, [{ device_type: 'all', dau: 3 }, { device_type: 'tv', dau: 1 }], [{ device_type: 'all', dau: 4 }, { device_type: 'tv', dau: 1 }])).toEqual([
      { ...row('all', '{"dau":3}', '{"dau":4}'), table_name: 'dau_daily', hr: '' },
    ]);
    expect(valuesJson('title_plays_daily', { title_id: 't', plays: 2, unique_viewers: 1 })).toBe('{"plays":2,"unique_viewers":1}');
  });

  it.each<[RunReason | undefined, RestatementReason]>([
    ['reconcile', 'late_events'],
    ['backfill', 'backfill'],
    ['erasure', 'erasure'],
    ['manual', 'manual'],
    ['scheduled', 'manual'],
    [undefined, 'manual'],
  ])('a %s run restates for %s', (run, reason) => {
    expect(restatementReason(run)).toBe(reason);
  });
});
