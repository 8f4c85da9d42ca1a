/**
 * The ingestion process of bench/ingest: Bronze ingestion as the Temporal activity runs it
 * (activities/bronze.ts runBronzeIngest: the same decoder, erasure list, runIngest), without
 * Temporal, on the topic, bucket and consumer group bench/ingest gives it in the environment, so its
 * CPU and memory are this process's alone. It tells its parent over IPC when it is ready to consume
 * and, with a timestamp, every progress report (one after each range committed, one every tick);
 * the parent's `stop` message cancels it.
 */
import { createKafka, createS3 } from '../activities/clients';
import { createBronzeDecoder } from '../activities/bronze/decode';
import { runIngest } from '../activities/bronze/ingest';
import type { IngestProgress } from '../activities/bronze/types';
import { ErasureListCache } from '../activities/erasure/list';
import { SchemaRegistryClient } from '../activities/schemaRegistry';
import { ERASURE_LIST_MAX_AGE_MS } from '../core/erasure';
import { loadConfig } from '../workers/config';

export interface ChildSettings {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly bucket: string;
  readonly group: string;
  readonly maxRecordsPerObject: number;
  readonly maxAgeMs: number;
}

export type ChildMessage = { readonly type: 'ready' } | { readonly type: 'progress'; readonly at: number; readonly progress: IngestProgress };

export const CHILD_SETTINGS_ENV = 'BENCH_INGEST_SETTINGS';

async function main(): Promise<void> {
  const settings = JSON.parse(process.env[CHILD_SETTINGS_ENV] ?? '') as ChildSettings;
  const config = loadConfig();
  const s3 = createS3({ ...config.s3, bucket: settings.bucket });
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-bench-ingest' });
  const registry = new SchemaRegistryClient(config.schemaRegistry.url);
  const { topic, bucket } = settings;
  const decode = createBronzeDecoder(topic, registry);
  const erasureList = new ErasureListCache(s3, bucket, ERASURE_LIST_MAX_AGE_MS);
  const erasure = { rule: () => erasureList.current(), hmacKey: config.pii.hmacKey };
  const send = (message: ChildMessage): void => {
    process.send?.(message);
  };
  const controller = new AbortController();
  process.on('message', (m: unknown) => {
    if (m === 'stop') controller.abort();
  });
  const quiet = (): void => undefined;
  send({ type: 'ready' });
  await runIngest(
    { kafka, s3, bucket, topic, deadLetterTopic: settings.deadLetterTopic, decode, erasure, group: settings.group },
    { maxRecordsPerObject: settings.maxRecordsPerObject, maxAgeMs: settings.maxAgeMs, runForMs: 60 * 60 * 1000 },
    {
      heartbeat: (progress) => send({ type: 'progress', at: Date.now(), progress }),
      cancellationSignal: controller.signal,
      log: { info: quiet, warn: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f)}\n`), error: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f)}\n`) },
    },
  );
  process.disconnect?.();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench/ingestChild: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
