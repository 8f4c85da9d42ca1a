/** Merges every stage's activities into the one object a worker registers. */
import type { S3Client } from '@aws-sdk/client-s3';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { ClicklakeConfig } from '../core/config';
import type { Presto } from './clients';
import { createBackfillActivities, workerBackfillDeps, type BackfillActivities } from './backfill';
import { createBronzeActivities, type BronzeActivities } from './bronze';
import { createCompactionActivities, type CompactionActivities } from './compaction';
import { createCtrActivities, type CtrActivities } from './ctr';
import { createDriftActivities, type DriftActivities } from './drift';
import { createErasureActivities, type ErasureActivities } from './erasure';
import { createProbeActivities, type ProbeActivities } from './probe';
import { createPromoteActivities, type PromoteActivities } from './promote';
import { createReconcileActivities, type ReconcileActivities } from './reconcile';
import type { SchemaRegistryClient } from './schemaRegistry';

/** The clients activities share, built once per worker process (workers/temporalWorker.ts). */
export interface ActivityDeps {
  readonly config: ClicklakeConfig;
  readonly s3: S3Client;
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
  readonly redis: Redis;
  readonly presto: Presto;
  /** What every promotion run records as `code_version` (workers/codeVersion.ts). */
  readonly codeVersion: string;
}

export type Activities = ProbeActivities & BronzeActivities & CtrActivities & PromoteActivities & DriftActivities & CompactionActivities & BackfillActivities & ReconcileActivities & ErasureActivities;

export function createActivities(deps: ActivityDeps): Activities {
  return {
    ...createProbeActivities(),
    ...createBronzeActivities(deps),
    ...createCtrActivities(deps),
    ...createPromoteActivities(deps),
    ...createDriftActivities(deps),
    ...createCompactionActivities(deps),
    ...createReconcileActivities({ lake: { s3: deps.s3, presto: deps.presto, bucket: deps.config.s3.bucket } }),
    ...createErasureActivities({ config: deps.config, kafka: deps.kafka, lake: { s3: deps.s3, presto: deps.presto, bucket: deps.config.s3.bucket } }),
    ...createBackfillActivities(workerBackfillDeps(deps.config, { s3: deps.s3, presto: deps.presto, bucket: deps.config.s3.bucket })),
  };
}
