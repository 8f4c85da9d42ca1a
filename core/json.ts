/**
 * Parse, don't cast: small readers that turn unknown JSON (manifests, Bronze lines, stored state) into
 * typed values, collecting `path.field: reason` for every fault. Messages give numbers and JSON types,
 * never strings read from the data, so no personal data reaches an error through them.
 */
import { BadInputError } from './errors';
import { jsonTypeOf } from './event';

export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number as itself, anything else by its JSON type. */
export function describeJson(value: unknown): string {
  return typeof value === 'number' ? String(value) : jsonTypeOf(value);
}

/** Whole number in [0, max]. */
export function isIndex(value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max;
}

/** Reads fields of one JSON object; a bad field is recorded and reads as a placeholder. */
export class JsonFields {
  readonly errors: string[] = [];

  constructor(
    private readonly input: JsonObject,
    readonly path: string,
  ) {}

  /** A reader of `json` at `path`; BadInputError when it is not an object. */
  static of(json: unknown, path: string): JsonFields {
    if (!isJsonObject(json)) throw new BadInputError(`${path}: must be a JSON object, got ${jsonTypeOf(json)}`);
    return new JsonFields(json, path);
  }

  fail(field: string, reason: string): void {
    this.errors.push(`${this.path}.${field}: ${reason}`);
  }

  value(field: string): unknown {
    return Object.hasOwn(this.input, field) ? this.input[field] : undefined;
  }

  int(field: string, min: number, max: number): number {
    const value = this.value(field);
    if (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max) return value as number;
    this.fail(field, value === undefined ? 'required' : `must be a whole number from ${min} to ${max}, got ${describeJson(value)}`);
    return min;
  }

  string(field: string, rule: string, test: (text: string) => boolean): string {
    const value = this.value(field);
    if (typeof value === 'string' && test(value)) return value;
    this.fail(field, value === undefined ? 'required' : `must be ${rule}, got ${describeJson(value)}`);
    return '';
  }

  object(field: string): JsonObject | undefined {
    const value = this.value(field);
    if (isJsonObject(value)) return value;
    this.fail(field, value === undefined ? 'required' : `must be an object, got ${jsonTypeOf(value)}`);
    return undefined;
  }

  /** Throws one BadInputError with the faults of these readers, if any. */
  static throwIfErrors(...readers: JsonFields[]): void {
    const errors = readers.flatMap((reader) => reader.errors);
    if (errors.length > 0) throw new BadInputError(errors.join('; '));
  }
}
