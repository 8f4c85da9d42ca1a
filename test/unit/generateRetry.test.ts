import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CollectorConfig } from '../../core/config';
import { BadInputError, ServiceUnavailableError } from '../../core/errors';
import { generate, retryDelayMs, type GenerateOptions } from '../../workers/generate';

/** A stand-in collector on 127.0.0.1 that answers each POST with the next status of `statuses` (the last repeats). */
async function collectorAnswering(statuses: readonly number[], headers: Record<string, string> = {}): Promise<{ config: CollectorConfig; bodies: string[]; close: () => Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      const status = statuses[Math.min(bodies.length - 1, statuses.length - 1)] as number;
      const count = (JSON.parse(body) as { events: unknown[] }).events.length;
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 200 ? {} : headers) });
      res.end(JSON.stringify(status === 200 ? { accepted: count, rejected: [], quarantined: 0 } : { error: 'overloaded', detail: 'retry later' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = { url: `http://127.0.0.1:${port}`, apiKeys: ['ck_test'] } as unknown as CollectorConfig;
  return { config, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const OPTIONS: GenerateOptions = {
  ratePerSec: 1000,
  durationSec: 0.01,
  batchSize: 10,
  concurrency: 1,
  gzip: false,
  traffic: { seed: 7, campaigns: 2, users: 5, titles: 2 },
  retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
};

describe('clicklake generate: bounded retries', () => {
  it('gives up on a collector that keeps answering 503 after the attempts, with a final failure naming the cause and the counts', async () => {
    const collector = await collectorAnswering([503], { 'retry-after': '0' });
    try {
      const failure = await generate(collector.config, OPTIONS, undefined).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(ServiceUnavailableError);
      expect((failure as Error).message).toBe(
        'collector: 10 events in 1 batches were not accepted (collector: no 200 after 4 sends of the same batch; last: collector answered 503: ' +
          '{"error":"overloaded","detail":"retry later"}); sent 0, accepted 0, rejected 0, retries 3',
      );
      // Four sends of the very same body: the same event_ids, never new ones.
      expect(collector.bodies).toHaveLength(4);
      expect(new Set(collector.bodies).size).toBe(1);
    } finally {
      await collector.close();
    }
  });

  it('resends the same events after 503s and succeeds when the collector recovers', async () => {
    const collector = await collectorAnswering([503, 503, 200], { 'retry-after': '0' });
    try {
      const result = await generate(collector.config, OPTIONS, undefined);
      expect({ sent: result.summary.sent, accepted: result.summary.accepted, retries: result.summary.retries, requests: result.summary.requests, failedBatches: result.summary.failedBatches }).toEqual({
        sent: 10,
        accepted: 10,
        retries: 2,
        requests: 1,
        failedBatches: 0,
      });
      expect(new Set(collector.bodies).size).toBe(1);
    } finally {
      await collector.close();
    }
  });

  it('fails at once on a 4xx answer other than 429', async () => {
    const collector = await collectorAnswering([401]);
    try {
      await expect(generate(collector.config, OPTIONS, undefined)).rejects.toThrow(BadInputError);
      expect(collector.bodies).toHaveLength(1);
    } finally {
      await collector.close();
    }
  });

  it('gives up on an unreachable collector, naming the network error', async () => {
    const collector = await collectorAnswering([200]);
    await collector.close(); // nothing listens on the port any more
    await expect(generate(collector.config, OPTIONS, undefined)).rejects.toThrow(/no 200 after 4 sends of the same batch; last: network error: .*ECONNREFUSED/);
  });

  it('waits Retry-After when the answer has one (capped at a minute), the backoff otherwise', () => {
    const retry = { attempts: 8, baseDelayMs: 200, maxDelayMs: 5000 };
    expect([0, 1, 2, 5, 6].map((attempt) => retryDelayMs(retry, attempt, null, 0))).toEqual([200, 400, 800, 5000, 5000]);
    expect(retryDelayMs(retry, 0, '3', 0)).toBe(3000);
    expect(retryDelayMs(retry, 0, '3600', 0)).toBe(60_000);
    expect(retryDelayMs(retry, 0, new Date(10_000).toUTCString(), 0)).toBe(10_000);
  });
});
