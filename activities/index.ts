/** Merges every stage's activities into the one object a worker registers. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Kafka } from 'kafkajs';
import type { ClicklakeConfig } from '../core/config';
import { createBronzeActivities, type BronzeActivities } from './bronze';
import { createProbeActivities, type ProbeActivities } from './probe';
import type { SchemaRegistryClient } from './schemaRegistry';

/** The clients activities share, built once per worker process (workers/temporalWorker.ts). */
export interface ActivityDeps {
  readonly config: ClicklakeConfig;
  readonly s3: S3Client;
  readonly kafka: Kafka;
  readonly registry: SchemaRegistryClient;
}

export type Activities = ProbeActivities & BronzeActivities;

export function createActivities(deps: ActivityDeps): Activities {
  return { ...createProbeActivities(), ...createBronzeActivities(deps) };
}
