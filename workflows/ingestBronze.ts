/**
 * Kafka → Bronze, always on: runs the long-running ingest activity for a while, then continues as
 * new so the history stays small. Temporal restarts the activity (from the committed offsets) when it
 * or its worker dies; the heartbeat timeout notices a dead worker within a minute.
 */
import { continueAsNew, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { BronzeActivities, IngestProgress } from '../activities/bronze';
import { consumerOptions } from './activityOptions';

export interface IngestBronzeInput {
  readonly maxRecordsPerObject?: number;
  readonly maxAgeMs?: number;
  readonly runForMs?: number;
}

const RUN_FOR_MS = 10 * 60 * 1000;

const { runBronzeIngest } = proxyActivities<BronzeActivities>(consumerOptions(RUN_FOR_MS, '60 seconds'));

export async function ingestBronze(input: IngestBronzeInput = {}): Promise<IngestProgress> {
  upsertSearchAttributes({ LakeLayer: ['bronze'], LakeDataset: ['events'] });
  await runBronzeIngest({
    maxRecordsPerObject: input.maxRecordsPerObject ?? 50_000,
    maxAgeMs: input.maxAgeMs ?? 5000,
    runForMs: input.runForMs ?? RUN_FOR_MS,
  });
  return continueAsNew<typeof ingestBronze>(input);
}
