/**
 * Adversarial inputs for the property-based fuzz tests (fast-check): JSON texts and values a hostile
 * or broken client could send, built as TEXT and parsed with JSON.parse where it matters, as the
 * collector does, so `__proto__` and `constructor` keys become own properties, never prototypes.
 */
import fc from 'fast-check';

/** Field names of CONTRACT §1, and the names that attack prototypes or shadow methods. */
export const EVENT_FIELDS = [
  'event_id', 'event_type', 'event_time', 'user_id', 'session_id', 'campaign_id', 'ad_id', 'placement', 'title_id',
  'position_ms', 'page_url', 'referrer', 'device_type', 'country', 'user_agent', 'ip', 'email', 'properties',
] as const;
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'toJSON'] as const;

/** Numbers JSON can carry that break naive code: huge, tiny, negative zero, fractions, beyond 2^53, exponents that overflow to Infinity. */
const edgyNumberText = fc.constantFrom('0', '-0', '1e308', '1e309', '-1e309', '4.9e-324', '9007199254740993', '-1', '1.5', '1e3', '12345678901234567890123', '0.1e-400');

/** A JSON array or object nested `depth` deep, as text. */
export function nestedText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Text of one hostile JSON value. */
export const hostileValueText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
  edgyNumberText,
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)), // lone surrogates included
  fc.constantFrom('""', '"\\u0000"', '"\\ud800"', '"\\udfff\\ud800"', 'true', 'null', '[]', '{}', '"NaN"', '"Infinity"', '"-Infinity"'),
  fc.integer({ min: 1, max: 40_000 }).map((n) => JSON.stringify('x'.repeat(n))), // huge strings
  fc.integer({ min: 1, max: 5000 }).map((n) => `[${Array.from({ length: n }, () => '1').join(',')}]`), // huge arrays
  fc.tuple(fc.integer({ min: 10, max: 20_000 }), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => nestedText(d, k)), // deep nesting
  fc.constantFrom(...HOSTILE_KEYS).map((k) => `{${JSON.stringify(k)}:{"polluted":"yes"}}`),
  fc.dictionary(fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 8 })), fc.string({ maxLength: 8 }), { maxKeys: 60 }).map((d) => JSON.stringify(d)),
);

const validBase = (nowMs: number): Record<string, unknown> => ({ event_id: 'fz-1', event_type: 'ad_click', event_time: nowMs - 1000, user_id: 'u1', campaign_id: 'c1', ad_id: 'a1' });

/**
 * Text of one event: a valid click with some fields replaced or added (known names, hostile names,
 * random names) by hostile values, or a hostile value instead of an object.
 */
export function hostileEventText(nowMs: number): fc.Arbitrary<string> {
  const field = fc.oneof(fc.constantFrom(...EVENT_FIELDS), fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 }));
  const overridden = fc.array(fc.tuple(field, hostileValueText), { minLength: 1, maxLength: 4 }).map((pairs) => {
    const base = Object.entries(validBase(nowMs)).map(([k, v]) => [k, JSON.stringify(v)] as const);
    const keys = new Map<string, string>(base);
    for (const [k, v] of pairs) keys.set(k, v);
    return `{${[...keys].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  });
  return fc.oneof({ weight: 4, arbitrary: overridden }, { weight: 1, arbitrary: hostileValueText }, { weight: 1, arbitrary: fc.constant(JSON.stringify(validBase(nowMs))) });
}

/** Text of one request body: `{"events": [...]}` of hostile events, or a hostile shape around them. */
export function hostileBodyText(nowMs: number): fc.Arbitrary<string> {
  const events = fc.array(hostileEventText(nowMs), { minLength: 0, maxLength: 6 }).map((es) => `[${es.join(',')}]`);
  return fc.oneof(
    { weight: 5, arbitrary: events.map((e) => `{"events":${e}}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE_KEYS), events).map(([k, e]) => `{${JSON.stringify(k)}:{"x":1},"events":${e}}`) },
    { weight: 1, arbitrary: hostileValueText },
    { weight: 1, arbitrary: fc.tuple(events, fc.nat(200)).map(([e, cut]) => `{"events":${e}}`.slice(0, Math.max(0, `{"events":${e}}`.length - 1 - cut))) }, // truncated
    { weight: 1, arbitrary: events.map((e) => `{"events":${e},"events":[]}`) }, // repeated key
  );
}

/** Object.prototype and Array.prototype have no `polluted` property (an attack would have set one). */
export function prototypesClean(): boolean {
  return !('polluted' in Object.prototype) && !('polluted' in Array.prototype) && ({} as { polluted?: unknown }).polluted === undefined;
}

/** Bounded fuzz runs: at most `numRuns`, at most `ms` of wall time per property (CI stays quick). */
export function budget<T>(ms: number, numRuns = 100_000): fc.Parameters<T> {
  return { numRuns, interruptAfterTimeLimit: ms, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), reporter: shortReport };
}

/** A failure's report with the counterexample cut short (a deep-nesting one is megabytes) and the seed to replay it (FUZZ_SEED). */
function shortReport<T>(run: fc.RunDetails<T>): void {
  if (!run.failed) return;
  const example = fc.stringify(run.counterexample).slice(0, 600);
  const error = run.errorInstance instanceof Error ? run.errorInstance.message.split('\n').slice(0, 8).join('\n').slice(0, 1500) : String(run.errorInstance);
  throw new Error(`property failed after ${run.numRuns} runs (FUZZ_SEED=${run.seed}, path ${run.counterexamplePath ?? ''}):\n${error}\ncounterexample (cut): ${example}`);
}
