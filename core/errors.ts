/**
 * The one errors module. Every error says whether a retry can help, so callers (activities,
 * the collector, the CLI) decide between retrying and failing fast without string matching.
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

/** A SQL statement failed. User errors (bad SQL, missing table) are not retriable; engine faults are. */
export class QueryError extends ClicklakeError {
  readonly errorType: string | undefined;

  constructor(message: string, errorType: string | undefined, cause?: unknown) {
    super(message, { retriable: errorType !== 'USER_ERROR', cause });
    this.errorType = errorType;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
