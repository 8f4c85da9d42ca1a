import * as errors from '../../core/errors';
import {
  BadInputError,
  type ClicklakeError,
  ERROR_TYPES,
  HttpError,
  InvariantViolationError,
  LedgerImbalanceError,
  QueryError,
  QueryUserError,
  ServiceUnavailableError,
  isRetriable,
  nonRetryableErrorTypes,
} from '../../core/errors';

describe('the errors module', () => {
  it('lists every error class it exports in ERROR_TYPES', () => {
    const exported = Object.values(errors).filter((value) => typeof value === 'function' && value.prototype instanceof Error);
    expect(new Set(exported)).toEqual(new Set(ERROR_TYPES));
  });

  it('derives the non-retryable type names from the classes whose every instance is final', () => {
    expect(nonRetryableErrorTypes().sort()).toEqual(
      ['BadInputError', 'ConfigError', 'InstallError', 'InvariantViolationError', 'LedgerImbalanceError', 'QualityGateError', 'QueryUserError', 'SchemaMismatchError', 'StackError'].sort(),
    );
  });

  it('agrees with each instance: no listed type is ever retriable', () => {
    const samples: ClicklakeError[] = [new BadInputError('x'), new InvariantViolationError('x'), new LedgerImbalanceError({ rows_in: 1 }, 'x'), new QueryUserError('x')];
    for (const e of samples) expect({ name: e.name, listed: nonRetryableErrorTypes().includes(e.name), retriable: e.retriable }).toEqual({ name: e.name, listed: true, retriable: false });
  });

  it.each<[unknown, boolean]>([
    [new ServiceUnavailableError('kafka', 'down'), true],
    [new QueryError('presto: node gone', 'INTERNAL_ERROR'), true],
    [new QueryError('presto: bad sql', 'USER_ERROR'), false],
    [new QueryUserError('presto: bad sql'), false],
    [new HttpError(503, { error: 'unavailable', detail: 'kafka' }), true],
    [new HttpError(429, { error: 'rate_limited', detail: 'slow down' }), true],
    [new HttpError(400, { error: 'bad_request', detail: 'body' }), false],
    [new BadInputError('hour: bad'), false],
    [new Error('socket hang up'), true],
  ])('isRetriable(%p) is %p', (err, expected) => {
    expect(isRetriable(err)).toBe(expected);
  });

  it('names each error after its class', () => {
    expect([new LedgerImbalanceError({ rows_in: 2, rows_out: 1 }, 'rows_in 2 != 1')].map((e) => [e.name, e.message, e instanceof InvariantViolationError])).toEqual([
      ['LedgerImbalanceError', 'ledger: rows_in 2 != 1 (rows_in=2, rows_out=1)', true],
    ]);
  });
});
