/**
 * Property-based fuzzing of the event validator and the collector's body-to-messages path: what the
 * collector does with a request body it has read (core/eventWire fast path, JSON.parse, validateBatch,
 * the dead letter of each rejected event). Hostile inputs (test/support/fuzz.ts) never throw, every
 * error names a field and a reason, and nothing reaches a prototype.
 */
import fc from 'fast-check';
import { deadLetterMessage } from '../../core/deadLetter';
import { defaultValidationContext, MAX_EVENTS_PER_BATCH, validateBatch, validateEvent } from '../../core/event';
import { encodeEventBatch } from '../../core/eventWire';
import { EVENT_TYPES } from '../../schemas/eventRecord';
import { budget, EVENT_FIELDS, hostileBodyText, hostileEventText, nestedText, prototypesClean } from '../support/fuzz';

const NOW = Date.UTC(2026, 10, 22, 5, 41);
const ctx = defaultValidationContext(NOW);
/** `field: reason` (CONTRACT §2), the field a top-level name or a dotted/indexed path under one. */
const ERROR = /^([A-Za-z_]+)(?:[.[][^:]*)?: \S/;
const NAMED = new Set<string>([...EVENT_FIELDS, 'event', 'body', 'events']);

function expectFieldErrors(errors: readonly string[]): void {
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    const m = ERROR.exec(e);
    expect([e, m !== null && NAMED.has(m[1] as string)]).toEqual([e, true]);
  }
}

const codePoints = (s: string): number => [...s].length;

describe('fuzz: validateEvent', () => {
  it('never throws; rejects with `field: reason` errors, or accepts an event within every CONTRACT §1 rule', () => {
    fc.assert(
      fc.property(hostileEventText(NOW), (text) => {
        const input: unknown = JSON.parse(text);
        const result = validateEvent(input, ctx);
        expect(validateEvent(input, ctx)).toEqual(result); // deterministic
        if (!result.ok) expectFieldErrors(result.errors);
        else {
          const e = result.event;
          expect(codePoints(e.event_id) >= 1 && codePoints(e.event_id) <= 64).toBe(true);
          expect((EVENT_TYPES as readonly string[]).includes(e.event_type)).toBe(true);
          expect(Number.isSafeInteger(e.event_time) && e.event_time <= NOW + ctx.maxFutureMs).toBe(true);
          expect(typeof e.user_id === 'string' && codePoints(e.user_id) >= 1 && codePoints(e.user_id) <= 128).toBe(true);
          if (e.position_ms !== null) expect(Number.isSafeInteger(e.position_ms) && e.position_ms >= 0).toBe(true);
          if (e.properties !== null) for (const v of Object.values(e.properties)) expect(typeof v).toBe('string');
          if (e.extra_json !== null) expect(() => JSON.parse(e.extra_json as string)).not.toThrow();
        }
        expect(prototypesClean()).toBe(true);
      }),
      budget(2500),
    );
  });

  it('takes values JSON cannot carry (NaN, ±Infinity, undefined, functions, symbols, bigint, cycles) as wrong types, never a throw', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const odd = fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, undefined, () => 1, Symbol('s'), 10n, cyclic, new Date(NOW), [NaN], { valueOf: () => 1 });
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_FIELDS, 'extra', '__proto__'), odd, (field, value) => {
        const input: Record<string, unknown> = { event_id: 'fz', event_type: 'page_view', event_time: NOW, user_id: 'u' };
        Object.defineProperty(input, field, { value, enumerable: true, configurable: true, writable: true });
        const result = validateEvent(input, ctx);
        if (!result.ok) expectFieldErrors(result.errors);
        else expect(result.event.event_id).toBe('fz');
      }),
      budget(2000),
    );
  });
});

describe('fuzz: the collector body path', () => {
  /** What the collector computes from a body it has read: its answer's shape and every Kafka message's value. */
  function collectorPath(raw: Buffer): { status: number; detail?: string } {
    const wire = encodeEventBatch(raw, ctx, 1, MAX_EVENTS_PER_BATCH, Buffer.allocUnsafe);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      expect(wire.ok).toBe(false); // the fast path never takes a body that is not JSON
      return { status: 400, detail: 'body: not valid JSON' };
    }
    const batch = validateBatch(body, ctx);
    if (!batch.ok) {
      expect(wire.ok).toBe(false);
      expect(batch.error).toMatch(ERROR);
      return { status: batch.status, detail: batch.error };
    }
    if (wire.ok) {
      // Whatever the fast path encodes, the ordinary path accepts: the two never disagree on an event.
      const accepted = new Set(batch.accepted.map((a) => a.index));
      for (const f of wire.events) expect(accepted.has(f.index)).toBe(true);
      expect(wire.count).toBe(batch.accepted.length + batch.rejected.length);
    }
    const inputs = (body as { events: unknown[] }).events;
    for (const r of batch.rejected) {
      expectFieldErrors(r.errors);
      // The dead letter of a rejected event must be writable: its reasons and the event as received.
      const letter = deadLetterMessage({ source: 'collector', reason: 'invalid_event', errors: r.errors, index: r.index, event_id: r.event_id ?? null, received_time: NOW, api_key_id: 'k', event: inputs[r.index] });
      expect(typeof letter.value).toBe('string');
    }
    return { status: 200 };
  }

  it('never throws on hostile bodies; refusals name the field or the reason', () => {
    fc.assert(
      fc.property(hostileBodyText(NOW), (text) => {
        const answer = collectorPath(Buffer.from(text));
        expect([200, 400, 413]).toContain(answer.status);
        expect(prototypesClean()).toBe(true);
      }),
      budget(3000),
    );
  });

  it('never throws on arbitrary bytes (invalid UTF-8 included), nor on a valid body with bytes flipped', () => {
    const valid = Buffer.from(JSON.stringify({ events: [{ event_id: 'fz-1', event_type: 'page_view', event_time: NOW, user_id: 'u1', properties: { a: 'b' } }] }));
    const flipped = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const copy = Buffer.from(valid);
      for (const [at, byte] of flips) copy[at] = byte;
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), flipped), (raw) => {
        expect([200, 400, 413]).toContain(collectorPath(raw).status);
      }),
      budget(3000),
    );
  });

  it('takes an event nested as deep as a 1 MiB body allows (a dead letter included), without a stack overflow', () => {
    for (const kind of ['array', 'object'] as const) {
      const deep = nestedText(kind === 'array' ? 500_000 : 100_000, kind);
      const text = `{"events":[{"event_id":"fz-deep","event_type":"page_view","event_time":${NOW},"user_id":"u","x":${deep}}]}`;
      expect(text.length).toBeLessThan(1024 * 1024);
      expect(collectorPath(Buffer.from(text)).status).toBe(200);
    }
  });
});
