import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { computeTruth } from '../../core/truth';
import { unframe } from '../../core/wireFormat';
import type { EventRecord } from '../../schemas/eventRecord';
import { generate } from '../../workers/generate';
import { endOffsets, readRange } from '../support/kafka';
import { stackConfig } from '../support/stack';

describe('clicklake generate', () => {
  const config = stackConfig();
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-test' });

  it("writes a truth that equals what a consumer of the topic computes from the accepted events", async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const before = await endOffsets(kafka, config.kafka.eventsTopic);
    const result = await generate(
      config.collector,
      {
        ratePerSec: 4000,
        durationSec: 3,
        batchSize: 500,
        concurrency: 4,
        gzip: true,
        traffic: { seed, campaigns: 20, users: 500, titles: 30, lateFraction: 0.1, tooLateFraction: 0.02, duplicateFraction: 0.05, malformedFraction: 0.03 },
      },
      undefined,
    );
    const after = await endOffsets(kafka, config.kafka.eventsTopic);
    expect(result.summary.sent).toBe(12_000);
    expect(result.summary.rejected).toBeGreaterThan(0);
    expect(result.summary.accepted + result.summary.rejected).toBe(12_000);

    const registry = new SchemaRegistryClient(config.schemaRegistry.url);
    const prefix = `g${seed.toString(16).padStart(8, '0')}`;
    const consumed: EventRecord[] = [];
    for (const m of await readRange(kafka, config.kafka.eventsTopic, before, after)) {
      const framed = unframe(m.value);
      if (!framed.ok) continue;
      const event = (await registry.writerType(framed.schemaId)).fromBuffer(framed.body) as EventRecord;
      if (event.event_id.startsWith(prefix)) consumed.push(event);
    }
    expect(consumed.length).toBe(result.summary.accepted);

    const fromTopic = computeTruth(consumed);
    const fromGenerator = computeTruth(result.accepted);
    expect(fromTopic.stats).toEqual(fromGenerator.stats);
    expect(fromTopic.tables).toEqual(fromGenerator.tables);
    expect(fromGenerator.stats.duplicates).toBeGreaterThan(0);
    expect(fromGenerator.stats.quarantined).toBeGreaterThan(0);
  }, 120_000);
});
