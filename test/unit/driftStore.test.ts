import type Redis from 'ioredis';
import type { Presto } from '../../activities/clients';
import { createDriftActivities } from '../../activities/drift';
import type { ClicklakeConfig } from '../../core/config';
import { ServiceUnavailableError } from '../../core/errors';

/** A Redis stand-in: empty minute buckets, and a MULTI whose replies are `execReplies`. */
function redisWith(execReplies: Array<[Error | null, unknown]> | null): Redis {
  const pipeline = { hgetall: () => pipeline, exec: async () => Array.from({ length: 60 }, () => [null, {}]) };
  const multi = { set: () => multi, exec: async () => execReplies };
  return { pipeline: () => pipeline, multi: () => multi } as unknown as Redis;
}

const config = { ctr: { keyPrefix: 'ctr', retentionHours: 48 } } as unknown as ClicklakeConfig;
const presto = { queryObjects: async () => [] } as unknown as Presto;

describe('checkCtrDrift keeps its result or fails', () => {
  it('returns the drift when both writes succeed', async () => {
    const drift = await createDriftActivities({ config, redis: redisWith([[null, 'OK'], [null, 'OK']]), presto }).checkCtrDrift({ hour: '2026-11-22T05' });
    expect([drift.impressions, drift.clicks]).toEqual([0, 0]);
  });

  it('fails (retriable) when Redis refused one of the writes, instead of dropping the reply', async () => {
    const activities = createDriftActivities({ config, redis: redisWith([[null, 'OK'], [new Error('OOM command not allowed'), null]]), presto });
    const failure = await activities.checkCtrDrift({ hour: '2026-11-22T05' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect((failure as Error).message).toBe('redis: drift of 2026-11-22T05 not stored: OOM command not allowed');
  });

  it('fails when the transaction was aborted', async () => {
    await expect(createDriftActivities({ config, redis: redisWith(null), presto }).checkCtrDrift({ hour: '2026-11-22T05' })).rejects.toThrow('transaction aborted');
  });
});
