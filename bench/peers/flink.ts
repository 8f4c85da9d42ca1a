/**
 * bench/peers/flink: the Flink peer of bench/ctr (issue #15). `npm run bench:peers:flink`, or
 * `node dist/bench/peers/flink.js` after a build; writes bench/results/peers-flink.json when run alone.
 *
 *   import { runFlinkPeer } from './peers/flink';
 *   const { figures, notes } = await runFlinkPeer({ events: 1_000_000 });   // every option optional
 *
 * `runFlinkPeer(options?: FlinkPeerOptions): Promise<FlinkPeerResult>` resolves with the figures
 * (bench/common.ts Figure values, names below) and notes, and rejects with CountsDifferError (its
 * `differences` listed, also printed to stderr) when Flink's counts and clicklake's differ: then the
 * comparison is void. It needs the local stack (Kafka, schema registry, Redis, collector) and java +
 * mvn; it builds the Maven project bench/peers/flink/ into a cache dir (default
 * ~/.cache/clicklake/peers/flink, or CLICKLAKE_PEERS_CACHE/flink), rebuilt only when its pom or sources change.
 *
 * One run, in order:
 * 1. a bench topic pre-filled as bench/ctr's (bench/peers/ctrInput.ts: 1,000,000 accepted events by
 *    default, 12 partitions, Avro in the Confluent framing, schema in the local registry);
 * 2. clicklake's consumer drains it (this process, its own group and Redis prefix): events per CPU-second
 *    of this process while draining, as bench/ctr measures it;
 * 3. the Flink job (bench/peers/flink/, a MiniCluster at parallelism 1 in its own JVM under
 *    `taskset -c <cpu>` and -XX:ActiveProcessorCount=1, hashmap state, filesystem checkpoints in a temp
 *    dir) drains the same topic from earliest to latest into Redis under its own prefix, in
 *    clicklake's key layout: events per CPU-second of the whole JVM (every thread, /proc/<pid>/stat)
 *    from its first record to the job's end (the figure over the JVM's whole life, start-up
 *    included, is reported beside it);
 * 4. every (minute, campaign) count of both prefixes compared, and both against the in-memory truth;
 * 5. freshness at `rate` events/s through the real collector onto the real events topic (bench/ctr's
 *    method), first with clicklake's consumer, then with the Flink job following the topic from its end.
 *
 * Figures: flink_ctr_events_per_s_per_core, clicklake_ctr_events_per_s_per_core, ctr_ratio_vs_flink
 * (clicklake / Flink), flink_freshness_p50_ms, flink_freshness_p99_ms, clicklake_freshness_p50_ms,
 * clicklake_freshness_p99_ms, freshness_ratio_vs_flink (Flink p99 / clicklake p99), and supporting ones.
 * Environment when run alone: BENCH_EVENTS, BENCH_RATE, BENCH_WARMUP_SEC, BENCH_SECONDS, BENCH_FLINK_CPU,
 * BENCH_FLINK_OUT_OF_ORDERNESS_MS, BENCH_FLINK_CHECKPOINT_MS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type Redis from 'ioredis';
import { createRedis } from '../../activities/clients';
import type { ClicklakeConfig } from '../../core/config';
import { aggregateCtr, type CtrDelta } from '../../core/ctr';
import { repoPath } from '../../infra/repo';
import { redisCounts } from '../../test/support/ctr';
import { uniqueName } from '../../test/support/stack';
import { loadConfig } from '../../workers/config';
import { cpuSeconds, percentile, writeResult, type Figure } from '../common';
import { deletePrefix, drainWithClicklake, fillCtrBenchTopic, followWithClicklake, measureFreshness, redisServerCpu, sleep, type BenchLog, type CtrBenchTopic, type Freshness } from './ctrInput';

export interface FlinkPeerOptions {
  /** Events pre-filled on the bench topic (default 1,000,000, as bench/ctr). */
  readonly events?: number;
  /** Freshness load in events/s through the collector (default 5,000). */
  readonly rate?: number;
  /** Freshness warm-up (default 5 s) and measured span (default 60 s: every second of a minute once). */
  readonly warmupSec?: number;
  readonly measureSec?: number;
  /** CPU the Flink JVM is pinned to with taskset (default: the last one). */
  readonly cpu?: number;
  /**
   * Bound of the watermark's out-of-orderness. Default 35,000 ms, the traffic's disorder within a
   * partition (core/generator.ts: on-time events up to 5 s old when sent, a click stamped 1-30 s after
   * its impression and sent right after it). A smaller bound puts the watermark ahead of the sending
   * clock: the windows close early and most events then re-fire their window as late ones (one Redis
   * write each); the counts stay equal (allowed lateness), the cost and the freshness move.
   */
  readonly outOfOrdernessMs?: number;
  readonly checkpointIntervalMs?: number;
  /** Where the Maven build is cached. */
  readonly cacheDir?: string;
  /** Progress lines (default: stderr). */
  readonly log?: BenchLog;
  /** Defaults to loadConfig() (the local stack). */
  readonly config?: ClicklakeConfig;
}

export interface FlinkPeerResult {
  readonly figures: Record<string, Figure>;
  readonly notes: string[];
}

/** Flink's counts and clicklake's differ for the same topic: the comparison is void. */
export class CountsDifferError extends Error {
  override readonly name = 'CountsDifferError';
  readonly retryable = false;
  constructor(readonly differences: readonly string[]) {
    super(`Flink's and clicklake's CTR counts differ in ${differences.length} (minute, campaign) rows; the comparison is void:\n${differences.slice(0, 50).join('\n')}`);
  }
}

const MAIN_CLASS = 'dev.clicklake.peers.flink.CtrJob';

function defaultCacheDir(): string {
  return path.join(process.env.CLICKLAKE_PEERS_CACHE ?? path.join(os.homedir(), '.cache', 'clicklake', 'peers'), 'flink');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else out.push(full);
  }
  return out.sort();
}

/** Compiles the Maven project into the cache dir and copies its runtime jars there, unless the same pom and sources were built before. Returns the classpath. */
export function buildFlinkPeer(cacheDir: string, log: BenchLog): string {
  const project = repoPath('bench', 'peers', 'flink');
  const hash = createHash('sha256');
  for (const file of [path.join(project, 'pom.xml'), ...sourceFiles(path.join(project, 'src'))]) hash.update(path.relative(project, file)).update('\0').update(fs.readFileSync(file));
  const digest = hash.digest('hex');
  const stamp = path.join(cacheDir, 'build.sha256');
  const classes = path.join(cacheDir, 'target', 'classes');
  const lib = path.join(cacheDir, 'lib');
  const classpath = `${classes}${path.delimiter}${path.join(lib, '*')}`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest && fs.existsSync(classes)) return classpath;
  log(`building bench/peers/flink into ${cacheDir} (maven)`);
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.rmSync(path.join(cacheDir, 'target'), { recursive: true, force: true });
  fs.rmSync(lib, { recursive: true, force: true });
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-f', path.join(project, 'pom.xml'), `-Dpeer.buildDir=${path.join(cacheDir, 'target')}`, 'compile', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (mvn.status !== 0) throw new Error(`mvn failed (${mvn.status ?? mvn.signal}):\n${(mvn.stdout + mvn.stderr).slice(-4000)}`);
  fs.writeFileSync(stamp, digest);
  return classpath;
}

interface JobLine {
  readonly phase: string;
  readonly at_ms: number;
  readonly cpu_s: number;
  readonly [field: string]: unknown;
}

/** The Flink JVM: its progress lines, its last stderr lines, and its end. */
class FlinkProcess {
  private readonly child: ChildProcess;
  private readonly waiters: Array<{ phase: string; resolve: (line: JobLine) => void }> = [];
  private readonly seen = new Map<string, JobLine>();
  private readonly stderrTail: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(classpath: string, cpu: number, args: Record<string, string | number>) {
    const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
    this.child = spawn(
      'taskset',
      ['-c', String(cpu), 'java', '-XX:ActiveProcessorCount=1', '-Xms512m', '-Xmx1g', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', classpath, MAIN_CLASS, ...argv],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      if (!text.startsWith('FLINKPEER ')) return;
      const line = JSON.parse(text.slice('FLINKPEER '.length)) as JobLine;
      this.seen.set(line.phase, line);
      for (const w of this.waiters.filter((x) => x.phase === line.phase)) w.resolve(line);
    });
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      this.stderrTail.push(text);
      if (this.stderrTail.length > 60) this.stderrTail.shift();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the phase's line; rejects if the JVM exits first or `timeoutMs` passes. */
  async phase(name: string, timeoutMs: number): Promise<JobLine> {
    const known = this.seen.get(name);
    if (known !== undefined) return known;
    const line = new Promise<JobLine>((resolve) => this.waiters.push({ phase: name, resolve }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Flink job: no "${name}" within ${timeoutMs} ms\n${this.stderrTail.join('\n')}`)), timeoutMs)));
    const exit = this.exited.then(async (code) => {
      await sleep(100); // let the last stdout lines arrive
      const late = this.seen.get(name);
      if (late !== undefined) return late;
      throw new Error(`Flink job exited (${code}) before "${name}":\n${this.stderrTail.join('\n')}`);
    });
    try {
      return await Promise.race([line, timeout, exit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes stdin (a following job then cancels itself) and waits for the exit, killing this JVM (its own pid) after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function diffCounts(left: readonly CtrDelta[], right: readonly CtrDelta[], leftName: string, rightName: string): string[] {
  const key = (d: CtrDelta): string => `${d.minute} ${d.campaign_id}`;
  const l = new Map(left.map((d) => [key(d), d]));
  const r = new Map(right.map((d) => [key(d), d]));
  const out: string[] = [];
  for (const k of [...new Set([...l.keys(), ...r.keys()])].sort()) {
    const a = l.get(k);
    const b = r.get(k);
    if (a?.impressions === b?.impressions && a?.clicks === b?.clicks) continue;
    const show = (d: CtrDelta | undefined): string => (d === undefined ? 'absent' : `${d.impressions} impressions, ${d.clicks} clicks`);
    out.push(`${k}: ${leftName} ${show(a)}; ${rightName} ${show(b)}`);
  }
  return out;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

interface FlinkDrain {
  readonly cpuSec: number;
  readonly lifetimeCpuSec: number;
  readonly wallSec: number;
  readonly redisCpuSec: number;
  readonly finished: JobLine;
}

interface FlinkJobSettings {
  readonly classpath: string;
  readonly cpu: number;
  readonly outOfOrdernessMs: number;
  readonly checkpointMs: number;
  readonly checkpointDir: string;
}

/** The job's JVM on `topic` (CtrJob's arguments), with clicklake's dedup horizon and retention from the config. */
function startFlinkJob(config: ClicklakeConfig, job: FlinkJobSettings, mode: 'drain' | 'follow', topic: string, prefix: string): FlinkProcess {
  return new FlinkProcess(job.classpath, job.cpu, {
    mode,
    bootstrap: config.kafka.brokers.join(','),
    topic,
    group: uniqueName('bench-flink-ctr'),
    registry: config.schemaRegistry.url,
    redis: config.redis.url,
    prefix,
    dedupSeconds: config.ctr.dedupMinutes * 60,
    retentionMs: config.ctr.retentionHours * 3_600_000,
    outOfOrdernessMs: job.outOfOrdernessMs,
    checkpointMs: job.checkpointMs,
    checkpointDir: job.checkpointDir,
  });
}

async function drainWithFlink(
  config: ClicklakeConfig,
  redis: Redis,
  input: CtrBenchTopic,
  prefix: string,
  job: FlinkJobSettings,
): Promise<FlinkDrain> {
  const redisCpu0 = await redisServerCpu(redis);
  const flink = startFlinkJob(config, job, 'drain', input.topic, prefix);
  try {
    const first = await flink.phase('first_record', 120_000);
    const finished = await flink.phase('finished', 600_000);
    // The JVM's own reading at the job's end; /proc/<pid>/stat read here too, as a check (it also
    // includes the few ms of the JVM's exit path that may have run since).
    const procCpu = (() => {
      try {
        return cpuSeconds(flink.pid);
      } catch {
        return Number.NaN;
      }
    })();
    const redisCpuSec = (await redisServerCpu(redis)) - redisCpu0;
    await flink.exited;
    const lifetime = Number.isFinite(procCpu) ? Math.max(procCpu, finished.cpu_s) : finished.cpu_s;
    return { cpuSec: finished.cpu_s - first.cpu_s, lifetimeCpuSec: lifetime, wallSec: (finished.at_ms - first.at_ms) / 1000, redisCpuSec, finished };
  } finally {
    await flink.stop();
  }
}

async function flinkFreshness(
  config: ClicklakeConfig,
  redis: Redis,
  prefix: string,
  job: FlinkJobSettings,
  measure: (prefix: string, keepLoadUntilVisible: boolean, visibleTimeoutMs: number) => Promise<Freshness>,
): Promise<Freshness> {
  const flink = startFlinkJob(config, job, 'follow', config.kafka.eventsTopic, prefix);
  try {
    await flink.phase('running', 120_000);
    await sleep(4000); // the source's splits assigned at the latest offsets (as clicklake's 4 s group join)
    // A minute is visible once its window closes: up to 60 s + the bound after a probe's event time.
    return await measure(prefix, true, 60_000 + job.outOfOrdernessMs + 60_000);
  } finally {
    await flink.stop();
  }
}

/** Runs the peer comparison (see the top of this file). */
export async function runFlinkPeer(options: FlinkPeerOptions = {}): Promise<FlinkPeerResult> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? ((line: string) => process.stderr.write(`bench/peers/flink: ${line}\n`));
  const events = options.events ?? 1_000_000;
  const rate = options.rate ?? 5000;
  const warmupSec = options.warmupSec ?? 5;
  // A whole minute (bench/ctr: 30 s): a window's result shows when its minute closes, so a probe's
  // freshness depends on its second within the minute; 60 s samples every second once.
  const measureSec = options.measureSec ?? 60;
  const cpu = options.cpu ?? os.cpus().length - 1;
  const outOfOrdernessMs = options.outOfOrdernessMs ?? 35_000;
  const checkpointMs = options.checkpointIntervalMs ?? 10_000;
  const classpath = buildFlinkPeer(options.cacheDir ?? defaultCacheDir(), log);
  const checkpointRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-flink-peer-'));
  const job = { classpath, cpu, outOfOrdernessMs, checkpointMs, checkpointDir: checkpointRoot };
  const redis = createRedis(config.redis);
  const prefixes = { clicklake: uniqueName('benchpeerctr'), flink: uniqueName('benchpeerflink'), clicklakeLive: uniqueName('benchpeerctr'), flinkLive: uniqueName('benchpeerflink') };
  let input: CtrBenchTopic | undefined;
  try {
    input = await fillCtrBenchTopic(config, events, log);
    const ours = await drainWithClicklake(config, redis, input, prefixes.clicklake);
    log(`clicklake drained ${events} events in ${ours.wallSec.toFixed(1)} s using ${ours.cpuSec.toFixed(2)} CPU s`);
    const theirs = await drainWithFlink(config, redis, input, prefixes.flink, { ...job, checkpointDir: path.join(checkpointRoot, 'drain') });
    log(`Flink drained ${String(theirs.finished.records)} events in ${theirs.wallSec.toFixed(1)} s using ${theirs.cpuSec.toFixed(2)} CPU s (JVM lifetime ${theirs.lifetimeCpuSec.toFixed(2)} CPU s)`);

    const truth = aggregateCtr(input.counted);
    const ourCounts = await redisCounts(redis, prefixes.clicklake);
    const theirCounts = await redisCounts(redis, prefixes.flink);
    const differences = diffCounts(ourCounts, theirCounts, 'clicklake', 'flink');
    if (differences.length > 0) {
      for (const d of differences) process.stderr.write(`  ${d}\n`);
      throw new CountsDifferError(differences);
    }
    const truthDifferences = diffCounts(truth, ourCounts, 'truth', 'both');
    log(`counts equal: ${ourCounts.length} (minute, campaign) rows, ${ourCounts.reduce((n, d) => n + d.impressions + d.clicks, 0)} counted events; against the in-memory truth: ${truthDifferences.length} differences`);
    if (truthDifferences.length > 0) for (const d of truthDifferences.slice(0, 20)) log(`  ${d}`);
    await deletePrefix(redis, prefixes.clicklake);
    await deletePrefix(redis, prefixes.flink);

    const measure = (prefix: string, keepLoadUntilVisible: boolean, visibleTimeoutMs: number): Promise<Freshness> =>
      measureFreshness(config, redis, { prefix, rate, warmupSec, measureSec, visibleTimeoutMs, readMinutes: 3, keepLoadUntilVisible });
    const follower = await followWithClicklake(config, redis, prefixes.clicklakeLive);
    let ourFresh: Freshness;
    try {
      ourFresh = await measure(prefixes.clicklakeLive, true, 60_000);
    } finally {
      await follower.stop();
    }
    log(`clicklake freshness: p50 ${(percentile(ourFresh.samples, 50) * 1000).toFixed(0)} ms, p99 ${(percentile(ourFresh.samples, 99) * 1000).toFixed(0)} ms (${ourFresh.samples.length} probes)`);
    const theirFresh = await flinkFreshness(config, redis, prefixes.flinkLive, { ...job, checkpointDir: path.join(checkpointRoot, 'follow') }, measure);
    log(`Flink freshness: p50 ${(percentile(theirFresh.samples, 50) * 1000).toFixed(0)} ms, p99 ${(percentile(theirFresh.samples, 99) * 1000).toFixed(0)} ms (${theirFresh.samples.length} probes)`);

    const flinkPerCore = events / theirs.cpuSec;
    const oursPerCore = events / ours.cpuSec;
    const ms = (f: Freshness, p: number): number => Math.round(percentile(f.samples, p) * 1000);
    const figures: Record<string, Figure> = {
      flink_ctr_events_per_s_per_core: { value: Math.round(flinkPerCore), unit: 'events/s per CPU-second of the whole Flink JVM (every thread), first record to job finished, parallelism 1, one pinned CPU' },
      clicklake_ctr_events_per_s_per_core: { value: Math.round(oursPerCore), unit: "events/s per CPU-second of the process running clicklake's consumer while draining (as bench/ctr)" },
      ctr_ratio_vs_flink: { value: round(oursPerCore / flinkPerCore, 2), unit: 'clicklake / Flink events per CPU-second, same topic, same run' },
      flink_freshness_p50_ms: { value: ms(theirFresh, 50), unit: `ms from the collector's 200 to visible in Redis (Flink's prefix), at ${rate} events/s` },
      flink_freshness_p99_ms: { value: ms(theirFresh, 99), unit: `ms from the collector's 200 to visible in Redis (Flink's prefix), at ${rate} events/s` },
      clicklake_freshness_p50_ms: { value: ms(ourFresh, 50), unit: `ms from the collector's 200 to visible in readRealtimeCtr, at ${rate} events/s` },
      clicklake_freshness_p99_ms: { value: ms(ourFresh, 99), unit: `ms from the collector's 200 to visible in readRealtimeCtr, at ${rate} events/s` },
      freshness_ratio_vs_flink: { value: round(percentile(theirFresh.samples, 99) / percentile(ourFresh.samples, 99), 1), unit: 'Flink p99 / clicklake p99' },
      flink_ctr_events_per_s_per_core_jvm_lifetime: { value: Math.round(events / theirs.lifetimeCpuSec), unit: 'events per CPU-second over the JVM whole life (start-up, MiniCluster, job, shutdown path)' },
      flink_ctr_events_per_s_wall: { value: Math.round(events / theirs.wallSec), unit: 'events/s, first record to job finished' },
      clicklake_ctr_events_per_s_wall: { value: Math.round(events / ours.wallSec), unit: 'events/s, first batch to drained' },
      flink_redis_cpu_us_per_event: { value: round((theirs.redisCpuSec / events) * 1e6, 3), unit: 'µs of Redis server CPU per event while Flink drained (whole server)' },
      clicklake_redis_cpu_us_per_event: { value: round((ours.redisCpuSec / events) * 1e6, 3), unit: 'µs of Redis server CPU per event while clicklake drained (dedup marks and counters in its apply script)' },
      flink_ctr_events_per_s_per_core_with_redis: { value: Math.round(events / (theirs.cpuSec + theirs.redisCpuSec)), unit: 'events per CPU-second of the JVM plus the Redis server' },
      clicklake_ctr_events_per_s_per_core_with_redis: { value: Math.round(events / (ours.cpuSec + ours.redisCpuSec)), unit: 'events per CPU-second of the consumer process plus the Redis server' },
      freshness_samples: { value: Math.min(ourFresh.samples.length, theirFresh.samples.length), unit: 'probes measured per consumer (each)' },
      flink_freshness_rate: { value: Math.round(theirFresh.sentEvents / theirFresh.wallSec), unit: 'events/s sent during the Flink freshness part (tail included)' },
      clicklake_freshness_rate: { value: Math.round(ourFresh.sentEvents / ourFresh.wallSec), unit: 'events/s sent during the clicklake freshness part' },
      freshness_failed_requests: { value: ourFresh.failedRequests + theirFresh.failedRequests, unit: `collector requests without an answer (probes not measured), of ${ourFresh.requests + theirFresh.requests}` },
    };
    const f = theirs.finished;
    const notes = [
      `input: ${events} accepted events pre-filled as bench/ctr's (200 campaigns, 5% duplicates, 5% late by 1-6 h, 2% quarantined, ${input.partitions} partitions); counts equal per (minute, campaign): ${ourCounts.length} rows; in-memory truth (core/ctr aggregateCtr): ${truthDifferences.length} differences`,
      `clicklake: ${ours.progress.counted} counted, ${ours.progress.duplicates} duplicates dropped, ${ours.progress.expired} expired; Flink: ${String(f.records)} records, ${String(f.countable)} countable, ${String(f.duplicates)} duplicates dropped, ${String(f.firings)} window firings, ${String(f.too_late_for_window)} too late for their window, ${String(f.undecodable)} undecodable`,
      `Flink 2.2.0 MiniCluster, parallelism 1, taskset -c ${cpu} and -XX:ActiveProcessorCount=1 (the JVM then picks SerialGC), -Xmx1g, hashmap state, filesystem checkpoints every ${checkpointMs} ms; 1-min tumbling event-time windows, out-of-orderness ${outOfOrdernessMs} ms, allowed lateness = retention (${config.ctr.retentionHours} h), dedup by event_id in keyed state with a ${config.ctr.dedupMinutes}-min processing-time TTL; results HSET into Redis with Jedis (pipelined, synced per watermark)`,
      `clicklake's consumer runs in the bench's Node process, not pinned; its dedup and counting run in Redis (Lua), whose CPU is reported beside it, not in its per-core figure`,
      `freshness: ${warmupSec} s warm-up, ${measureSec} s measured, probes polled every 20 ms over 3 minutes of buckets; the load keeps flowing (unmeasured) until every measured probe is visible (Flink's windows close only as event time advances); clicklake first, then Flink, on the real ${config.kafka.eventsTopic} with whatever else runs on it`,
    ];
    return { figures, notes };
  } finally {
    for (const prefix of Object.values(prefixes)) await deletePrefix(redis, prefix).catch(() => undefined);
    await input?.cleanup();
    redis.disconnect();
    fs.rmSync(checkpointRoot, { recursive: true, force: true });
  }
}

function numberEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name}: not a number: ${raw}`);
  return n;
}

async function main(): Promise<void> {
  const result = await runFlinkPeer({
    events: numberEnv('BENCH_EVENTS'),
    rate: numberEnv('BENCH_RATE'),
    warmupSec: numberEnv('BENCH_WARMUP_SEC'),
    measureSec: numberEnv('BENCH_SECONDS'),
    cpu: numberEnv('BENCH_FLINK_CPU'),
    outOfOrdernessMs: numberEnv('BENCH_FLINK_OUT_OF_ORDERNESS_MS'),
    checkpointIntervalMs: numberEnv('BENCH_FLINK_CHECKPOINT_MS'),
  });
  writeResult({ name: 'peers-flink', figures: result.figures, notes: result.notes });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench/peers/flink: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
