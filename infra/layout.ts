/**
 * Where each service keeps its files. State (data, logs, pids, generated secrets) lives under the
 * state folder; downloads and builds under the cache folder, reused by every later run.
 */
import * as path from 'node:path';
import type { PathsConfig } from '../core/config';
import { VERSIONS } from './versions';

export type ServiceName = 'temporal' | 'kafka' | 'schema_registry' | 's3' | 'presto' | 'redis' | 'collector' | 'worker' | 'api';

/** The real servers of the stack, installed and started first. */
export const INFRA_SERVICES: readonly ServiceName[] = ['temporal', 'kafka', 'schema_registry', 's3', 'presto', 'redis'];
/** clicklake's own processes, started once the servers answer and the bootstrap has run. */
export const APP_SERVICES: readonly ServiceName[] = ['collector', 'worker', 'api'];
export const SERVICE_NAMES: readonly ServiceName[] = [...INFRA_SERVICES, ...APP_SERVICES];

export interface Layout {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly secretsFile: string;
  readonly m2Repo: string;
  readonly installLog: string;
  readonly temporalBinDir: string;
  readonly minioBinDir: string;
  readonly kafkaHome: string;
  readonly registryHome: string;
  readonly trinoHome: string;
  dataDir(service: ServiceName): string;
  logFile(service: ServiceName): string;
  pidFile(service: ServiceName): string;
}

export function layoutOf(paths: PathsConfig): Layout {
  const { stateDir, cacheDir } = paths;
  return {
    stateDir,
    cacheDir,
    secretsFile: path.join(stateDir, 'secrets.json'),
    m2Repo: path.join(cacheDir, 'm2'),
    installLog: path.join(stateDir, 'logs', 'install.log'),
    temporalBinDir: path.join(cacheDir, `temporal-cli-${VERSIONS.temporalCli}`),
    minioBinDir: path.join(cacheDir, `minio-${VERSIONS.minio}`),
    kafkaHome: path.join(cacheDir, `kafka-${VERSIONS.kafka}`),
    registryHome: path.join(cacheDir, `apicurio-registry-${VERSIONS.apicurioRegistry}`),
    trinoHome: path.join(cacheDir, `trino-server-${VERSIONS.trino}`),
    dataDir: (service) => path.join(stateDir, service),
    logFile: (service) => path.join(stateDir, 'logs', `${service}.log`),
    pidFile: (service) => path.join(stateDir, 'run', `${service}.pid`),
  };
}
