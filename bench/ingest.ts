/**
 * bench/ingest: Kafka → Bronze with the production ingestion code (activities/bronze: decode,
 * writeRange, objects, session, ingest) run in a process of its own (bench/ingestChild.ts), in a
 * consumer group of its own, writing into a bucket of its own, so neither the stack's always-on
 * ingestion nor the real lake is touched.
 *
 * 1. Throughput: a bench topic (as many partitions as the events topic) is filled with N events by
 *    the collector's own code (workers/collector.ts startCollector, in this process, pointed at the
 *    bench topic), so the records are the collector's bytes: Avro in Confluent framing, keyed and
 *    partitioned as it does. Then the ingestion process drains it with the production settings
 *    (50,000 records or 5 s per object). "Per core" divides the events committed by the CPU seconds
 *    the ingestion process used from ready to the last range committed (user + system, /proc).
 *    Before any figure is written, every Bronze object is read back: each pre-filled event_id must
 *    be there exactly once, each offset once, every object with a manifest and the group's
 *    committed offsets at the topic's end.
 * 2. Lag: traffic at a steady rate (default 5,000 events/s) through the real running collector onto
 *    the real events topic, with a second ingestion process on that topic (its own group, starting
 *    at the topic's end, same bench bucket). A reader in this process maps the bench events to their
 *    partition and offset; the ingestion process reports its committed offsets with a timestamp after
 *    every range. An event's lag runs from the collector's 200 for its request to the first report
 *    whose committed offset of its partition is past it (its range's manifest written and the offset
 *    committed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { decompress } from '@mongodb-js/zstd';
import type { Kafka } from 'kafkajs';
import { createKafka, createS3 } from '../activities/clients';
import { SchemaRegistryClient } from '../activities/schemaRegistry';
import { BRONZE_CODECS, manifestKey, parseManifest, type BronzeManifest } from '../core/bronze';
import type { ClicklakeConfig } from '../core/config';
import { createTrafficModel } from '../core/generator';
import { zonePrefix } from '../core/lake';
import { unframe } from '../core/wireFormat';
import { layoutOf } from '../infra/layout';
import { repoPath } from '../infra/repo';
import { startCollector } from '../workers/collector';
import { loadConfig } from '../workers/config';
import { cpuSeconds, peakRssMiB, percentile, writeResult, type Figure } from './common';
import { CHILD_SETTINGS_ENV, type ChildMessage, type ChildSettings } from './ingestChild';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 5);
const MEASURE_SEC = Number(process.env.BENCH_SECONDS ?? 30);
/** The production settings (workflows/ingestBronze.ts defaults). */
const MAX_RECORDS_PER_OBJECT = Number(process.env.BENCH_MAX_RECORDS ?? 50_000);
const MAX_AGE_MS = Number(process.env.BENCH_MAX_AGE_MS ?? 5000);
const FILL_PORT = 8798;
const FILL_BATCH = 1000;
const FILL_CONCURRENCY = 8;
const REQUESTS_PER_SEC = 20;
const DRAIN_TIMEOUT_MS = 15 * 60 * 1000;
/** Drains of the pre-filled topic per variant, alternating; each in a group and a bucket of its own. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
/**
 * BENCH_BASELINE=<dir> also drains with the ingestion code of another build (a dist directory, e.g.
 * of the commit before an optimization), alternating with this one on the same topic, so both see the
 * same load.
 */
const BASELINE = process.env.BENCH_BASELINE;
/** BENCH_FLAGS_VARIANT="--max-semi-space-size=64": also drains with this code under these node flags (variant `flags`). */
const FLAGS_VARIANT = process.env.BENCH_FLAGS_VARIANT;
const LAG = process.env.BENCH_LAG !== '0';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const round2 = (x: number): number => round(x, 2);

interface Bench {
  readonly config: ClicklakeConfig;
  readonly kafka: Kafka;
  readonly s3: S3Client;
  readonly run: string;
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly bucket: string;
}

/** The ingestion process, with its progress reports as they arrive. */
class IngestProcess {
  readonly child: ChildProcess;
  readonly reports: { at: number; committed: Record<string, number>; records: number; objects: number }[] = [];
  private readonly ready: Promise<void>;
  private readonly exited: Promise<number | null>;
  private listeners: (() => void)[] = [];

  constructor(bench: Bench, settings: ChildSettings, logName: string, dist = repoPath('dist'), flags: readonly string[] = []) {
    const logFile = `${layoutOf(bench.config.paths).stateDir}/logs/${logName}.log`;
    // BENCH_PROFILE_DIR=/some/dir writes a V8 CPU profile of the ingestion process there.
    const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    this.child = spawn(process.execPath, [...profile, ...flags, '--require', repoPath('bin', 'node-warnings.js'), path.join(dist, 'bench', 'ingestChild.js')], {
      env: { ...process.env, [CHILD_SETTINGS_ENV]: JSON.stringify(settings) },
      stdio: ['ignore', fs.openSync(logFile, 'a'), fs.openSync(logFile, 'a'), 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') resolve();
        else {
          this.reports.push({ at: m.at, committed: { ...m.progress.committed }, records: m.progress.records, objects: m.progress.objects });
          for (const l of this.listeners) l();
        }
      });
      void this.exited.then((code) => reject(new Error(`ingestion process exited (${code}) before it was ready; see ${logFile}`)));
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  get last(): IngestProcess['reports'][number] | undefined {
    return this.reports[this.reports.length - 1];
  }

  /** Resolves when a report satisfies `done`; rejects on timeout or if the process exits. */
  until(done: (report: IngestProcess['reports'][number]) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const last = this.last;
        if (last !== undefined && done(last)) finish(resolve);
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        then();
      };
      void this.exited.then((code) => finish(() => reject(new Error(`ingestion process exited (${code}) while waiting for ${what}`))));
      this.listeners.push(check);
      check();
    });
  }

  /** Cancels the run (as Temporal would) and waits for the process to leave; kills it after 30 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    if (this.child.connected) this.child.send('stop');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Starts `group` at the topic's end, so a new group does not read the topic from its beginning. */
async function startGroupAtEnd(kafka: Kafka, group: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId: group, topic, partitions: ends.map((o) => ({ partition: o.partition, offset: o.high })) });
  } finally {
    await admin.disconnect();
  }
}

/** Fills the bench topic with `EVENTS` events through the collector's code; returns their ids. */
async function fill(bench: Bench): Promise<{ ids: Set<string>; seconds: number }> {
  const apiKey = `bench-ingest-${bench.run}`;
  const url = `http://127.0.0.1:${FILL_PORT}`;
  const collector = await startCollector({
    ...bench.config,
    kafka: { ...bench.config.kafka, eventsTopic: bench.topic, deadLetterTopic: bench.deadLetterTopic },
    collector: { ...bench.config.collector, host: '127.0.0.1', port: FILL_PORT, url, apiKeys: [apiKey], ratePerKey: 1e9, maxInFlightEvents: 1e9 },
  });
  const ids = new Set<string>();
  const started = performance.now();
  try {
    // Every event distinct (no re-sends), none malformed, late and too-late ones as usual.
    const model = createTrafficModel({ seed: 21, campaigns: 200, users: 100_000, titles: 500, duplicateFraction: 0, malformedFraction: 0, lateFraction: 0.05, tooLateFraction: 0.02 });
    let queued = 0;
    const worker = async (): Promise<void> => {
      while (queued < EVENTS) {
        const n = Math.min(FILL_BATCH, EVENTS - queued);
        queued += n;
        const events = model.nextBatch(n, Date.now()).events;
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
        const answer = (await res.json()) as { accepted?: number };
        if (res.status !== 200 || answer.accepted !== events.length) throw new Error(`fill: collector answered ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
        for (const e of events) {
          const id = (e as { event_id: string }).event_id;
          if (ids.has(id)) throw new Error(`fill: the traffic model repeated event_id ${id}`);
          ids.add(id);
        }
        if (ids.size % 100_000 < n) process.stderr.write(`bench/ingest: filled ${ids.size}/${EVENTS}\r`);
      }
    };
    await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker));
    process.stderr.write('\n');
  } finally {
    await collector.close();
  }
  return { ids, seconds: (performance.now() - started) / 1000 };
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

interface Verified {
  readonly objects: number;
  readonly zstdBytes: number;
  readonly ndjsonBytes: number;
  readonly hourMarkers: number;
}

/**
 * Reads the Bronze the run wrote back: every pre-filled event_id exactly once, no other record,
 * every offset of every partition once, a manifest per object that agrees with it, and the group's
 * committed offsets at the topic's end. Throws on the first disagreement.
 */
async function verify(bench: Bench, ids: ReadonlySet<string>, group: string, ends: ReadonlyMap<number, number>): Promise<Verified> {
  const root = `${zonePrefix('bronze')}events/topic=${bench.topic}/`;
  const objects = (await listKeys(bench.s3, bench.bucket, root)).filter((o) => o.key.endsWith(BRONZE_CODECS.zstd));
  const seen = new Set<string>();
  const offsets = new Map<number, Set<number>>();
  let ndjsonBytes = 0;
  let zstdBytes = 0;
  for (const object of objects) {
    const manifest: BronzeManifest = parseManifest(JSON.parse((await getObject(bench.s3, bench.bucket, manifestKey(object.key))).toString('utf8')));
    const text = (await decompress(await getObject(bench.s3, bench.bucket, object.key))).toString('utf8');
    ndjsonBytes += Buffer.byteLength(text);
    zstdBytes += object.size;
    const lines = text.split('\n').filter((l) => l.length > 0);
    if (manifest.rowCount !== lines.length || manifest.bytes !== object.size) throw new Error(`verify: ${object.key}: manifest says ${manifest.rowCount} rows / ${manifest.bytes} bytes, object has ${lines.length} / ${object.size}`);
    for (const line of lines) {
      const record = JSON.parse(line) as { partition: number; offset: number; event: { event_id: string } };
      const id = record.event.event_id;
      if (!ids.has(id)) throw new Error(`verify: ${object.key} holds event_id ${id}, which was not pre-filled`);
      if (seen.has(id)) throw new Error(`verify: event_id ${id} is in Bronze twice`);
      seen.add(id);
      const inPartition = offsets.get(record.partition) ?? new Set<number>();
      if (inPartition.has(record.offset)) throw new Error(`verify: partition ${record.partition} offset ${record.offset} twice`);
      inPartition.add(record.offset);
      offsets.set(record.partition, inPartition);
    }
  }
  if (seen.size !== ids.size) throw new Error(`verify: ${ids.size - seen.size} of ${ids.size} pre-filled events are not in Bronze`);
  for (const [partition, end] of ends) {
    if ((offsets.get(partition)?.size ?? 0) !== end) throw new Error(`verify: partition ${partition} has ${offsets.get(partition)?.size ?? 0} records in Bronze, the topic ${end}`);
  }
  const admin = bench.kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [bench.topic] });
    for (const p of committed?.partitions ?? []) {
      if (Number(p.offset) !== (ends.get(p.partition) ?? 0)) throw new Error(`verify: group ${group} committed ${p.offset} on partition ${p.partition}, the topic ends at ${ends.get(p.partition)}`);
    }
  } finally {
    await admin.disconnect();
  }
  const hourMarkers = (await listKeys(bench.s3, bench.bucket, `${zonePrefix('bronze')}_index/`)).length;
  return { objects: objects.length, zstdBytes, ndjsonBytes, hourMarkers };
}

interface Drain {
  readonly variant: string;
  readonly events: number;
  readonly cpuSec: number;
  readonly wallSec: number;
  readonly rssMiB: number;
  readonly objects: number;
  readonly verified: Verified;
  readonly loadAverage: number;
}

/** One drain of the pre-filled topic from its beginning by an ingestion process, in a group and bucket of its own, verified. */
interface Variant {
  readonly name: string;
  readonly dist: string;
  readonly flags: readonly string[];
}

async function drain(bench: Bench, ids: ReadonlySet<string>, ends: ReadonlyMap<number, number>, variant: Variant, round: number): Promise<Drain> {
  const group = `bench-ingest-${bench.run}-${variant.name}-${round}`;
  const bucket = `${bench.bucket}-${variant.name}-${round}`;
  await bench.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const settings = { topic: bench.topic, deadLetterTopic: bench.deadLetterTopic, bucket, group, maxRecordsPerObject: MAX_RECORDS_PER_OBJECT, maxAgeMs: MAX_AGE_MS };
  const ingest = new IngestProcess(bench, settings, 'bench-ingest', variant.dist, variant.flags);
  try {
    await ingest.whenReady();
    const cpu0 = cpuSeconds(ingest.pid);
    const t0 = performance.now();
    const committedAll = (r: { committed: Record<string, number> }): boolean => [...ends].every(([p, end]) => (r.committed[String(p)] ?? 0) >= end);
    await ingest.until(committedAll, DRAIN_TIMEOUT_MS, 'every range committed');
    const cpuSec = cpuSeconds(ingest.pid) - cpu0;
    const wallSec = (performance.now() - t0) / 1000;
    const rssMiB = peakRssMiB(ingest.pid);
    const objects = ingest.last?.objects ?? 0;
    const loadAverage = round2(os.loadavg()[0] ?? 0);
    await ingest.stop();
    process.stderr.write(`bench/ingest: ${variant.name} round ${round}: drained in ${wallSec.toFixed(1)} s using ${cpuSec.toFixed(1)} CPU s (${Math.round(ids.size / cpuSec)} events/s per core, load ${loadAverage}); verifying\n`);
    const verified = await verify({ ...bench, bucket }, ids, group, ends);
    return { variant: variant.name, events: ids.size, cpuSec, wallSec, rssMiB, objects, verified, loadAverage };
  } finally {
    await ingest.stop();
    await deleteBucket(bench.s3, bucket).catch((err: unknown) => process.stderr.write(`bench/ingest: could not delete bucket ${bucket}: ${String(err)}\n`));
    await deleteGroup(bench.kafka, group);
  }
}

async function deleteGroup(kafka: Kafka, group: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.disconnect();
}

async function throughput(bench: Bench): Promise<{ drains: Drain[]; fillSec: number }> {
  const { ids, seconds: fillSec } = await fill(bench);
  const ends = await endOffsets(bench.kafka, bench.topic);
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  if (total !== ids.size) throw new Error(`the bench topic holds ${total} records, ${ids.size} were sent`);
  process.stderr.write(`bench/ingest: ${total} events on ${bench.topic} in ${fillSec.toFixed(0)} s; draining\n`);
  const variants: Variant[] = [
    { name: 'current', dist: repoPath('dist'), flags: [] },
    ...(BASELINE === undefined ? [] : [{ name: 'baseline', dist: BASELINE, flags: [] }]),
    ...(FLAGS_VARIANT === undefined ? [] : [{ name: 'flags', dist: repoPath('dist'), flags: FLAGS_VARIANT.split(' ').filter((f) => f.length > 0) }]),
  ];
  const drains: Drain[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which variant goes first, so neither always meets a warmer (or busier) machine.
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) drains.push(await drain(bench, ids, ends, variant, round));
  }
  return { drains, fillSec };
}

interface Lag {
  readonly lags: number[];
  readonly sentEvents: number;
  readonly wallSec: number;
  readonly cpuSec: number;
}

/** Positions of this run's events on the real topic, read by a consumer of its own from the topic's end. */
async function tailPositions(bench: Bench, prefix: string, positions: Map<string, { partition: number; offset: number }>): Promise<() => Promise<void>> {
  const group = `bench-ingest-tail-${bench.run}`;
  const topic = bench.config.kafka.eventsTopic;
  await startGroupAtEnd(bench.kafka, group, topic);
  const registry = new SchemaRegistryClient(bench.config.schemaRegistry.url);
  const marker = Buffer.from(prefix);
  const consumer = bench.kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (message.value === null || message.value.indexOf(marker) < 0) return;
      const framed = unframe(message.value);
      if (!framed.ok) return;
      const event = (await registry.writerType(framed.schemaId)).fromBuffer(framed.body) as { event_id: string };
      if (event.event_id.startsWith(prefix)) positions.set(event.event_id, { partition, offset: Number(message.offset) });
    },
  });
  return () => consumer.disconnect();
}

/** When the ingestion process first reported the offset committed past `offset` of `partition`. */
function committedAt(reports: IngestProcess['reports'], partition: number, offset: number): number | undefined {
  return reports.find((r) => (r.committed[String(partition)] ?? 0) > offset)?.at;
}

async function lag(bench: Bench): Promise<Lag> {
  const apiKey = bench.config.collector.apiKeys[0];
  if (apiKey === undefined) throw new Error('run `clicklake stack up` first');
  const topic = bench.config.kafka.eventsTopic;
  const group = `bench-ingest-lag-${bench.run}`;
  await startGroupAtEnd(bench.kafka, group, topic);
  const ingest = new IngestProcess(bench, { topic, deadLetterTopic: bench.deadLetterTopic, bucket: bench.bucket, group, maxRecordsPerObject: MAX_RECORDS_PER_OBJECT, maxAgeMs: MAX_AGE_MS }, 'bench-ingest-lag');
  const prefix = `bench-ingest-${bench.run}-`;
  const positions = new Map<string, { partition: number; offset: number }>();
  const stopTail = await tailPositions(bench, prefix, positions);
  try {
    await ingest.whenReady();
    // The group joins (a new group's first rebalance waits 3 s) before traffic starts.
    await ingest.until(() => true, 30_000, 'the first report of the lag ingestion');
    await sleep(4000);
    const cpu0 = cpuSeconds(ingest.pid);
    const model = createTrafficModel({ seed: 77, campaigns: 200, users: 100_000, titles: 500, idScope: 'bench-ingest' });
    const perRequest = Math.round(RATE / REQUESTS_PER_SEC);
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const acked = new Map<string, number>();
    let sentEvents = 0;
    const started = performance.now();
    const measureFrom = started + WARMUP_SEC * 1000;
    const endAt = measureFrom + MEASURE_SEC * 1000;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; performance.now() < endAt; i++) {
      const wait = started + (i * 1000) / REQUESTS_PER_SEC - performance.now();
      if (wait > 0) await sleep(wait);
      const events = model.nextBatch(perRequest, Date.now()).events.map((e, j) => ({ ...e, event_id: `${prefix}${i}-${j}` }));
      const measured = performance.now() >= measureFrom;
      const request = (async () => {
        const res = await fetch(`${bench.config.collector.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`collector answered ${res.status}`);
        const ackAt = Date.now();
        sentEvents += events.length;
        if (measured) for (const e of events) acked.set(e.event_id, ackAt);
      })();
      const tracked = request.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
    const wallSec = (performance.now() - started) / 1000;
    const deadline = Date.now() + 60_000;
    const lags: number[] = [];
    for (;;) {
      const pending = [...acked].filter(([id]) => {
        const at = positions.get(id);
        return at === undefined || committedAt(ingest.reports, at.partition, at.offset) === undefined;
      });
      if (pending.length === 0) break;
      if (Date.now() > deadline) throw new Error(`${pending.length} of ${acked.size} bench events not committed in Bronze within 60 s of the last request`);
      await sleep(250);
    }
    const cpuSec = cpuSeconds(ingest.pid) - cpu0;
    for (const [id, ackAt] of acked) {
      const at = positions.get(id) as { partition: number; offset: number };
      lags.push(((committedAt(ingest.reports, at.partition, at.offset) as number) - ackAt) / 1000);
    }
    return { lags: lags.sort((a, b) => a - b), sentEvents, wallSec, cpuSec };
  } finally {
    await ingest.stop();
    await stopTail();
  }
}

async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  const keys = await listKeys(s3, bucket, '');
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: k.key })) } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

function range(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? Number.NaN, median: percentile(sorted, 50), max: sorted[sorted.length - 1] ?? Number.NaN };
}

function drainFigures(drains: readonly Drain[], variant: string): Record<string, Figure> {
  const of = drains.filter((d) => d.variant === variant);
  if (of.length === 0) return {};
  const perCore = range(of.map((d) => d.events / d.cpuSec));
  const name = (figure: string): string => (variant === 'current' ? figure : `${variant}_${figure}`);
  const last = of[of.length - 1] as Drain;
  return {
    [name('events_per_s_per_core')]: { value: Math.round(perCore.median), unit: `events committed to Bronze per CPU-second of the ingestion process (median of ${of.length} drains)` },
    [name('events_per_s_per_core_min')]: { value: Math.round(perCore.min), unit: 'lowest drain' },
    [name('events_per_s_per_core_max')]: { value: Math.round(perCore.max), unit: 'highest drain' },
    [name('events_per_s_wall')]: { value: Math.round(range(of.map((d) => d.events / d.wallSec)).median), unit: 'events/s drained, median (2 cores shared with Kafka, MinIO and the rest of the stack)' },
    [name('ingest_cpu_cores_used')]: { value: round2(range(of.map((d) => d.cpuSec / d.wallSec)).median), unit: 'cores, median' },
    [name('objects_per_s')]: { value: round2(range(of.map((d) => d.objects / d.wallSec)).median), unit: 'Bronze objects (each with hour markers and a manifest) per second while draining, median' },
    [name('peak_rss')]: { value: Math.max(...of.map((d) => d.rssMiB)), unit: 'MiB (ingestion process, highest drain)' },
    ...(variant === 'current'
      ? {
          bronze_zstd_bytes_per_event: { value: round(last.verified.zstdBytes / last.events, 1), unit: 'bytes of zstd NDJSON per event in Bronze' },
          bronze_ndjson_bytes_per_event: { value: round(last.verified.ndjsonBytes / last.events, 1), unit: 'bytes of NDJSON per event before zstd' },
          objects: { value: last.objects, unit: 'Bronze objects written per drain of the pre-filled topic' },
          hour_index_markers: { value: last.verified.hourMarkers, unit: 'hour-index markers written per drain' },
        }
      : {}),
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const run = randomBytes(5).toString('hex');
  const bench: Bench = {
    config,
    kafka: createKafka(config.kafka, { clientId: 'clicklake-bench-ingest' }),
    s3: createS3(config.s3),
    run,
    topic: `clicklake.bench.ingest.${run}`,
    deadLetterTopic: `clicklake.bench.ingest.dlq.${run}`,
    bucket: `clicklake-bench-ingest-${run}`,
  };
  const admin = bench.kafka.admin();
  await admin.connect();
  const registry = new SchemaRegistryClient(config.schemaRegistry.url);
  try {
    const [events] = (await admin.fetchTopicMetadata({ topics: [config.kafka.eventsTopic] })).topics;
    const partitions = events?.partitions.length ?? 12;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: bench.topic, numPartitions: partitions }, { topic: bench.deadLetterTopic, numPartitions: 1 }] });
    const t = await throughput(bench);
    let l: Lag | undefined;
    if (LAG) {
      await bench.s3.send(new CreateBucketCommand({ Bucket: bench.bucket }));
      try {
        l = await lag(bench);
      } finally {
        await deleteBucket(bench.s3, bench.bucket).catch((err: unknown) => process.stderr.write(`bench/ingest: could not delete bucket ${bench.bucket}: ${String(err)}\n`));
      }
    }
    const loadAverage = os.loadavg().map(round2);
    const lagFigures: Record<string, Figure> =
      l === undefined
        ? {}
        : {
            lag_p50_s: { value: round(percentile(l.lags, 50), 3), unit: `s from the collector's 200 to the event committed in Bronze, at ${RATE} events/s` },
            lag_p99_s: { value: round(percentile(l.lags, 99), 3), unit: `s from the collector's 200 to the event committed in Bronze, at ${RATE} events/s` },
            lag_max_s: { value: round(l.lags[l.lags.length - 1] ?? Number.NaN, 3), unit: 's' },
            lag_samples: { value: l.lags.length, unit: 'events measured' },
            lag_rate: { value: Math.round(l.sentEvents / l.wallSec), unit: 'events/s sent through the collector' },
            lag_ingest_cpu_cores: { value: round2(l.cpuSec / l.wallSec), unit: 'cores the ingestion process used during the lag phase (all traffic on the events topic)' },
          };
    writeResult({
      name: 'ingest',
      figures: {
        ...drainFigures(t.drains, 'current'),
        ...drainFigures(t.drains, 'baseline'),
        ...drainFigures(t.drains, 'flags'),
        ...lagFigures,
        load_average_1m: { value: loadAverage[0] ?? 0, unit: 'at the end of the run' },
      },
      notes: [
        `throughput: ${EVENTS} events (traffic model: distinct event_ids, 5% late, 2% too late) filled in ${t.fillSec.toFixed(0)} s through the collector's code onto a ${partitions}-partition bench topic, drained by the ingestion process (objects of ≤ ${MAX_RECORDS_PER_OBJECT} records or ${MAX_AGE_MS} ms); every drain verified: every event_id in Bronze exactly once, every offset once, manifests agree, group offsets at the end`,
        ...t.drains.map((d) => `drain ${d.variant}: ${Math.round(d.events / d.cpuSec)} events/s per core, ${d.cpuSec.toFixed(1)} CPU s over ${d.wallSec.toFixed(1)} s, ${d.objects} objects, peak RSS ${d.rssMiB} MiB, load ${d.loadAverage}`),
        ...(BASELINE === undefined ? [] : [`baseline: the ingestion code built in ${BASELINE}`]),
        ...(FLAGS_VARIANT === undefined ? [] : [`flags: this code under node ${FLAGS_VARIANT}`]),
        ...(l === undefined ? [] : [`lag: ${REQUESTS_PER_SEC} requests/s of ${Math.round(RATE / REQUESTS_PER_SEC)} events through the stack's collector onto ${config.kafka.eventsTopic}, ${WARMUP_SEC} s warm-up, ${MEASURE_SEC} s measured; every measured event's lag`]),
        `load average ${loadAverage.join(' ')} at the end`,
      ],
    });
  } finally {
    await admin.deleteTopics({ topics: [bench.topic, bench.deadLetterTopic] }).catch(() => undefined);
    await admin.deleteGroups([`bench-ingest-lag-${run}`, `bench-ingest-tail-${run}`]).catch(() => undefined);
    await admin.disconnect();
    await registry.deleteSubject(`${bench.topic}-value`).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/ingest: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
