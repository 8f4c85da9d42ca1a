import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { computeTruth } from '../../core/truth';
import { generate } from '../../workers/generate';
import { endOffsets, readEvents } from '../support/kafka';
import { stackConfig } from '../support/stack';

describe('clicklake generate', () => {
  const config = stackConfig();
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-test' });

  // The truth judges what was sent by its own rules (core/truthRules); the topic holds what the
  // collector's validation let through: the two must give the same Gold.
  it('writes a truth, judged by its own rules, that equals what a consumer of the topic computes', async () => {
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
    const consumed = (await readEvents(kafka, registry, config.kafka.eventsTopic, before, after)).filter((e) => e.event_id.startsWith(prefix));
    expect([consumed.length, result.judged.length]).toEqual([result.summary.accepted, result.summary.accepted]);

    const fromTopic = computeTruth(consumed);
    const fromGenerator = computeTruth(result.judged);
    expect(fromTopic.stats).toEqual(fromGenerator.stats);
    expect(fromTopic.tables).toEqual(fromGenerator.tables);
    expect(fromGenerator.stats.duplicates).toBeGreaterThan(0);
    expect(fromGenerator.stats.quarantined).toBeGreaterThan(0);
  }, 120_000);
});
