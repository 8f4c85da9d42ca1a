/**
 * Prometheus metrics of the collector and the worker processes. Units in the names, a small fixed
 * label set, never ids as labels.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A registry holding Node's process metrics (CPU, memory, event loop lag), for one process's metrics. */
function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function createCollectorMetrics() {
  const registry = processRegistry();
  return {
    registry,
    requests: new Counter({
      name: 'collector_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['route', 'code'] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'collector_request_duration_seconds',
      help: 'Time from request start to the answer, by route',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    events: new Counter({
      name: 'collector_events_total',
      help: 'Events by outcome: accepted (acknowledged by Kafka), quarantined (accepted, too late to count), rejected (dead-lettered)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'collector_in_flight_events',
      help: 'Events accepted but not yet acknowledged by Kafka',
      registers: [registry],
    }),
    kafkaErrors: new Counter({
      name: 'collector_kafka_errors_total',
      help: 'Produce calls that failed or exceeded the answer deadline',
      registers: [registry],
    }),
    shedEvents: new Counter({
      name: 'collector_shed_events_total',
      help: 'Events refused under load, by event type and reason: rate_limited (429, the key over its rate), overloaded (503, the whole request), shed (left out of a 200 with per-event shedding)',
      labelNames: ['event_type', 'reason'] as const,
      registers: [registry],
    }),
    admissionFallbacks: new Counter({
      name: 'collector_admission_fallback_total',
      help: 'Requests whose rate limit this process decided alone (its share of the limit) because Redis did not answer',
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: 'collector_redis_errors_total',
      help: 'Errors from Redis by operation: client (the connection: refused, lost, reconnecting), drift_read (the ctr_drift_events gauge could not read), admission (the shared rate check)',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
  };
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;

/** Metrics of the Temporal worker process, served by `serveMetrics` on CLICKLAKE_WORKER_METRICS_PORT. */
export function createWorkerMetrics() {
  const registry = processRegistry();
  return {
    registry,
    activityFailures: new Counter({
      name: 'activity_failures_total',
      help: 'Failed activity attempts, by activity type and whether Temporal retries them',
      labelNames: ['activity_type', 'retriable'] as const,
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** Serves `GET /metrics` of a registry (404 for anything else); resolves once listening. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<{ server: http.Server; address: string }> {
  const server = http.createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return { server, address: `${address.address}:${address.port}` };
}
