/**
 * bench/collector: events/s per core through the collector into Kafka (batches of 500, acks=all),
 * request latency p50/p99, and the collector's peak RSS.
 *
 * The collector runs as its own process (the production entrypoint, dist/workers/collector.js) on a
 * bench port and a bench topic; this process is the load generator, with pre-built bodies and a
 * fixed number of concurrent keep-alive requests. "Per core" divides the events acknowledged by the
 * CPU seconds the collector process itself used (user + system, from /proc), so the figure does not
 * depend on what the broker and the load generator take from the same two cores.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createKafka } from '../activities/clients';
import { ensureTopics, topicPlan } from '../infra/bootstrap';
import { layoutOf } from '../infra/layout';
import { repoPath } from '../infra/repo';
import { createTrafficModel } from '../core/generator';
import { loadConfig } from '../workers/config';
import { cpuSeconds, peakRssMiB, percentile, writeResult } from './common';

const BATCH = 500;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 5);
const MEASURE_SEC = Number(process.env.BENCH_SECONDS ?? 30);
const PORT = 8797;
const TOPIC = 'clicklake.bench.events';

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`bench collector did not become healthy at ${url}`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const apiKey = config.collector.apiKeys[0];
  if (!apiKey) throw new Error('run `clicklake stack up` first');
  const benchConfig = { ...config, kafka: { ...config.kafka, eventsTopic: TOPIC } };
  await ensureTopics(benchConfig, topicPlan(benchConfig).filter((t) => t.topic === TOPIC));

  const url = `http://127.0.0.1:${PORT}`;
  const logFile = `${layoutOf(config.paths).stateDir}/logs/bench-collector.log`;
  // BENCH_PROFILE_DIR=/some/dir writes a V8 CPU profile of the collector there (for finding hot spots).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--require', repoPath('bin', 'node-warnings.js'), repoPath('dist', 'workers', 'collector.js')], {
    env: {
      ...process.env,
      CLICKLAKE_COLLECTOR_PORT: String(PORT),
      CLICKLAKE_EVENTS_TOPIC: TOPIC,
      CLICKLAKE_COLLECTOR_RATE_PER_KEY: '100000000',
      CLICKLAKE_COLLECTOR_MAX_IN_FLIGHT: '1000000',
    },
    stdio: ['ignore', fs.openSync(logFile, 'a'), fs.openSync(logFile, 'a')],
  });
  const pid = child.pid as number;
  try {
    await waitHealthy(url, 30_000);

    // 200 distinct pre-built bodies of 500 realistic events (about 470 bytes each), sent round-robin.
    const model = createTrafficModel({ seed: 7, campaigns: 200, users: 100_000, titles: 500 });
    const bodies = Array.from({ length: 200 }, () => JSON.stringify({ events: model.nextBatch(BATCH, Date.now()).events }));
    const avgEventBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / (bodies.length * BATCH));
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

    let next = 0;
    let measuring = false;
    let stop = false;
    let events = 0;
    const latencies: number[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) {
        const body = bodies[next++ % bodies.length] as string;
        const t0 = performance.now();
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers, body });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`collector answered ${res.status}`);
        if (measuring) {
          latencies.push(performance.now() - t0);
          events += BATCH;
        }
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    await new Promise((r) => setTimeout(r, WARMUP_SEC * 1000));
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, MEASURE_SEC * 1000));
    measuring = false;
    const wallSec = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    stop = true;
    await Promise.all(workers);

    latencies.sort((a, b) => a - b);
    writeResult({
      name: 'collector',
      figures: {
        events_per_s_per_core: { value: Math.round(events / cpu), unit: 'events/s per CPU-second of the collector process' },
        events_per_s_wall: { value: Math.round(events / wallSec), unit: 'events/s (whole 2-core machine shared with Kafka and the load generator)' },
        collector_cpu_cores_used: { value: Math.round((cpu / wallSec) * 100) / 100, unit: 'cores' },
        request_latency_p50: { value: Math.round(percentile(latencies, 50) * 10) / 10, unit: 'ms per request of 500 events' },
        request_latency_p99: { value: Math.round(percentile(latencies, 99) * 10) / 10, unit: 'ms per request of 500 events' },
        peak_rss: { value: peakRssMiB(pid), unit: 'MiB' },
        avg_event_bytes: { value: avgEventBytes, unit: 'bytes of JSON per event' },
      },
      notes: [
        `${CONCURRENCY} concurrent keep-alive requests of ${BATCH} events, ${WARMUP_SEC} s warm-up, ${MEASURE_SEC} s measured`,
        'every request validated, Avro-encoded and acknowledged by Kafka with acks=all (idempotent producer) before its 200',
      ],
    });
  } finally {
    child.kill('SIGTERM');
  }
  const admin = createKafka(config.kafka).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/collector: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
