import { withoutErased } from '../../activities/bronze/writeRange';
import { buildManifest, manifestHours, parseManifest } from '../../core/bronze';
import { versionsErasureDeletes } from '../../core/compaction';
import {
  erasureListFingerprint,
  erasureRequestId,
  erasureRule,
  isErased,
  kafkaExpiry,
  nextHours,
  parseErasureEntry,
  pendingErasureRow,
  planErasureWork,
  type ErasureEntry,
} from '../../core/erasure';
import { checkLedger } from '../../core/ledger';
import { userKey } from '../../core/silver';
import { HOUR_MS, hourKey, parseHourKey } from '../../core/time';
import { bronzeRecord, pageView } from './bronzeFixtures';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const T = Date.UTC(2026, 11, 2, 10, 30);
const entry = (request_id: string, user_key: string, requested_at: number, suppress = false): ErasureEntry => ({ request_id, user_key, requested_at, suppress });

describe('erasure request', () => {
  it('has a sortable id from the request time and 32 random bits, and a workflow id from it', () => {
    expect(erasureRequestId(T, '0123abcd')).toBe('er-20261202103000-0123abcd');
    expect(pendingErasureRow(entry('er-20261202103000-0123abcd', KEY_A, T)).workflow_id).toBe('erase-user-er-20261202103000-0123abcd');
    expect(() => erasureRequestId(T, 'xyz')).toThrow('randomHex: expected 8 lower-case hex digits');
  });

  it('reads a list entry back, naming every bad field', () => {
    const good = entry('er-20261202103000-0123abcd', KEY_A, T, true);
    expect(parseErasureEntry(JSON.parse(JSON.stringify(good)))).toEqual(good);
    expect(() => parseErasureEntry({ request_id: 'er-1', user_key: 'alice', requested_at: -1 })).toThrow(
      'erasure entry.suppress: required; erasure entry.request_id: must be er-<14 digits>-<8 hex>, got string; erasure entry.user_key: must be 64 lower-case hex digits, got string; erasure entry.requested_at: must be a whole number from 0',
    );
  });
});

describe('erasure rule', () => {
  const rule = erasureRule([entry('er-20261202103000-00000001', KEY_A, T), entry('er-20261202113000-00000002', KEY_A, T + HOUR_MS), entry('er-20261202103000-00000003', KEY_B, T, true)]);

  it('erases a user events dated up to the latest request, and later ones only when suppressed', () => {
    expect(isErased(rule, KEY_A, T + HOUR_MS)).toBe(true); // at the request instant: erased
    expect(isErased(rule, KEY_A, T + HOUR_MS + 1)).toBe(false); // a new interaction
    expect(isErased(rule, KEY_B, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(isErased(rule, 'c'.repeat(64), 0)).toBe(false);
  });

  it('fingerprints the list by its sorted request ids', () => {
    expect(erasureListFingerprint([entry('er-20261202113000-00000002', KEY_A, T), entry('er-20261202103000-00000001', KEY_A, T)])).toBe('er-20261202103000-00000001,er-20261202113000-00000002');
  });
});

describe('Bronze ingestion and the erasure list', () => {
  const hmac = 'unit-key';
  const h = (ms: number): number => Date.UTC(2026, 11, 2, 9) + ms;
  const records = [
    bronzeRecord(pageView('e1', h(0), { user_id: 'alice' }), 0, 10),
    bronzeRecord(pageView('e2', h(HOUR_MS + 5), { user_id: 'alice' }), 0, 11),
    bronzeRecord(pageView('e3', h(5), { user_id: 'bob' }), 0, 12),
    bronzeRecord(pageView('e4', h(2 * HOUR_MS), { user_id: 'alice' }), 0, 13), // after the request: kept
  ];
  const rule = erasureRule([entry('er-20261202103000-00000001', userKey(hmac, 'alice'), h(HOUR_MS + 5))]);

  it('leaves the erased records out and counts them by hour', () => {
    const { kept, erased } = withoutErased(records, rule, hmac);
    expect(kept.map((r) => r.event.event_id)).toEqual(['e3', 'e4']);
    expect(erased).toEqual({ [hourKey(h(0))]: 1, [hourKey(h(HOUR_MS))]: 1 });
    expect(withoutErased(records, new Map(), hmac).kept).toHaveLength(4);
  });

  it('writes them into the manifest, which keeps a marker hour for an hour left with only erased records', () => {
    const { kept, erased } = withoutErased(records, rule, hmac);
    const manifest = buildManifest(kept, { topic: 'clicklake.events', partition: 0, firstOffset: 10, lastOffset: 13, bytes: 99, erased, rewrite: 1 });
    expect(manifest.rowCount).toBe(2);
    expect(manifest.erasedHistogram).toEqual(erased);
    expect(manifest.objectKey).toMatch(/offsets=00000000000000000010-00000000000000000013\.r1\.ndjson\.zst$/);
    expect(manifestHours(manifest)).toEqual([hourKey(h(0)), hourKey(h(HOUR_MS)), hourKey(h(2 * HOUR_MS))].sort());
    expect(parseManifest(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
    // More records and erased ones than the range has offsets: refused.
    expect(() => parseManifest({ ...JSON.parse(JSON.stringify(manifest)), erasedHistogram: { [hourKey(h(0))]: 3 } })).toThrow('rowCount: 2 and 3 erased is more than the 4 offsets');
  });

  it('balances a ledger that counts erased events', () => {
    expect(checkLedger({ rows_in: 10, rows_out: 5, duplicates: 1, rejected: 1, late: 1, erased: 2 }).erased).toBe(2);
    expect(() => checkLedger({ rows_in: 10, rows_out: 5, duplicates: 1, rejected: 1, late: 1, erased: 1 })).toThrow('rows_in 10 != rows_out + duplicates + rejected + late + erased = 9');
  });
});

describe('erasure planner', () => {
  it('rewrites Bronze wherever the user can be, restates the published hours and the published hours after them, then their days', () => {
    const work = planErasureWork({
      silverHours: [
        { hour: '2026-11-30T23', rows: 3 },
        { hour: '2026-12-01T00', rows: 2 },
      ],
      unreadHours: [
        { hour: '2026-12-01T05', published: true },
        { hour: '2026-12-02T10', published: false },
      ],
      publishedNextHours: ['2026-12-01T01', '2026-12-01T06'],
    });
    expect(work).toEqual({
      bronzeHours: ['2026-11-30T23', '2026-12-01T00', '2026-12-01T05', '2026-12-02T10'],
      restateHours: ['2026-11-30T23', '2026-12-01T00', '2026-12-01T01', '2026-12-01T05', '2026-12-01T06'],
      days: ['2026-11-30', '2026-12-01'],
      silverRows: 5,
    });
  });

  it('also treats the hours a run published since the request with erased records (it may have dropped the user already)', () => {
    const work = planErasureWork({ silverHours: [{ hour: '2026-12-01T00', rows: 1 }], unreadHours: [], erasedSince: ['2026-12-01T01', '2026-12-01T00'], publishedNextHours: [] });
    expect(work).toMatchObject({ bronzeHours: ['2026-12-01T00', '2026-12-01T01'], restateHours: ['2026-12-01T00', '2026-12-01T01'], days: ['2026-12-01'] });
  });

  it('names the next hour of each, not the hours themselves', () => {
    const next = (hour: string): string => hourKey(parseHourKey(hour).startMs + HOUR_MS);
    expect(nextHours(['2026-11-30T23', '2026-12-01T00', '2026-12-01T05'], next)).toEqual(['2026-12-01T01', '2026-12-01T06']);
  });

  it('deletes every version older than the published one, never a newer one still building', () => {
    expect(versionsErasureDeletes(['20261201T1000-a', '20261201T1100-b', '20261201T1200-c', '20261201T1300-d'], '20261201T1200-c')).toEqual(['20261201T1000-a', '20261201T1100-b']);
    expect(versionsErasureDeletes(['20261201T1000-a'], undefined)).toEqual([]);
  });

  it('dates the end of Kafka copies: retention plus an open segment, the latest topic', () => {
    expect(kafkaExpiry(T, [{ retentionMs: 7 * 24 * HOUR_MS, segmentMs: 24 * HOUR_MS }, { retentionMs: 30 * 24 * HOUR_MS, segmentMs: 7 * 24 * HOUR_MS }])).toBe(T + 37 * 24 * HOUR_MS);
  });
});
