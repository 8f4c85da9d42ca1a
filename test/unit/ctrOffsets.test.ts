import { onAssigned } from '../../activities/ctr/offsets';
import { newProgress, type CtrRun } from '../../activities/ctr/run';
import { watchUnhandledRejections } from '../support/unhandledRejections';

/** A run whose Redis refuses every read and whose consumer records its seeks. */
function runWithRedisDown(): { run: CtrRun; logs: Array<[string, Record<string, unknown>]>; seeks: Array<[number, string]> } {
  const logs: Array<[string, Record<string, unknown>]> = [];
  const seeks: Array<[number, string]> = [];
  const run = {
    settings: { topic: 'clicklake.events', keyPrefix: 'ctr', group: 'g', deadLetterTopic: 'dl', retentionMs: 1, dedupSeconds: 1 },
    redis: { mget: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6380')) },
    consumer: { seek: ({ partition, offset }: { partition: number; offset: string }) => seeks.push([partition, offset]) },
    progress: newProgress(),
    log: (message: string, fields: Record<string, unknown>) => logs.push([message, fields]),
    floors: new Map<number, number>(),
    applied: new Map<number, number>([[1, 41]]),
  } as unknown as CtrRun;
  return { run, logs, seeks };
}

describe('CTR consumer: resuming on assignment', () => {
  it('seeks after the applied offset at once, and a failed read of the stored offsets is logged, never an unhandled rejection', async () => {
    const unhandled = watchUnhandledRejections();
    try {
      const { run, logs, seeks } = runWithRedisDown();
      onAssigned(run, [1, 2]);
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      expect(seeks).toEqual([[1, '42']]);
      expect(logs).toEqual([['ctr consumer: could not read the stored offsets', { partitions: [1, 2], error: 'connect ECONNREFUSED 127.0.0.1:6380' }]]);
      expect(unhandled.seen).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});
