import { redisErrorReporter } from '../../workers/redisErrors';
import { createCollectorMetrics } from '../../workers/metrics';

describe('the collector reports Redis errors', () => {
  it('counts every error by operation and logs a repeated message once a minute with the count left out', async () => {
    const metrics = createCollectorMetrics();
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    let now = 0;
    const report = redisErrorReporter(metrics, 'client', () => now, (message, fields) => lines.push([message, fields]));
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6380');
    report(refused);
    now = 1000;
    report(refused);
    now = 2000;
    report(refused);
    now = 61_000;
    report(refused);
    now = 62_000;
    report(new Error('Connection is closed.'));
    expect(lines).toEqual([
      ['collector: redis error', { operation: 'client', error: refused.message, errorName: 'Error', notLoggedSinceLast: 0 }],
      ['collector: redis error', { operation: 'client', error: refused.message, errorName: 'Error', notLoggedSinceLast: 2 }],
      ['collector: redis error', { operation: 'client', error: 'Connection is closed.', errorName: 'Error', notLoggedSinceLast: 0 }],
    ]);
    const counted = (await metrics.redisErrors.get()).values.map((v) => [v.labels, v.value]);
    expect(counted).toEqual([[{ operation: 'client' }, 5]]);
  });
});
