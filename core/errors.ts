/**
 * The one errors module: every error type of clicklake, each saying whether a retry can help, so
 * callers (activities, the collector, the CLI) decide between retrying and failing fast without
 * string matching. Temporal obeys it too: `nonRetryableErrorTypes()` lists every class here whose
 * `retriable` is false, and workflows/activityOptions.ts puts that list in every retry policy.
 */
export class ClicklakeError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable;
  }
}

/** A configuration value is missing or malformed: fix the environment, retrying will not help. */
export class ConfigError extends ClicklakeError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** Input that can never succeed as given (bad event, bad argument). Non-retryable. */
export class BadInputError extends ClicklakeError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** A service of the stack did not answer or answered wrongly; a later try may succeed. */
export class ServiceUnavailableError extends ClicklakeError {
  readonly service: string;

  constructor(service: string, message: string, cause?: unknown) {
    super(`${service}: ${message}`, { retriable: true, cause });
    this.service = service;
  }
}

/** A local installation step failed (download, build, missing tool). Retrying rarely helps. */
export class InstallError extends ClicklakeError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}

/** The local stack could not be brought to the state asked for (a service would not start or stop). */
export class StackError extends ClicklakeError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** A SQL statement failed. User errors (bad SQL, missing table) are not retriable; engine faults are. */
export class QueryError extends ClicklakeError {
  readonly errorType: string | undefined;

  constructor(message: string, errorType: string | undefined, cause?: unknown) {
    super(message, { retriable: errorType !== 'USER_ERROR', cause });
    this.errorType = errorType;
  }
}

/**
 * A SQL statement a user wrote was refused by the engine (syntax, a missing table, a denied read).
 * The same statement fails the same way however often it runs.
 */
export class QueryUserError extends QueryError {
  constructor(message: string, cause?: unknown) {
    super(message, 'USER_ERROR', cause);
  }
}

/** The registry refused a schema: it breaks the subject's compatibility rule. Retrying will not help. */
export class SchemaMismatchError extends ClicklakeError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/**
 * A promotion's own check failed: what it wrote does not hold what its ledger says (a file with
 * fewer rows, Gold not counting every ad event of Silver, Bronze records missing against their
 * manifests). A bug or corrupt input, never fixed by running the same code again: the run and its
 * hour end FAILED with this message, and nothing is published.
 */
export class InvariantViolationError extends ClicklakeError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** The figures of a run do not add up (rows_in ≠ rows_out + duplicates + rejected + late): an invariant. */
export class LedgerImbalanceError extends InvariantViolationError {
  /** The figures as the run counted them (core/ledger.ts Ledger). */
  readonly ledger: Readonly<Record<string, number>>;

  constructor(ledger: Readonly<Record<string, number>>, reason: string) {
    super(`ledger: ${reason} (${Object.entries(ledger).map(([field, n]) => `${field}=${n}`).join(', ')})`);
    this.ledger = ledger;
  }
}

/**
 * A promotion's quality gate blocked it (core/quality.ts): more of the hour is broken than the
 * blocking threshold allows, so publishing would spread poisoned numbers. Final for this run; a run
 * asked to accept the quality (`promote --accept-quality`) or a changed threshold can publish it.
 */
export class QualityGateError extends ClicklakeError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** An HTTP answer other than 2xx, with the status, the CONTRACT §2 error body and extra headers. */
export class HttpError extends ClicklakeError {
  readonly status: number;
  readonly body: { readonly error: string; readonly detail: string };
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, body: { readonly error: string; readonly detail: string }, headers: Record<string, string> = {}) {
    // 429 and 503 say "later"; every other answer is the same on a retry.
    super(body.detail, { retriable: status === 429 || status === 503 });
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/**
 * Every error class of this module, so the retry decision has one source. A class added above and
 * not listed here fails the unit test that checks the list against the module's exports.
 */
export const ERROR_TYPES = [
  ClicklakeError,
  ConfigError,
  BadInputError,
  ServiceUnavailableError,
  InstallError,
  StackError,
  QueryError,
  QueryUserError,
  SchemaMismatchError,
  InvariantViolationError,
  LedgerImbalanceError,
  QualityGateError,
  HttpError,
] as const;

/**
 * The classes a retry can help, or whose instances decide it themselves (a QueryError by the engine's
 * error type, an HttpError by its status). Every other class is non-retriable in every instance.
 */
const RETRIABLE_OR_PER_INSTANCE: ReadonlySet<(typeof ERROR_TYPES)[number]> = new Set([ClicklakeError, ServiceUnavailableError, QueryError, HttpError]);

/**
 * The error type names Temporal must never retry (an activity failing with one of them fails at
 * once): the classes whose every instance is non-retriable. Activities convert other instances
 * whose `retriable` is false (a 4xx HttpError) through the worker's interceptor (workers/activityFailures.ts).
 */
export function nonRetryableErrorTypes(): string[] {
  return ERROR_TYPES.filter((type) => !RETRIABLE_OR_PER_INSTANCE.has(type)).map((type) => type.name);
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True when a retry can help: clicklake's own errors say so; anything else (a socket reset) is taken as retriable. */
export function isRetriable(err: unknown): boolean {
  return err instanceof ClicklakeError ? err.retriable : true;
}
