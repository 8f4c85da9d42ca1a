/**
 * The collector's fast path: a `POST /v1/events` body, as bytes, straight to Confluent-framed Avro
 * values, without building a JSON object tree or an `EventRecord` per event (bench/collector: JSON
 * parsing, validation and Avro encoding were about half of the collector's CPU).
 *
 * It never decides anything the ordinary path (JSON.parse, `validateBatch`, avsc) would decide
 * differently; it only declines:
 * - the whole body (`ok: false`) when it is not exactly `{"events": [...]}` with 1..maxEvents
 *   elements in well-formed JSON and UTF-8: the caller then takes the ordinary path, which gives the
 *   same 400/413 answers and messages as before;
 * - one event (listed in `odd`, with its byte range) when it is not a plain, valid event: an escape in
 *   a string, a repeated field, a number that is not a plain integer, a property key JavaScript would
 *   reorder (an array index), an unknown field whose value is not a plain string or integer, or any
 *   rule of core/event.ts it breaks. The
 *   caller parses that slice and runs `validateEvent` on it, so rejections keep their exact messages.
 *
 * An event it does encode is one `validateEvent` accepts, and its bytes are the ones avsc writes for
 * that `EventRecord` (test/unit/eventWire.test.ts compares both paths on generated and mutated events).
 */
import { isEmailAddress, isIpAddress } from './addresses';
import { FIELD_LIMITS, MAX_EVENT_BYTES, MIN_EVENT_TIME_MS, lateQuarantineReason, type ValidationContext } from './event';
import { parseRfc3339 } from './time';
import { HEADER_BYTES, MAGIC_BYTE } from './wireFormat';
import { AD_EVENT_TYPES, DEVICE_TYPES, EVENT_TYPES, VIDEO_EVENT_TYPES } from '../schemas/eventRecord';

/** One event encoded by the fast path: where its key (user_id) and event_id lie in the body, and its framed value. */
export interface WireEvent {
  readonly index: number;
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly idStart: number;
  readonly idEnd: number;
  readonly value: Uint8Array;
  readonly quarantined: boolean;
}

/** An event left to the ordinary path: its position in `events` and its JSON text's byte range. */
export interface OddEvent {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

export type WireBatch =
  | { readonly ok: true; readonly count: number; readonly events: WireEvent[]; readonly odd: OddEvent[] }
  | { readonly ok: false };

/** Thrown inside the scanner when the body must take the ordinary path. */
class Decline extends Error {}
const DECLINE = new Decline('fast path declined');

// Field numbers in schema order (schemas/eventRecord.ts EVENT_FIELDS); the stamped ones follow.
const F_EVENT_ID = 0;
const F_EVENT_TYPE = 1;
const F_EVENT_TIME = 2;
const F_USER_ID = 3;
const F_SESSION_ID = 4;
const F_CAMPAIGN_ID = 5;
const F_AD_ID = 6;
const F_PLACEMENT = 7;
const F_TITLE_ID = 8;
const F_POSITION_MS = 9;
const F_PAGE_URL = 10;
const F_REFERRER = 11;
const F_DEVICE_TYPE = 12;
const F_COUNTRY = 13;
const F_USER_AGENT = 14;
const F_IP = 15;
const F_EMAIL = 16;
const F_PROPERTIES = 17;
const CLIENT_FIELDS = [
  'event_id', 'event_type', 'event_time', 'user_id', 'session_id', 'campaign_id', 'ad_id', 'placement', 'title_id',
  'position_ms', 'page_url', 'referrer', 'device_type', 'country', 'user_agent', 'ip', 'email', 'properties',
] as const;
const FIELD_COUNT = CLIENT_FIELDS.length;

// What each field's value must be in JSON for the fast path.
const KIND_STRING = 0;
const KIND_TIME = 1;
const KIND_INTEGER = 2;
const KIND_OBJECT = 3;
const FIELD_KIND: readonly number[] = CLIENT_FIELDS.map((_, f) =>
  f === F_EVENT_TIME ? KIND_TIME : f === F_POSITION_MS ? KIND_INTEGER : f === F_PROPERTIES ? KIND_OBJECT : KIND_STRING,
);

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

const FIELD_NAME_BYTES: readonly Uint8Array[] = CLIENT_FIELDS.map(ascii);
/** Field numbers by the length of their name, so a key is compared with few names. */
const FIELDS_BY_LENGTH: ReadonlyArray<readonly number[]> = Array.from({ length: 16 }, (_, n) => CLIENT_FIELDS.flatMap((name, f) => (name.length === n ? [f] : [])));
/** 1 for the bytes a JSON string holds as they are (printable ASCII but quote and backslash). */
const PLAIN_ASCII = Uint8Array.from({ length: 256 }, (_, c) => (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c ? 1 : 0));
const EVENT_TYPE_BYTES: readonly Uint8Array[] = EVENT_TYPES.map(ascii);
const DEVICE_TYPE_BYTES: readonly Uint8Array[] = DEVICE_TYPES.map(ascii);
const AD_TYPE_INDEXES: ReadonlySet<number> = new Set(AD_EVENT_TYPES.map((t) => EVENT_TYPES.indexOf(t)));
const VIDEO_TYPE_INDEXES: ReadonlySet<number> = new Set(VIDEO_EVENT_TYPES.map((t) => EVENT_TYPES.indexOf(t)));
const EVENTS_KEY = ascii('events');

/** Code points a field may have: [min, max] by field number (CONTRACT §1, core/event.ts). */
const CODE_POINTS: ReadonlyArray<readonly [number, number]> = CLIENT_FIELDS.map((name): readonly [number, number] => {
  switch (name) {
    case 'event_id':
      return [1, FIELD_LIMITS.eventId];
    case 'user_id':
      return [1, FIELD_LIMITS.userId];
    case 'session_id':
    case 'campaign_id':
    case 'ad_id':
    case 'placement':
    case 'title_id':
      return [1, FIELD_LIMITS.id];
    case 'page_url':
    case 'referrer':
      return [0, FIELD_LIMITS.url];
    case 'user_agent':
      return [0, FIELD_LIMITS.userAgent];
    default:
      return [0, Number.MAX_SAFE_INTEGER]; // checked by their own rule
  }
});

/** Unknown fields of one event the fast path writes into extra_json itself; more go the ordinary way. */
const MAX_PLAIN_UNKNOWN_FIELDS = 16;
/** Most bytes the Avro form of one event can take beyond its JSON text's length (header, unions, longs, reason). */
const AVRO_SLACK_BYTES = 1024;

function matches(bytes: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false;
  return true;
}

function indexIn(bytes: Uint8Array, start: number, end: number, names: readonly Uint8Array[]): number {
  for (let i = 0; i < names.length; i++) if (matches(bytes, start, end, names[i] as Uint8Array)) return i;
  return -1;
}

/** The field number of a key's bytes, or -1 for a name outside the schema. */
function fieldOf(bytes: Uint8Array, start: number, end: number): number {
  const candidates = FIELDS_BY_LENGTH[end - start];
  if (candidates === undefined) return -1;
  for (const f of candidates) if (matches(bytes, start, end, FIELD_NAME_BYTES[f] as Uint8Array)) return f;
  return -1;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** An ASCII byte range as a string, or undefined when it holds any other byte. */
function asciiText(bytes: Uint8Array, start: number, end: number): string | undefined {
  let text = '';
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (c >= 0x80) return undefined;
    text += String.fromCharCode(c);
  }
  return text;
}

class Scanner {
  pos = 0;
  // The last string scanned: its content's byte range, code points, and whether it had an escape.
  strStart = 0;
  strEnd = 0;
  strCodePoints = 0;
  strEscaped = false;
  // The last number scanned: its value when it is a plain non-negative integer of at most 15 digits, else -1.
  numValue = -1;

  // Per event: which fields were seen, and the byte range of each field's value.
  seen = 0;
  present = 0;
  readonly starts = new Int32Array(FIELD_COUNT);
  readonly ends = new Int32Array(FIELD_COUNT);
  readonly codePoints = new Int32Array(FIELD_COUNT);
  readonly numbers = new Float64Array(FIELD_COUNT);
  // Properties of the event: key and value ranges, in order.
  propCount = 0;
  readonly props = new Int32Array(4 * 64);
  // Unknown fields of the event (kept as extra_json): key and value ranges, the value's with its quotes.
  /** By field number + 1 (0: the start of an event), the field that followed it in the last event. */
  readonly next = new Int8Array(FIELD_COUNT + 1).fill(-1);
  unknownCount = 0;
  readonly unknowns = new Int32Array(4 * MAX_PLAIN_UNKNOWN_FIELDS);

  out: Uint8Array;
  at = 0;

  constructor(
    readonly b: Uint8Array,
    private readonly alloc: (bytes: number) => Uint8Array,
  ) {
    this.out = alloc(b.length + AVRO_SLACK_BYTES);
  }

  space(): void {
    const b = this.b;
    let p = this.pos;
    while (p < b.length && isJsonSpace(b[p] as number)) p++;
    this.pos = p;
  }

  expect(c: number): void {
    if (this.b[this.pos] !== c) throw DECLINE;
    this.pos++;
  }

  /** A string at pos (its opening quote); strict JSON and strict UTF-8, else the body is declined. */
  string(): void {
    const b = this.b;
    let p = this.pos + 1;
    const start = p;
    let codePoints = 0;
    let escaped = false;
    for (;;) {
      // Runs of plain ASCII (most of a body) in a tight loop; past the end b[p] is undefined, not plain.
      const run = p;
      while (PLAIN_ASCII[b[p] as number] === 1) p++;
      codePoints += p - run;
      if (p >= b.length) throw DECLINE;
      const c = b[p] as number;
      if (c === 0x22) break;
      if (c < 0x20) throw DECLINE;
      if (c < 0x80) {
        if (c === 0x5c) {
          escaped = true;
          const e = b[p + 1];
          if (e === 0x75) {
            if (!(isHex(b[p + 2] as number) && isHex(b[p + 3] as number) && isHex(b[p + 4] as number) && isHex(b[p + 5] as number))) throw DECLINE;
            p += 6;
          } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
            p += 2;
          } else {
            throw DECLINE;
          }
          codePoints++;
          continue;
        }
        p++;
      } else if (c >= 0xc2 && c <= 0xdf) {
        if (((b[p + 1] as number) & 0xc0) !== 0x80) throw DECLINE;
        p += 2;
      } else if (c >= 0xe0 && c <= 0xef) {
        const c1 = b[p + 1] as number;
        if ((c1 & 0xc0) !== 0x80 || ((b[p + 2] as number) & 0xc0) !== 0x80) throw DECLINE;
        if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 >= 0xa0)) throw DECLINE; // overlong, surrogate
        p += 3;
      } else if (c >= 0xf0 && c <= 0xf4) {
        const c1 = b[p + 1] as number;
        if ((c1 & 0xc0) !== 0x80 || ((b[p + 2] as number) & 0xc0) !== 0x80 || ((b[p + 3] as number) & 0xc0) !== 0x80) throw DECLINE;
        if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 >= 0x90)) throw DECLINE; // overlong, above U+10FFFF
        p += 4;
      } else {
        throw DECLINE;
      }
      codePoints++;
    }
    this.strStart = start;
    this.strEnd = p;
    this.strCodePoints = codePoints;
    this.strEscaped = escaped;
    this.pos = p + 1;
  }

  /** A number at pos, by JSON's grammar; numValue says whether it is a plain integer. */
  number(): void {
    const b = this.b;
    let p = this.pos;
    const negative = b[p] === 0x2d;
    if (negative) p++;
    const intStart = p;
    if (b[p] === 0x30) p++;
    else if ((b[p] as number) >= 0x31 && (b[p] as number) <= 0x39) while (isDigit(b[p] as number)) p++;
    else throw DECLINE;
    const intEnd = p;
    let plain = !negative;
    if (b[p] === 0x2e) {
      plain = false;
      p++;
      if (!isDigit(b[p] as number)) throw DECLINE;
      while (isDigit(b[p] as number)) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      plain = false;
      p++;
      if (b[p] === 0x2b || b[p] === 0x2d) p++;
      if (!isDigit(b[p] as number)) throw DECLINE;
      while (isDigit(b[p] as number)) p++;
    }
    this.numValue = -1;
    if (plain && intEnd - intStart <= 15) {
      let v = 0;
      for (let i = intStart; i < intEnd; i++) v = v * 10 + ((b[i] as number) - 0x30);
      this.numValue = v;
    }
    this.pos = p;
  }

  /** After a member or element: true past a comma (another follows), false past the closing bracket. */
  more(close: number): boolean {
    this.space();
    if (this.b[this.pos] === 0x2c) {
      this.pos++;
      return true;
    }
    this.expect(close);
    return false;
  }

  literal(word: Uint8Array): void {
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word[i]) throw DECLINE;
    this.pos += word.length;
  }

  /** Any JSON value, checked and skipped. */
  skipValue(depth = 0): void {
    if (depth > 256) throw DECLINE; // JSON.parse decides about deep nesting
    const c = this.b[this.pos];
    if (c === 0x22) this.string();
    else if (c === 0x7b) {
      this.pos++;
      this.space();
      if (this.b[this.pos] === 0x7d) {
        this.pos++;
        return;
      }
      for (;;) {
        this.space();
        if (this.b[this.pos] !== 0x22) throw DECLINE;
        this.string();
        this.space();
        this.expect(0x3a);
        this.space();
        this.skipValue(depth + 1);
        if (this.more(0x7d)) continue;
        return;
      }
    } else if (c === 0x5b) {
      this.pos++;
      this.space();
      if (this.b[this.pos] === 0x5d) {
        this.pos++;
        return;
      }
      for (;;) {
        this.space();
        this.skipValue(depth + 1);
        if (this.more(0x5d)) continue;
        return;
      }
    } else if (c === 0x74) this.literal(TRUE);
    else if (c === 0x66) this.literal(FALSE);
    else if (c === 0x6e) this.literal(NULL);
    else if (c === 0x2d || isDigit(c as number)) this.number();
    else throw DECLINE;
  }

  /**
   * The properties object at pos: true when it is plain (string values without escapes, keys that are
   * no array index, no key twice, within the limits), its pairs then in `props`; false (and skipped) otherwise.
   */
  properties(): boolean {
    const b = this.b;
    this.pos++;
    this.space();
    let count = 0;
    let plain = true;
    if (b[this.pos] === 0x7d) {
      this.pos++;
      this.propCount = 0;
      return true;
    }
    for (;;) {
      this.space();
      if (b[this.pos] !== 0x22) throw DECLINE;
      this.string();
      const ks = this.strStart;
      const ke = this.strEnd;
      if (this.strEscaped || this.strCodePoints < 1 || this.strCodePoints > FIELD_LIMITS.propertyKey || isDigit(b[ks] as number)) plain = false;
      this.space();
      this.expect(0x3a);
      this.space();
      if (b[this.pos] === 0x22) {
        this.string();
        if (this.strEscaped || this.strCodePoints > FIELD_LIMITS.propertyValue) plain = false;
      } else {
        plain = false;
        this.skipValue(1);
      }
      if (plain) {
        if (count >= FIELD_LIMITS.propertiesKeys) plain = false;
        else {
          for (let i = 0; i < count; i++) {
            const o = 4 * i;
            if (this.sameBytes(this.props[o] as number, this.props[o + 1] as number, ks, ke)) plain = false;
          }
          const o = 4 * count;
          this.props[o] = ks;
          this.props[o + 1] = ke;
          this.props[o + 2] = this.strStart;
          this.props[o + 3] = this.strEnd;
          count++;
        }
      }
      if (this.more(0x7d)) continue;
      break;
    }
    this.propCount = count;
    return plain;
  }

  sameBytes(s1: number, e1: number, s2: number, e2: number): boolean {
    if (e1 - s1 !== e2 - s2) return false;
    for (let i = 0; i < e1 - s1; i++) if (this.b[s1 + i] !== this.b[s2 + i]) return false;
    return true;
  }

  /**
   * The value of an unknown field at pos, skipped; true when extra_json can be written from the bytes:
   * an ASCII name that is no array index, seen once, whose value is a plain string, a plain integer,
   * or an object of those (two levels deep at most) with such names, so that canonicalJson's text is
   * the sent text without spacing and with names sorted.
   */
  unknownField(keyStart: number, keyEnd: number): boolean {
    const valueStart = this.pos;
    const plain = this.plainValue(0);
    const valueEnd = this.pos;
    if (!plain || this.unknownCount >= MAX_PLAIN_UNKNOWN_FIELDS || !isPlainName(this.b, keyStart, keyEnd)) return false;
    for (let i = 0; i < this.unknownCount; i++) {
      if (this.sameBytes(this.unknowns[4 * i] as number, this.unknowns[4 * i + 1] as number, keyStart, keyEnd)) return false;
    }
    const o = 4 * this.unknownCount++;
    this.unknowns[o] = keyStart;
    this.unknowns[o + 1] = keyEnd;
    this.unknowns[o + 2] = valueStart;
    this.unknowns[o + 3] = valueEnd;
    return true;
  }

  /** Any value at pos, skipped; true when it is a plain string or integer, or (depth < 2) a plain object of those. */
  plainValue(depth: number): boolean {
    const c = this.b[this.pos];
    if (c === 0x22) {
      this.string();
      return !this.strEscaped;
    }
    if (c === 0x2d || isDigit(c as number)) {
      this.number();
      return this.numValue >= 0;
    }
    if (c !== 0x7b || depth >= 2) {
      this.skipValue();
      return false;
    }
    const b = this.b;
    const names: number[] = [];
    let plain = true;
    this.pos++;
    this.space();
    if (b[this.pos] === 0x7d) {
      this.pos++;
      return true;
    }
    for (;;) {
      this.space();
      if (b[this.pos] !== 0x22) throw DECLINE;
      this.string();
      const ks = this.strStart;
      const ke = this.strEnd;
      if (this.strEscaped || !isPlainName(b, ks, ke) || names.length >= 2 * MAX_PLAIN_UNKNOWN_FIELDS) plain = false;
      for (let i = 0; plain && i < names.length; i += 2) if (this.sameBytes(names[i] as number, names[i + 1] as number, ks, ke)) plain = false;
      names.push(ks, ke);
      this.space();
      this.expect(0x3a);
      this.space();
      if (!this.plainValue(depth + 1)) plain = false;
      if (this.more(0x7d)) continue;
      return plain;
    }
  }

  /** The members of the plain object at `start` (checked by plainValue): name and value ranges, sorted by name. */
  members(start: number): number[] {
    const saved = this.pos;
    const b = this.b;
    const found: number[][] = [];
    this.pos = start + 1;
    this.space();
    while (b[this.pos] !== 0x7d) {
      this.space();
      this.string();
      const ks = this.strStart;
      const ke = this.strEnd;
      this.space();
      this.pos++; // the colon
      this.space();
      const vs = this.pos;
      this.skipValue();
      found.push([ks, ke, vs, this.pos]);
      this.space();
      if (b[this.pos] === 0x2c) this.pos++;
    }
    this.pos = saved;
    found.sort((x, y) => this.compareBytes(x[0] as number, x[1] as number, y[0] as number, y[1] as number));
    return found.flat();
  }

  /** Byte order of two ranges (for ASCII names, the code-unit order canonicalJson sorts by). */
  compareBytes(s1: number, e1: number, s2: number, e2: number): number {
    const b = this.b;
    for (let k = 0; s1 + k < e1 && s2 + k < e2; k++) {
      const d = (b[s1 + k] as number) - (b[s2 + k] as number);
      if (d !== 0) return d;
    }
    return e1 - s1 - (e2 - s2);
  }

  /** Writes a name-sorted, unspaced object from member ranges (name, value) into the scratch text. */
  canonicalObject(members: readonly number[]): void {
    this.putText(0x7b);
    for (let i = 0; i < members.length; i += 4) {
      if (i > 0) this.putText(0x2c);
      this.putText(0x22);
      this.putTextRange(members[i] as number, members[i + 1] as number);
      this.putText(0x22);
      this.putText(0x3a);
      const vs = members[i + 2] as number;
      const ve = members[i + 3] as number;
      if (this.b[vs] === 0x7b) this.canonicalObject(this.members(vs));
      else this.putTextRange(vs, ve);
    }
    this.putText(0x7d);
  }

  scratch = new Uint8Array(0);
  textAt = 0;

  putText(c: number): void {
    this.scratch[this.textAt++] = c;
  }

  putTextRange(start: number, end: number): void {
    for (let i = start; i < end; i++) this.scratch[this.textAt++] = this.b[i] as number;
  }

  /** extra_json as core/event.ts writes it: canonicalJson of the unknown fields (names sorted at every depth, compact). */
  extraJson(eventBytes: number): void {
    if (this.scratch.length < eventBytes) this.scratch = new Uint8Array(Math.max(eventBytes, 4096));
    this.textAt = 0;
    const fields: number[] = [];
    for (let i = 0; i < 4 * this.unknownCount; i++) fields.push(this.unknowns[i] as number);
    const order = Array.from({ length: this.unknownCount }, (_, i) => i).sort((x, y) =>
      this.compareBytes(fields[4 * x] as number, fields[4 * x + 1] as number, fields[4 * y] as number, fields[4 * y + 1] as number),
    );
    this.canonicalObject(order.flatMap((i) => fields.slice(4 * i, 4 * i + 4)));
    const o = this.out;
    o[this.at++] = 2;
    this.long(this.textAt);
    o.set(this.scratch.subarray(0, this.textAt), this.at);
    this.at += this.textAt;
  }

  /** One element of `events` at pos: its fields recorded; returns false when the ordinary path must judge it. */
  event(): boolean {
    const b = this.b;
    if (b[this.pos] !== 0x7b) {
      this.skipValue();
      return false;
    }
    this.pos++;
    this.seen = 0;
    this.unknownCount = 0;
    let previous = -1;
    this.present = 0;
    let plain = true;
    this.space();
    if (b[this.pos] === 0x7d) {
      this.pos++;
      return false; // no required field: the ordinary path words the errors
    }
    for (;;) {
      this.space();
      if (b[this.pos] !== 0x22) throw DECLINE;
      this.string();
      const keyStart = this.strStart;
      const keyEnd = this.strEnd;
      const keyEscaped = this.strEscaped;
      // Clients send their fields in one order: the field that followed this one last time is tried first.
      const predicted = this.next[previous + 1] as number;
      const field = keyEscaped
        ? -1
        : predicted >= 0 && matches(b, keyStart, keyEnd, FIELD_NAME_BYTES[predicted] as Uint8Array)
          ? predicted
          : fieldOf(b, keyStart, keyEnd);
      if (field >= 0) {
        this.next[previous + 1] = field;
        previous = field;
      }
      this.space();
      this.expect(0x3a);
      this.space();
      if (field < 0) {
        if (keyEscaped || !this.unknownField(keyStart, keyEnd)) plain = false;
      } else if ((this.seen & (1 << field)) !== 0) {
        plain = false; // repeated: the last one wins
        this.skipValue();
      } else {
        this.seen |= 1 << field;
        const c = b[this.pos];
        const kind = FIELD_KIND[field];
        if (c === 0x6e) {
          this.literal(NULL); // null reads as absent
        } else if (c === 0x22 && (kind === KIND_STRING || kind === KIND_TIME)) {
          this.string();
          if (this.strEscaped) plain = false;
          this.starts[field] = this.strStart;
          this.ends[field] = this.strEnd;
          this.codePoints[field] = this.strCodePoints;
          this.numbers[field] = -1;
          this.present |= 1 << field;
        } else if ((c === 0x2d || isDigit(c as number)) && (kind === KIND_INTEGER || kind === KIND_TIME)) {
          this.number();
          if (this.numValue < 0) plain = false;
          this.numbers[field] = this.numValue;
          this.present |= 1 << field;
        } else if (c === 0x7b && kind === KIND_OBJECT) {
          if (!this.properties()) plain = false;
          this.present |= 1 << field;
        } else {
          plain = false;
          this.skipValue();
        }
      }
      if (this.more(0x7d)) continue;
      return plain;
    }
  }

  has(field: number): boolean {
    return (this.present & (1 << field)) !== 0;
  }

  /** Whether a present string field is within its code point limits. */
  fits(field: number): boolean {
    const n = this.codePoints[field] as number;
    const [min, max] = CODE_POINTS[field] as readonly [number, number];
    return n >= min && n <= max;
  }

  text(field: number): string | undefined {
    return asciiText(this.b, this.starts[field] as number, this.ends[field] as number);
  }

  /** The event's time in epoch ms if valid, else undefined (the ordinary path words the error). */
  eventTime(): number | undefined {
    if (!this.has(F_EVENT_TIME)) return undefined;
    const n = this.numbers[F_EVENT_TIME] as number;
    let ms: number | undefined;
    if (n >= 0) ms = n;
    else {
      ms = plainUtcTime(this.b, this.starts[F_EVENT_TIME] as number, this.ends[F_EVENT_TIME] as number);
      if (ms === undefined) {
        const text = this.text(F_EVENT_TIME);
        ms = text === undefined ? undefined : parseRfc3339(text);
      }
    }
    return ms === undefined || ms < MIN_EVENT_TIME_MS ? undefined : ms;
  }

  /**
   * Writes the framed Avro value of the event just scanned, if every rule of core/event.ts holds;
   * returns false (nothing written) otherwise.
   */
  encode(index: number, eventStart: number, ctx: ValidationContext, schemaId: number, events: WireEvent[]): boolean {
    if (!this.has(F_EVENT_ID) || !this.fits(F_EVENT_ID) || !this.has(F_USER_ID) || !this.fits(F_USER_ID)) return false;
    if (!this.has(F_EVENT_TYPE)) return false;
    const b = this.b;
    const eventType = indexIn(b, this.starts[F_EVENT_TYPE] as number, this.ends[F_EVENT_TYPE] as number, EVENT_TYPE_BYTES);
    if (eventType < 0) return false;
    const eventTime = this.eventTime();
    if (eventTime === undefined) return false;
    const ahead = eventTime - ctx.receivedAtMs;
    if (ahead > ctx.maxFutureMs) return false;
    const quarantineReason = lateQuarantineReason(-ahead, ctx);
    if (quarantineReason !== null && !/^[\x20-\x7e]*$/.test(quarantineReason)) return false;
    if (AD_TYPE_INDEXES.has(eventType) && !(this.has(F_CAMPAIGN_ID) && this.has(F_AD_ID))) return false;
    if (VIDEO_TYPE_INDEXES.has(eventType) && !this.has(F_TITLE_ID)) return false;
    for (const f of STRING_FIELDS) if (this.has(f) && !this.fits(f)) return false;
    let deviceType = -1;
    if (this.has(F_DEVICE_TYPE)) {
      deviceType = indexIn(b, this.starts[F_DEVICE_TYPE] as number, this.ends[F_DEVICE_TYPE] as number, DEVICE_TYPE_BYTES);
      if (deviceType < 0) return false;
    }
    if (this.has(F_COUNTRY)) {
      const s = this.starts[F_COUNTRY] as number;
      if ((this.ends[F_COUNTRY] as number) - s !== 2 || !isAsciiLetter(b[s] as number) || !isAsciiLetter(b[s + 1] as number)) return false;
    }
    if (this.has(F_IP) && !isPlainIPv4(b, this.starts[F_IP] as number, this.ends[F_IP] as number) && !isPlainIPv6(b, this.starts[F_IP] as number, this.ends[F_IP] as number)) {
      const ip = this.text(F_IP);
      if (ip === undefined || !isIpAddress(ip)) return false;
    }
    if (this.has(F_EMAIL)) {
      const email = this.text(F_EMAIL);
      if (email === undefined || !isEmailAddress(email)) return false;
    }

    // With unknown fields, core/event.ts limits the event's JSON.stringify size: at most the bytes sent
    // here (same tokens, no escapes, less any spacing), so within the limit when those are.
    if (this.unknownCount > 0 && this.pos - eventStart > MAX_EVENT_BYTES) return false;
    const need = 2 * (this.pos - eventStart) + AVRO_SLACK_BYTES + (quarantineReason?.length ?? 0) * 3;
    if (this.at + need > this.out.length) {
      this.out = this.alloc(Math.max(need, this.b.length));
      this.at = 0;
    }
    const start = this.at;
    const o = this.out;
    o[this.at++] = MAGIC_BYTE;
    o[this.at++] = (schemaId >>> 24) & 0xff;
    o[this.at++] = (schemaId >>> 16) & 0xff;
    o[this.at++] = (schemaId >>> 8) & 0xff;
    o[this.at++] = schemaId & 0xff;
    this.at = start + HEADER_BYTES;
    this.field(F_EVENT_ID);
    this.long(eventType);
    this.long(eventTime);
    this.field(F_USER_ID);
    for (let f = F_SESSION_ID; f <= F_TITLE_ID; f++) this.optionalString(f);
    if (this.has(F_POSITION_MS)) {
      o[this.at++] = 2;
      this.long(this.numbers[F_POSITION_MS] as number);
    } else o[this.at++] = 0;
    this.optionalString(F_PAGE_URL);
    this.optionalString(F_REFERRER);
    if (deviceType >= 0) {
      o[this.at++] = 2;
      this.long(deviceType);
    } else o[this.at++] = 0;
    if (this.has(F_COUNTRY)) {
      const s = this.starts[F_COUNTRY] as number;
      o[this.at++] = 2;
      o[this.at++] = 4; // two bytes
      o[this.at++] = upperAscii(b[s] as number);
      o[this.at++] = upperAscii(b[s + 1] as number);
    } else o[this.at++] = 0;
    this.optionalString(F_USER_AGENT);
    this.optionalString(F_IP);
    this.optionalString(F_EMAIL);
    if (this.has(F_PROPERTIES)) {
      o[this.at++] = 2;
      if (this.propCount > 0) {
        this.long(this.propCount);
        for (let i = 0; i < this.propCount; i++) {
          const p = 4 * i;
          this.bytes(this.props[p] as number, this.props[p + 1] as number);
          this.bytes(this.props[p + 2] as number, this.props[p + 3] as number);
        }
      }
      o[this.at++] = 0;
    } else o[this.at++] = 0;
    this.long(ctx.receivedAtMs);
    if (quarantineReason === null) o[this.at++] = 0;
    else {
      o[this.at++] = 2;
      this.asciiString(quarantineReason);
    }
    if (this.unknownCount > 0) this.extraJson(this.pos - eventStart);
    else o[this.at++] = 0;
    events.push({
      index,
      keyStart: this.starts[F_USER_ID] as number,
      keyEnd: this.ends[F_USER_ID] as number,
      idStart: this.starts[F_EVENT_ID] as number,
      idEnd: this.ends[F_EVENT_ID] as number,
      value: o.subarray(start, this.at),
      quarantined: quarantineReason !== null,
    });
    return true;
  }

  /** Avro long (zigzag varint), written exactly as avsc's Tap.writeLong writes it. */
  long(n: number): void {
    const o = this.out;
    if (n >= -1073741824 && n < 1073741824) {
      let m = n >= 0 ? n << 1 : (~n << 1) | 1;
      for (;;) {
        if (m & ~0x7f) {
          o[this.at++] = (m & 0x7f) | 0x80;
          m >>= 7;
        } else {
          o[this.at++] = m;
          return;
        }
      }
    }
    let f = n >= 0 ? n * 2 : -n * 2 - 1;
    for (;;) {
      const low = f & 0x7f;
      f /= 128;
      if (f >= 1) o[this.at++] = low | 0x80;
      else {
        o[this.at++] = low;
        return;
      }
    }
  }

  /** Avro string from a byte range of the body (valid UTF-8, no escapes: the bytes avsc would write). */
  bytes(start: number, end: number): void {
    this.long(end - start);
    this.copy(start, end);
  }

  /** Body bytes copied to the output as they are. */
  copy(start: number, end: number): void {
    const o = this.out;
    if (end - start > 128) {
      o.set(this.b.subarray(start, end), this.at);
      this.at += end - start;
    } else {
      for (let i = start; i < end; i++) o[this.at++] = this.b[i] as number;
    }
  }

  field(f: number): void {
    this.bytes(this.starts[f] as number, this.ends[f] as number);
  }

  optionalString(f: number): void {
    if (this.has(f)) {
      this.out[this.at++] = 2;
      this.field(f);
    } else this.out[this.at++] = 0;
  }

  asciiString(text: string): void {
    this.long(text.length);
    for (let i = 0; i < text.length; i++) this.out[this.at++] = text.charCodeAt(i);
  }
}

const TRUE = ascii('true');
const FALSE = ascii('false');
const NULL = ascii('null');
/** String fields with code point limits, checked when present. */
const STRING_FIELDS: readonly number[] = [F_SESSION_ID, F_CAMPAIGN_ID, F_AD_ID, F_PLACEMENT, F_TITLE_ID, F_PAGE_URL, F_REFERRER, F_USER_AGENT];

/** A name canonicalJson writes and sorts as sent: ASCII, and no array index (those JavaScript orders first). */
function isPlainName(b: Uint8Array, start: number, end: number): boolean {
  if (end > start && isDigit(b[start] as number)) return false;
  for (let i = start; i < end; i++) if ((b[i] as number) >= 0x80) return false;
  return true;
}

/** The ASCII digits at [start, end) as a number, or -1 when another byte is there. */
function digits(b: Uint8Array, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = b[i] as number;
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The common forms `YYYY-MM-DDTHH:MM:SS[.fraction]` with `Z` or `±HH:MM`, read from bytes, in epoch
 * ms; undefined for anything else and for any part out of range, which core/time parseRfc3339 then
 * decides (it refuses those).
 */
function plainUtcTime(b: Uint8Array, s: number, e: number): number | undefined {
  if (e - s < 20 || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || (b[s + 10] !== 0x54 && b[s + 10] !== 0x74) || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a) return undefined;
  const last = b[e - 1];
  let zone = e - 1; // where the zone starts
  let offsetMs = 0;
  if (last !== 0x5a && last !== 0x7a) {
    zone = e - 6;
    const sign = b[zone];
    if ((sign !== 0x2b && sign !== 0x2d) || b[e - 3] !== 0x3a || zone < s + 19) return undefined;
    const oh = digits(b, e - 5, e - 3);
    const om = digits(b, e - 2, e);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return undefined;
    offsetMs = (oh * 3_600_000 + om * 60_000) * (sign === 0x2d ? -1 : 1);
  }
  let ms = 0;
  if (zone > s + 19) {
    // A fraction of one or more digits, truncated to milliseconds.
    if (b[s + 19] !== 0x2e || zone < s + 21) return undefined;
    for (let i = s + 20; i < zone; i++) if (!isDigit(b[i] as number)) return undefined;
    const n = Math.min(3, zone - (s + 20));
    ms = digits(b, s + 20, s + 20 + n) * (n === 1 ? 100 : n === 2 ? 10 : 1);
  }
  const year = digits(b, s, s + 4);
  const month = digits(b, s + 5, s + 7);
  const day = digits(b, s + 8, s + 10);
  const hour = digits(b, s + 11, s + 13);
  const minute = digits(b, s + 14, s + 16);
  const second = digits(b, s + 17, s + 19);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > monthDays) return undefined;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms - offsetMs;
}

/** A dotted quad of core/addresses isIPv4 (parts 0-255, no leading zero) read from bytes; false means "ask isIpAddress". */
function isPlainIPv4(b: Uint8Array, s: number, e: number): boolean {
  let parts = 0;
  let i = s;
  while (i < e) {
    const start = i;
    let v = 0;
    while (i < e && isDigit(b[i] as number)) v = v * 10 + ((b[i++] as number) - 0x30);
    const n = i - start;
    if (n === 0 || n > 3 || (n > 1 && b[start] === 0x30) || v > 255) return false;
    parts++;
    if (i === e) break;
    if (b[i] !== 0x2e || parts === 4) return false;
    i++;
    if (i === e) return false;
  }
  return parts === 4;
}

/**
 * Hex groups in core/addresses isIPv6's form (eight, or at most seven around one `::`) read from
 * bytes; false, as for an IPv4 tail, means "ask isIpAddress".
 */
function isPlainIPv6(b: Uint8Array, s: number, e: number): boolean {
  if (e - s > 45 || e - s < 2) return false;
  let i = s;
  let groups = 0;
  let abbreviated = false;
  if (b[i] === 0x3a) {
    if (b[i + 1] !== 0x3a) return false;
    abbreviated = true;
    i += 2;
    if (i === e) return true;
  }
  for (;;) {
    const start = i;
    while (i < e && i - start < 5 && isHex(b[i] as number)) i++;
    if (i === start || i - start > 4) return false;
    groups++;
    if (i === e) break;
    if (b[i] !== 0x3a) return false;
    i++;
    if (b[i] === 0x3a) {
      if (abbreviated) return false;
      abbreviated = true;
      i++;
      if (i === e) break;
    } else if (i === e) return false;
  }
  return abbreviated ? groups <= 7 : groups === 8;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function upperAscii(c: number): number {
  return c >= 0x61 ? c - 0x20 : c;
}

/**
 * Scans a request body and encodes its plain events (see the module comment). `alloc` gives the
 * buffers the values are written into (the collector passes Buffer.allocUnsafe, so values are
 * Buffers); values of one call share them and stay valid after it.
 */
export function encodeEventBatch(
  body: Uint8Array,
  ctx: ValidationContext,
  schemaId: number,
  maxEvents: number,
  alloc: (bytes: number) => Uint8Array,
): WireBatch {
  const s = new Scanner(body, alloc);
  const events: WireEvent[] = [];
  const odd: OddEvent[] = [];
  let count = 0;
  try {
    s.space();
    s.expect(0x7b);
    s.space();
    if (body[s.pos] !== 0x22) return { ok: false };
    s.string();
    if (s.strEscaped || !matches(body, s.strStart, s.strEnd, EVENTS_KEY)) return { ok: false };
    s.space();
    s.expect(0x3a);
    s.space();
    s.expect(0x5b);
    s.space();
    if (body[s.pos] === 0x5d) return { ok: false }; // empty: the ordinary path answers
    for (;;) {
      s.space();
      const start = s.pos;
      if (count >= maxEvents) return { ok: false };
      const plain = s.event();
      if (!(plain && s.encode(count, start, ctx, schemaId, events))) odd.push({ index: count, start, end: s.pos });
      count++;
      if (s.more(0x5d)) continue;
      break;
    }
    s.space();
    s.expect(0x7d); // any other top-level key: the ordinary path
    s.space();
    if (s.pos !== body.length) return { ok: false };
  } catch (err) {
    if (err instanceof Decline || err instanceof RangeError) return { ok: false };
    throw err;
  }
  return { ok: true, count, events, odd };
}
