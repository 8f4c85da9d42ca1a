/**
 * The client SDK against the real collector and Kafka: a collector process of the test's own
 * (test/support/collectorProcess.ts) is killed while the SDK sends, the SDK queues to its file, the
 * client process "restarts" (a new client on the same file), the collector comes back, and every
 * event_id is on the events topic exactly once. The stack's shared collector is never touched.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import type { Rejection, SdkEvent } from '../../sdk';
import { createNodeClient } from '../../sdk/node';
import { startCollectorProcess, type CollectorProcess } from '../support/collectorProcess';
import { endOffsets, eventIdCopies } from '../support/kafka';
import { stackConfig, uniqueName } from '../support/stack';

const config = stackConfig();
const kafka = createKafka(config.kafka, { clientId: 'clicklake-test', quiet: true });
const registry = new SchemaRegistryClient(config.schemaRegistry.url);
const apiKey = config.collector.apiKeys[0] as string;

function eventsOf(run: string, from: number, n: number): SdkEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return i % 3 === 0
      ? { event_id: `${run}-${i}`, event_type: 'ad_impression', event_time: Date.now(), user_id: `u${i % 11}`, campaign_id: 'sdk-c1', ad_id: 'sdk-c1-ad1' }
      : { event_id: `${run}-${i}`, event_type: 'page_view', event_time: new Date().toISOString(), user_id: `u${i % 11}` };
  });
}

describe('sdk against the real collector', () => {
  it('sends through the shared collector, gzip on, and reports a rejected event with the collector\'s reason', async () => {
    const run = uniqueName('sdk');
    const before = await endOffsets(kafka, config.kafka.eventsTopic);
    const rejected: Rejection[] = [];
    const client = createNodeClient({ url: config.collector.url, apiKey, onRejected: (r) => rejected.push(...r) });
    const good = eventsOf(run, 0, 250);
    good.forEach((e) => client.send(e));
    client.send({ event_id: `${run}-bad`, event_type: 'ad_hover', event_time: Date.now(), user_id: 'u1' });
    await expect(client.close()).resolves.toEqual({ pending: 0 });
    expect(rejected.map((r) => [r.event.event_id, r.errors.map((e) => e.split(':')[0])])).toEqual([[`${run}-bad`, ['event_type']]]);
    expect(client.stats()).toMatchObject({ accepted: 250, rejected: 1, dropped: 0 });
    expect(await eventIdCopies(kafka, registry, config.kafka.eventsTopic, before, `${run}-`)).toEqual(new Map(good.map((e) => [e.event_id as string, 1])));
  }, 60_000);

  it('queues to its file through a collector outage and a client restart, then every event reaches Kafka exactly once', async () => {
    const run = uniqueName('sdkout');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-it-'));
    const queueFile = path.join(dir, 'queue.jsonl');
    const port = 19_400 + Math.floor(Math.random() * 500);
    const before = await endOffsets(kafka, config.kafka.eventsTopic);
    const retry = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 };
    let collector: CollectorProcess | undefined = await startCollectorProcess(port);
    try {
      const first = createNodeClient({ url: collector.url, apiKey, queueFile, retry, maxQueuedEvents: 5000 });
      eventsOf(run, 0, 300).forEach((e) => first.send(e));
      await expect(first.flush({ timeoutMs: 20_000 })).resolves.toEqual({ pending: 0 });

      // The collector dies between batches; what is sent now waits in the file.
      await collector.kill();
      collector = undefined;
      eventsOf(run, 300, 700).forEach((e) => first.send(e));
      await expect(first.flush({ timeoutMs: 1500 })).resolves.toEqual({ pending: 700 });
      expect(first.stats().lastError).toMatch(/network error/);
      // The client process stops too: close keeps the queue in the file.
      await expect(first.close({ timeoutMs: 0 })).resolves.toEqual({ pending: 700 });
      expect(fs.statSync(queueFile).size).toBeGreaterThan(0);

      // A new client on the same file starts while the collector is still down, then the collector returns.
      const second = createNodeClient({ url: `http://127.0.0.1:${port}`, apiKey, queueFile, retry });
      eventsOf(run, 1000, 200).forEach((e) => second.send(e));
      await new Promise((r) => setTimeout(r, 500));
      collector = await startCollectorProcess(port);
      await expect(second.close({ timeoutMs: 30_000 })).resolves.toEqual({ pending: 0 });
      expect(second.stats()).toMatchObject({ accepted: 900, rejected: 0, dropped: 0 });
    } finally {
      await collector?.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const expected = new Map(eventsOf(run, 0, 1200).map((e) => [e.event_id as string, 1]));
    expect(await eventIdCopies(kafka, registry, config.kafka.eventsTopic, before, `${run}-`)).toEqual(expected);
  }, 120_000);
});
