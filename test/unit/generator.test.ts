import { defaultValidationContext, validateEvent } from '../../core/event';
import { MALFORMED_RULES, createTrafficModel, type EventIntent, type TrafficOptions, type WireEvent } from '../../core/generator';
import { computeTruth } from '../../core/truth';
import type { EventRecord } from '../../schemas/eventRecord';

const NOW = Date.UTC(2026, 10, 22, 5, 41);
const OPTIONS: TrafficOptions = {
  seed: 42,
  campaigns: 20,
  users: 500,
  titles: 30,
  lateFraction: 0.05,
  tooLateFraction: 0.03,
  duplicateFraction: 0.05,
  malformedFraction: 0.1,
};

/** `batches` batches of `size`, one second apart. */
function run(options: TrafficOptions, batches: number, size: number): Array<{ event: WireEvent; intent: EventIntent; nowMs: number }> {
  const model = createTrafficModel(options);
  const out: Array<{ event: WireEvent; intent: EventIntent; nowMs: number }> = [];
  for (let b = 0; b < batches; b++) {
    const nowMs = NOW + b * 1000;
    const { events, intents } = model.nextBatch(size, nowMs);
    expect(intents).toHaveLength(events.length);
    events.forEach((event, i) => out.push({ event, intent: intents[i] as EventIntent, nowMs }));
  }
  return out;
}

describe('createTrafficModel', () => {
  const sample = run(OPTIONS, 40, 500);

  it('is deterministic: the same seed gives the same events and intents', () => {
    expect(run(OPTIONS, 40, 500)).toEqual(sample);
  });

  it('does not depend on how a stream is cut into batches', () => {
    const whole = createTrafficModel(OPTIONS).nextBatch(300, NOW);
    const cut = createTrafficModel(OPTIONS);
    const first = cut.nextBatch(100, NOW);
    const rest = cut.nextBatch(200, NOW);
    expect({ events: [...first.events, ...rest.events], intents: [...first.intents, ...rest.intents] }).toEqual(whole);
  });

  it('gives other events for another seed', () => {
    expect(run({ ...OPTIONS, seed: 43 }, 1, 50)).not.toEqual(run(OPTIONS, 1, 50));
  });

  it('has every malformed event rejected with exactly the one error of its rule', () => {
    const malformed = sample.filter((entry) => entry.intent.kind === 'malformed');
    expect(malformed.length).toBeGreaterThan(0);
    for (const { event, intent, nowMs } of malformed) {
      const result = validateEvent(event, defaultValidationContext(nowMs));
      const field = intent.kind === 'malformed' ? intent.field : '';
      expect({ intent, ok: result.ok, fields: result.ok ? [] : result.errors.map((e) => e.split(':')[0]) }).toEqual({ intent, ok: false, fields: [field] });
    }
    expect(new Set(malformed.map(({ intent }) => intent.kind === 'malformed' && intent.rule))).toEqual(new Set(Object.keys(MALFORMED_RULES)));
  });

  it('has every good event accepted, quarantined exactly when too late', () => {
    const good = sample.filter((entry) => entry.intent.kind === 'good');
    for (const { event, intent, nowMs } of good) {
      const result = validateEvent(event, defaultValidationContext(nowMs));
      const quarantined = intent.kind === 'good' && intent.timeliness === 'too_late';
      expect({ intent, result: result.ok ? { ok: true, quarantined: result.quarantined } : result }).toEqual({ intent, result: { ok: true, quarantined } });
    }
  });

  it('re-sends earlier events verbatim as duplicates, and gives every other event a new id', () => {
    const seen = new Map<unknown, WireEvent>();
    for (const { event, intent } of sample) {
      if (intent.kind !== 'good') continue;
      if (intent.duplicate) expect(event).toEqual(seen.get(event.event_id));
      else {
        expect(seen.has(event.event_id)).toBe(false);
        seen.set(event.event_id, event);
      }
    }
  });

  it('realises the fractions it was given, roughly', () => {
    const share = (test: (intent: EventIntent) => boolean): number => sample.filter(({ intent }) => test(intent)).length / sample.length;
    expect(share((i) => i.kind === 'malformed')).toBeCloseTo(0.1, 1);
    expect(share((i) => i.kind === 'good' && i.duplicate)).toBeCloseTo(0.05, 1);
    expect(share((i) => i.kind === 'good' && !i.duplicate && i.timeliness === 'too_late')).toBeCloseTo(0.03, 1);
    expect(share((i) => i.kind === 'good' && !i.duplicate && i.timeliness === 'late')).toBeCloseTo(0.05, 1);
  });

  it('sends only good, fresh, distinct events when no fractions are given', () => {
    const clean = run({ seed: 7, campaigns: 5, users: 50, titles: 5 }, 2, 300);
    expect(clean.every(({ intent }) => intent.kind === 'good' && !intent.duplicate && intent.timeliness === 'on_time')).toBe(true);
  });

  it('models skewed campaigns with CTRs of 0.5% to 5%, users on several devices, and both time formats', () => {
    const records = sample.flatMap(({ event, nowMs }) => {
      const result = validateEvent(event, defaultValidationContext(nowMs));
      return result.ok ? [result.event] : [];
    });
    const { campaign_daily } = computeTruth(records).tables;
    const impressions = campaign_daily.reduce((sum, row) => sum + row.impressions, 0);
    const clicks = campaign_daily.reduce((sum, row) => sum + row.clicks, 0);
    expect(clicks / impressions).toBeGreaterThan(0.005);
    expect(clicks / impressions).toBeLessThan(0.05);

    const byCampaign = new Map<string, number>();
    for (const row of campaign_daily) byCampaign.set(row.campaign_id, (byCampaign.get(row.campaign_id) ?? 0) + row.impressions);
    const counts = [...byCampaign.values()].sort((a, b) => b - a);
    expect(counts[0]).toBeGreaterThan(3 * (counts[Math.floor(counts.length / 2)] ?? 0));

    const devices = new Map<string, Set<EventRecord['device_type']>>();
    for (const r of records) devices.set(r.user_id, (devices.get(r.user_id) ?? new Set()).add(r.device_type));
    expect([...devices.values()].some((set) => set.size >= 2)).toBe(true);
    expect(records.some((r) => r.device_type === null)).toBe(true);
    expect(records.some((r) => r.extra_json !== null)).toBe(true);

    const times = sample.map(({ event }) => typeof event.event_time);
    expect(new Set(times)).toEqual(new Set(['number', 'string']));
  });

  it.each<[Partial<TrafficOptions>, string]>([
    [{ seed: 1.5 }, 'seed: must be an integer, got 1.5'],
    [{ campaigns: 0 }, 'campaigns: must be a whole number from 1 to 100000, got 0'],
    [{ users: 2_000_000 }, 'users: must be a whole number from 1 to 1000000, got 2000000'],
    [{ titles: 2.5 }, 'titles: must be a whole number from 1 to 100000, got 2.5'],
    [{ lateFraction: -0.1 }, 'lateFraction: must be between 0 and 1, got -0.1'],
    [{ malformedFraction: Number.NaN }, 'malformedFraction: must be between 0 and 1, got NaN'],
    [{ malformedFraction: 0.6, duplicateFraction: 0.5 }, 'fractions: late, too late, duplicate and malformed must add up to at most 1'],
    [{ idScope: 'Run 1' }, 'idScope: must be 1-24 of a-z 0-9 -'],
    [{ idScope: '' }, 'idScope: must be 1-24 of a-z 0-9 -'],
  ])('refuses %j', (change, message) => {
    expect(() => createTrafficModel({ ...OPTIONS, ...change })).toThrow(message);
  });

  it('prefixes every campaign, ad and title id with an id scope, and changes nothing else', () => {
    const scoped = run({ ...OPTIONS, idScope: 'r1a2b-' }, 10, 200);
    const ids = (field: string): string[] => scoped.flatMap(({ event }) => (typeof event[field] === 'string' ? [event[field] as string] : []));
    for (const field of ['campaign_id', 'ad_id', 'title_id']) {
      expect(ids(field).length).toBeGreaterThan(10);
      // Malformed events may break an id; every well-formed one is scoped.
      expect(ids(field).filter((id) => id.length > 0 && id.length <= 128).every((id) => id.startsWith('r1a2b-'))).toBe(true);
    }
    const unscope = (value: unknown): unknown => (typeof value === 'string' ? value.replace(/r1a2b-/g, '') : value);
    const plain = run(OPTIONS, 10, 200);
    expect(scoped.map(({ event }) => Object.fromEntries(Object.entries(event).map(([k, v]) => [k, unscope(v)])))).toEqual(plain.map(({ event }) => event));
  });

  it('refuses a bad batch size or send time', () => {
    const model = createTrafficModel(OPTIONS);
    expect(() => model.nextBatch(0, NOW)).toThrow('n: must be a whole number from 1 to 1000000, got 0');
    expect(() => model.nextBatch(1, Number.NaN)).toThrow('nowMs: must be epoch milliseconds, got NaN');
  });
});
