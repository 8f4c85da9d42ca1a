/**
 * `stack up | down | status`: installs (cached), starts, stops and health-checks the six services.
 * Every service runs install → wait for its dependencies → start in its own chain, all chains at
 * once, so the slow ones (two Go builds, a 0.8 GB download, JVM start-ups) overlap.
 */
import type { ClicklakeConfig } from '../core/config';
import { errorMessage, StackError } from '../core/errors';
import { bootstrap } from './bootstrap';
import { APP_SERVICES, INFRA_SERVICES, layoutOf, SERVICE_NAMES, type ServiceName } from './layout';
import { runningPid, stopDaemon, tailFile } from './process';
import { api } from './services/api';
import { collector } from './services/collector';
import { kafka } from './services/kafka';
import { presto } from './services/presto';
import { redis } from './services/redis';
import { s3 } from './services/s3';
import { schemaRegistry } from './services/schemaRegistry';
import { temporal } from './services/temporal';
import { worker } from './services/worker';
import type { LocalService, ProbeResult, ServiceContext } from './services/types';

export const SERVICES: Readonly<Record<ServiceName, LocalService>> = {
  temporal,
  kafka,
  schema_registry: schemaRegistry,
  s3,
  presto,
  redis,
  collector,
  worker,
  api,
};

export interface ServiceStatus extends ProbeResult {
  readonly pid: number | null;
  readonly [endpoint: string]: unknown;
}

export interface StackStatus {
  readonly healthy: boolean;
  readonly services: Record<string, ServiceStatus>;
}

function contextOf(config: ClicklakeConfig, progress: (message: string) => void): ServiceContext {
  return { config, layout: layoutOf(config.paths), progress };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitHealthy(ctx: ServiceContext, service: LocalService): Promise<ProbeResult> {
  const deadline = Date.now() + service.startTimeoutMs;
  const pidFile = ctx.layout.pidFile(service.name);
  let last: ProbeResult = { healthy: false, detail: 'not probed yet' };
  while (Date.now() < deadline) {
    last = await service.probe(ctx);
    if (last.healthy) return last;
    if (runningPid(pidFile) === undefined) {
      throw new StackError(
        `${service.name} exited during start-up (${last.detail}); last lines of ${ctx.layout.logFile(service.name)}:\n${tailFile(ctx.layout.logFile(service.name), 25)}`,
      );
    }
    await sleep(500);
  }
  throw new StackError(
    `${service.name} did not answer within ${service.startTimeoutMs / 1000} s (${last.detail}); last lines of ${ctx.layout.logFile(service.name)}:\n${tailFile(ctx.layout.logFile(service.name), 25)}`,
  );
}

/** Starts the service unless it already answers; waits until it does. */
async function ensureRunning(ctx: ServiceContext, service: LocalService): Promise<'already up' | 'started'> {
  const pidFile = ctx.layout.pidFile(service.name);
  const stale = service.isStale?.(ctx) === true;
  if (stale) {
    ctx.progress(`${service.name} runs older code than dist/; restarting it`);
    await stopDaemon(pidFile, 30_000);
  } else if ((await service.probe(ctx)).healthy) {
    return 'already up';
  }
  if (runningPid(pidFile) === undefined) {
    await service.start(ctx);
    ctx.progress(`starting ${service.name}`);
  } else {
    ctx.progress(`${service.name} is starting; waiting`);
  }
  await waitHealthy(ctx, service);
  return 'started';
}

/** Work to run once every service is up, before `stack up` reports (e.g. the always-on workflows). */
export type AfterStart = (config: ClicklakeConfig, progress: (message: string) => void) => Promise<void>;

/**
 * Installs what is missing, starts what is not running, bootstraps, then runs `afterStart` in order.
 * Infra knows nothing of the application: the CLI passes what must run on top (workers/schedules.ts).
 */
export async function stackUp(config: ClicklakeConfig, progress: (message: string) => void, afterStart: readonly AfterStart[] = []): Promise<StackStatus> {
  const ctx = contextOf(config, progress);
  const started = Date.now();
  const chains = new Map<ServiceName, Promise<void>>();
  const chainOf = (name: ServiceName): Promise<void> => {
    const existing = chains.get(name);
    if (existing) return existing;
    const service = SERVICES[name];
    const chain = (async () => {
      await service.install(ctx);
      await Promise.all(service.dependsOn.map(chainOf));
      const t0 = Date.now();
      const how = await ensureRunning(ctx, service);
      if (how === 'started') progress(`${name} is up (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    })();
    chains.set(name, chain);
    return chain;
  };
  const settle = async (names: readonly ServiceName[]): Promise<void> => {
    const results = await Promise.allSettled(names.map(chainOf));
    const failures = results
      .map((r, i) => (r.status === 'rejected' ? `- ${names[i]}: ${errorMessage(r.reason)}` : undefined))
      .filter((line): line is string => line !== undefined);
    if (failures.length > 0) throw new StackError(`stack up failed:\n${failures.join('\n')}`);
  };
  await settle(INFRA_SERVICES);
  await bootstrap(config, progress);
  await settle(APP_SERVICES);
  for (const step of afterStart) await step(config, progress);
  progress(`stack is up (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return stackStatus(config);
}

export async function stackDown(config: ClicklakeConfig, progress: (message: string) => void): Promise<void> {
  const layout = layoutOf(config.paths);
  const stop = (names: readonly ServiceName[]): Promise<void[]> =>
    Promise.all(
      names.map(async (name) => {
        // Kafka flushes and closes its logs on SIGTERM; give the JVMs time for a clean shutdown.
        const stopped = await stopDaemon(layout.pidFile(name), 30_000);
        progress(stopped ? `stopped ${name}` : `${name} was not running`);
      }),
    );
  // clicklake's processes first, so they finish their work while the servers still answer.
  await stop(APP_SERVICES);
  await stop(INFRA_SERVICES);
}

export async function stackStatus(config: ClicklakeConfig): Promise<StackStatus> {
  const ctx = contextOf(config, () => undefined);
  const entries = await Promise.all(
    SERVICE_NAMES.map(async (name): Promise<[string, ServiceStatus]> => {
      const service = SERVICES[name];
      const probe = await service.probe(ctx);
      return [name, { ...service.endpoints(config), healthy: probe.healthy, detail: probe.detail, pid: runningPid(ctx.layout.pidFile(name)) ?? null }];
    }),
  );
  return { healthy: entries.every(([, s]) => s.healthy), services: Object.fromEntries(entries) };
}
