/**
 * Prometheus metrics of the collector process. Units in the names, a small fixed label set, never
 * ids as labels.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createCollectorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
    redisErrors: new Counter({
      name: 'collector_redis_errors_total',
      help: 'Errors from Redis by operation: client (the connection: refused, lost, reconnecting), drift_read (the ctr_drift_events gauge could not read)',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
  };
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;
