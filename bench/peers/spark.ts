/**
 * bench/peers/spark: clicklake's Bronze -> Silver beside Apache Spark 4.1.1 doing the same work on the
 * same files, one core each, in the same run.
 *
 *   export async function runSparkPeer(options?: SparkPeerOptions): Promise<SparkPeerResult>
 *     options.records    Bronze records to generate (default BENCH_PEER_RECORDS or 5,000,000)
 *     options.bentEvery  bend every n-th record to exercise the rules (default BENCH_PEER_BENT_EVERY or 0: none)
 *     options.cpu        the CPU Spark is pinned to with taskset (default BENCH_PEER_CPU or the last one)
 *     options.log        progress lines (default: to stderr)
 *   -> { figures, notes } ready for bench/common.ts writeResult; figures include
 *      spark_silver_events_per_s_per_core, clicklake_silver_events_per_s_per_core, silver_ratio_vs_spark,
 *      bronze_records and spark_startup_seconds. Throws SilverMismatchError (the comparison is void)
 *      when the two Silver outputs differ, after logging the differing columns and rows.
 *   Run alone (`npm run bench:peers:spark`), it writes bench/results/peers-spark.json and exits 1 on a mismatch.
 *
 * 1. Input: bench/peers/input.ts, the generator of bench/promote (zstd NDJSON Bronze objects in a temp dir).
 * 2. clicklake: activities/silverSql.ts buildSilverHour with DuckDB threads=1, as promotion runs it but
 *    without the quarantine file (Spark writes none); it also writes and reads back the hourly Gold,
 *    which Spark does not do. CPU of this process (user + system, DuckDB's thread included).
 * 3. Spark: the Maven project bench/peers/spark/ built into the cache folder (CLICKLAKE_CACHE_DIR or
 *    ~/.cache/clicklake, /peers/spark/<hash of its sources>) on first use; run as
 *    `taskset -c <cpu> java -XX:ActiveProcessorCount=1 ...` with local[1] and one shuffle partition, the
 *    query of bench/peers/sparkSql.ts. CPU of the whole JVM (utime + stime from /proc, every thread).
 * 4. Each engine runs twice on the whole input; the second run is measured (JIT and caches warm).
 * 5. Equality: both Silver outputs read with DuckDB: row count, distinct event_ids and, per column, an
 *    order-independent hash of (event_id, value) over all rows (maps with their entries sorted).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { buildSilverHour } from '../../activities/silverSql';
import { quoteLiteral } from '../../core/lake';
import { SILVER_EVENTS, dataColumns } from '../../core/lakeTables';
import { parseHourKey } from '../../core/time';
import { repoPath } from '../../infra/repo';
import { cpuSeconds, peakRssMiB, writeResult, type Figure } from '../common';
import { BEND_NAMES, BENCH_HMAC_KEY, BENCH_HOUR, writeBronzeInput } from './input';
import { bronzeSchemaDdl, silverSparkSql } from './sparkSql';

export interface SparkPeerOptions {
  readonly records?: number;
  readonly bentEvery?: number;
  readonly cpu?: number;
  readonly log?: (text: string) => void;
}

export interface SparkPeerResult {
  readonly figures: Record<string, Figure>;
  readonly notes: string[];
}

/** The two Silver outputs differ: the comparison of speeds is void. */
export class SilverMismatchError extends Error {
  constructor(readonly differences: string[]) {
    super(`Spark and clicklake Silver differ:\n${differences.join('\n')}`);
    this.name = 'SilverMismatchError';
  }
}

const PROJECT_DIR = repoPath('bench', 'peers', 'spark');
const JVM_HEAP = process.env.BENCH_PEER_SPARK_HEAP ?? '6g';

const envNumber = (name: string, fallback: number): number => {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}: must be a whole number ≥ 0, got ${text}`);
  return value;
};

const round = (value: number, digits = 0): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Files of the Maven project, relative, sorted: what its build depends on. */
function projectFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = path.join(prefix, entry.name);
      if (entry.name === 'target') return [];
      return entry.isDirectory() ? projectFiles(dir, relative) : [relative];
    })
    .sort();
}

async function run(command: string, args: readonly string[], options: { cwd: string; logFile: string }): Promise<void> {
  const out = fs.openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', out, out] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}); see ${options.logFile}`);
  } finally {
    fs.closeSync(out);
  }
}

/** The job's jar and Spark's jars, built once per version of bench/peers/spark/ into the cache folder. */
export async function ensureSparkPeerBuilt(log: (text: string) => void): Promise<{ classpath: string; buildDir: string }> {
  const cacheRoot = process.env.CLICKLAKE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'clicklake');
  const files = projectFiles(PROJECT_DIR);
  const digest = createHash('sha256');
  for (const file of files) digest.update(`${file}\n`).update(fs.readFileSync(path.join(PROJECT_DIR, file)));
  const buildDir = path.join(cacheRoot, 'peers', 'spark', digest.digest('hex').slice(0, 16));
  const jar = path.join(buildDir, 'target', 'clicklake-spark-peer-1.jar');
  const done = path.join(buildDir, 'target', 'built');
  if (!fs.existsSync(done)) {
    log(`building the Spark peer in ${buildDir} (first run: Spark's ~200 jars from Maven Central)`);
    fs.rmSync(buildDir, { recursive: true, force: true });
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(buildDir, file)), { recursive: true });
      fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(buildDir, file));
    }
    const m2 = path.join(cacheRoot, 'm2');
    await run('mvn', ['-B', '-q', `-Dmaven.repo.local=${m2}`, 'package', 'dependency:copy-dependencies'], { cwd: buildDir, logFile: path.join(buildDir, 'build.log') });
    if (!fs.existsSync(jar)) throw new Error(`the Spark peer's build made no ${jar}; see ${path.join(buildDir, 'build.log')}`);
    fs.writeFileSync(done, `${new Date().toISOString()}\n`);
  }
  return { classpath: `${path.join(buildDir, 'target', 'lib', '*')}:${jar}`, buildDir };
}

interface JobLine {
  readonly event: 'started' | 'pass' | 'stopped';
  readonly pass: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

interface SparkRun {
  readonly startupSeconds: number;
  readonly startupCpuSeconds: number;
  readonly passes: JobLine[];
  readonly processCpuSeconds: number;
  readonly peakRssMiB: number;
}

/** Runs the Spark job (pinned to one CPU) over the Bronze folder, `passes` times; its own figures per pass. */
async function runSparkJob(options: { classpath: string; bronzeDir: string; outDir: string; workDir: string; cpu: number; passes: number; log: (text: string) => void }): Promise<SparkRun> {
  const { startMs } = parseHourKey(BENCH_HOUR);
  const schemaFile = path.join(options.workDir, 'bronze-schema.ddl');
  const sqlFile = path.join(options.workDir, 'silver.sql');
  fs.writeFileSync(schemaFile, bronzeSchemaDdl());
  fs.writeFileSync(sqlFile, silverSparkSql({ startMs }));
  const stderrFile = path.join(options.workDir, 'spark-stderr.log');
  const stderr = fs.openSync(stderrFile, 'w');
  const t0 = performance.now();
  const child = spawn(
    'taskset',
    [
      '-c',
      String(options.cpu),
      'java',
      '-XX:ActiveProcessorCount=1',
      `-Xmx${JVM_HEAP}`,
      `-Djava.io.tmpdir=${options.workDir}`,
      '-cp',
      options.classpath,
      'clicklake.peers.spark.SilverJob',
      options.bronzeDir,
      options.outDir,
      schemaFile,
      sqlFile,
      String(options.passes),
    ],
    { cwd: options.workDir, stdio: ['ignore', 'pipe', stderr], env: { ...process.env, CLICKLAKE_PEER_HMAC_KEY: BENCH_HMAC_KEY } },
  );
  fs.closeSync(stderr);
  const pid = child.pid;
  const stdout = child.stdout;
  if (pid === undefined || stdout === null) throw new Error('could not start taskset/java');
  // taskset execs java: the pid is the JVM's. Its CPU and peak memory, read until it ends.
  let lastCpu = 0;
  let lastRss = 0;
  const sample = (): void => {
    try {
      // The largest seen: a last sample of the exited (zombie) JVM reads 0 memory.
      lastCpu = Math.max(lastCpu, cpuSeconds(pid));
      lastRss = Math.max(lastRss, peakRssMiB(pid));
    } catch {
      // gone
    }
  };
  const sampler = setInterval(sample, 500);
  const lines: JobLine[] = [];
  let startupSeconds = Number.NaN;
  const reader = readline.createInterface({ input: stdout });
  reader.on('line', (line) => {
    if (!line.startsWith('{')) return;
    const parsed = JSON.parse(line) as JobLine;
    if (parsed.event === 'started') startupSeconds = (performance.now() - t0) / 1000;
    if (parsed.event === 'started' || parsed.event === 'pass') sample();
    lines.push(parsed);
    options.log(`spark: ${line}`);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  clearInterval(sampler);
  if (code !== 0) {
    const tail = fs.readFileSync(stderrFile, 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`the Spark job failed (exit ${code}); its stderr ends:\n${tail}`);
  }
  const started = lines.find((l) => l.event === 'started');
  const stopped = lines.find((l) => l.event === 'stopped');
  return {
    startupSeconds,
    startupCpuSeconds: started?.cpuSeconds ?? Number.NaN,
    passes: lines.filter((l) => l.event === 'pass'),
    // The job's own total (from its main) or the last sample of /proc, whichever saw more.
    processCpuSeconds: Math.max(stopped?.cpuSeconds ?? 0, lastCpu),
    peakRssMiB: lastRss,
  };
}

/** A Silver column as comparable text: maps with their entries sorted, NULL as '~'. */
function normalized(column: { name: string; type: string }): string {
  const value =
    column.type === 'map(varchar, varchar)'
      ? `CAST(list_sort(list_transform(map_entries("${column.name}"), e -> e.key || '=' || e.value)) AS VARCHAR)`
      : `CAST("${column.name}" AS VARCHAR)`;
  return `coalesce(${value}, '~')`;
}

/** Differences between two Silver outputs (empty: equal), with the first differing rows. */
async function compareSilver(clicklakeFile: string, sparkGlob: string): Promise<{ differences: string[]; rows: number; columns: number }> {
  const duck = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await duck.connect();
  try {
    const columns = dataColumns(SILVER_EVENTS);
    const sides = { clicklake: `read_parquet(${quoteLiteral(clicklakeFile)})`, spark: `read_parquet(${quoteLiteral(sparkGlob)})` };
    const aggregate = async (source: string): Promise<string[]> => {
      const hashes = columns.map((c) => `CAST(bit_xor(hash(event_id || chr(31) || ${normalized(c)})) AS VARCHAR)`);
      const rows = (await connection.runAndReadAll(`SELECT CAST(count(*) AS VARCHAR), CAST(count(DISTINCT event_id) AS VARCHAR), ${hashes.join(', ')} FROM ${source}`)).getRows();
      return (rows[0] ?? []).map(String);
    };
    const a = await aggregate(sides.clicklake);
    const b = await aggregate(sides.spark);
    const differences: string[] = [];
    const names = ['rows', 'distinct event_id', ...columns.map((c) => `column ${c.name}`)];
    names.forEach((name, i) => {
      if (a[i] !== b[i]) differences.push(`${name}: clicklake ${a[i]}, spark ${b[i]}`);
    });
    if (differences.length > 0) {
      // Which rows: joined on event_id, every column compared.
      const diffs = columns.map((c) => `CASE WHEN ${normalized(c).replaceAll(`"${c.name}"`, `k."${c.name}"`)} IS DISTINCT FROM ${normalized(c).replaceAll(`"${c.name}"`, `s."${c.name}"`)} THEN '${c.name}' END`);
      const sql =
        `SELECT coalesce(k.event_id, s.event_id) AS event_id, k.event_id IS NULL AS only_spark, s.event_id IS NULL AS only_clicklake, ` +
        `concat_ws(',', ${diffs.join(', ')}) AS columns FROM ${sides.clicklake} k FULL JOIN ${sides.spark} s ON s.event_id = k.event_id`;
      const summary = (await connection.runAndReadAll(`SELECT columns, only_spark, only_clicklake, count(*) FROM (${sql}) WHERE columns <> '' OR only_spark OR only_clicklake GROUP BY ALL ORDER BY 4 DESC LIMIT 20`)).getRows();
      for (const [cols, onlySpark, onlyClicklake, count] of summary) differences.push(`${String(count)} rows: ${onlySpark ? 'only in Spark' : onlyClicklake ? 'only in clicklake' : `differ in ${String(cols)}`}`);
      const examples = (await connection.runAndReadAll(`SELECT * FROM (${sql}) WHERE columns <> '' OR only_spark OR only_clicklake LIMIT 5`)).getRows();
      for (const [eventId] of examples) {
        for (const [side, source] of Object.entries(sides)) {
          const row = (await connection.runAndReadAll(`SELECT ${columns.map(normalized).join(', ')} FROM ${source} WHERE event_id = ${quoteLiteral(String(eventId))}`)).getRows()[0];
          differences.push(`  ${String(eventId)} ${side}: ${row === undefined ? '(none)' : row.map(String).join(' | ')}`);
        }
      }
    }
    return { differences, rows: Number(a[0]), columns: columns.length };
  } finally {
    connection.closeSync();
    duck.closeSync();
  }
}

export async function runSparkPeer(options: SparkPeerOptions = {}): Promise<SparkPeerResult> {
  const records = options.records ?? envNumber('BENCH_PEER_RECORDS', 5_000_000);
  const bentEvery = options.bentEvery ?? envNumber('BENCH_PEER_BENT_EVERY', 0);
  const cpu = options.cpu ?? envNumber('BENCH_PEER_CPU', os.cpus().length - 1);
  const log = options.log ?? ((text: string): void => void process.stderr.write(`bench/peers/spark: ${text}\n`));
  const { classpath } = await ensureSparkPeerBuilt(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-peers-spark-'));
  const figures: Record<string, Figure> = {};
  const notes: string[] = [];
  try {
    log(`generating ${records} Bronze records${bentEvery > 0 ? `, every ${bentEvery}th bent` : ''}`);
    const bronzeDir = path.join(dir, 'bronze');
    const input = await writeBronzeInput({ count: records, dir: bronzeDir, bentEvery });
    log(`${input.records} Bronze records in ${input.files.length} objects (${round(input.bytes / 2 ** 20, 1)} MiB zstd)`);
    figures.bronze_records = { value: input.records, unit: `Bronze records (bench/promote's generator, 1% re-sent duplicates${input.bent > 0 ? `, ${input.bent} bent to break or bend a rule` : ''})` };

    // clicklake: a warm-up build, then the measured one.
    const silverFile = path.join(dir, 'clicklake-silver.parquet');
    const build = () =>
      buildSilverHour({ bronzeFiles: input.files, hour: BENCH_HOUR, priorState: new Map(), hmacKey: BENCH_HMAC_KEY, silverFile, goldFile: path.join(dir, 'clicklake-gold.parquet'), threads: 1 });
    log('clicklake (DuckDB SQL, 1 thread): warm-up pass');
    await build();
    log('clicklake: measured pass');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const built = await build();
    const clicklakeWall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    const clicklakeCpu = (used.user + used.system) / 1e6;
    notes.push(`clicklake ledger: ${JSON.stringify(built.ledger)}; records the SQL fast check left to JS: ${built.checkedInJs}`);

    // Spark: one JVM, a warm-up pass and the measured one.
    log(`Spark 4.1.1 (local[1], pinned to CPU ${cpu}): start-up, warm-up pass, measured pass`);
    const sparkOut = path.join(dir, 'spark');
    const spark = await runSparkJob({ classpath, bronzeDir, outDir: sparkOut, workDir: dir, cpu, passes: 2, log });
    const measured = spark.passes.find((p) => p.pass === 2);
    const warmup = spark.passes.find((p) => p.pass === 1);
    if (measured === undefined || warmup === undefined) throw new Error('the Spark job reported no second pass');

    log('comparing the two Silver outputs');
    const comparison = await compareSilver(silverFile, path.join(sparkOut, 'pass-2', '*.parquet'));
    if (comparison.differences.length > 0) {
      for (const line of comparison.differences) log(line);
      throw new SilverMismatchError(comparison.differences);
    }

    const sparkPerCore = Math.round(input.records / measured.cpuSeconds);
    const clicklakePerCore = Math.round(input.records / clicklakeCpu);
    figures.spark_silver_events_per_s_per_core = { value: sparkPerCore, unit: 'Bronze records/s per CPU-second of the whole JVM, Spark 4.1.1 local[1], second pass' };
    figures.clicklake_silver_events_per_s_per_core = { value: clicklakePerCore, unit: 'Bronze records/s per CPU-second of this process, DuckDB SQL (activities/silverSql.ts), 1 thread, second pass' };
    figures.silver_ratio_vs_spark = { value: round(clicklakePerCore / sparkPerCore, 2), unit: 'x: clicklake records per CPU-second over Spark\'s, same input, same run, Silver equal' };
    figures.silver_rows = { value: comparison.rows, unit: `rows, equal in both (count, event_ids and a hash of (event_id, value) for each of the ${comparison.columns} columns)` };
    figures.spark_startup_seconds = { value: round(spark.startupSeconds, 1), unit: 's: from spawning the JVM to a SparkSession' };
    figures.spark_startup_cpu_seconds = { value: round(spark.startupCpuSeconds, 1), unit: 'CPU-s of the JVM inside main until the SparkSession is up' };
    figures.spark_warmup_events_per_s_per_core = { value: Math.round(input.records / warmup.cpuSeconds), unit: 'Bronze records/s per CPU-second, Spark first pass (cold JIT)' };
    figures.spark_silver_events_per_s_wall = { value: Math.round(input.records / measured.wallSeconds), unit: 'Bronze records/s, Spark second pass, one pinned CPU shared with other work' };
    figures.clicklake_silver_events_per_s_wall = { value: Math.round(input.records / clicklakeWall), unit: 'Bronze records/s, clicklake second pass' };
    figures.spark_pass_cpu_seconds = { value: round(measured.cpuSeconds, 2), unit: 'CPU-s of the JVM, second pass' };
    figures.clicklake_pass_cpu_seconds = { value: round(clicklakeCpu, 2), unit: 'CPU-s of this process, second pass' };
    figures.spark_process_cpu_seconds = { value: round(spark.processCpuSeconds, 1), unit: 'CPU-s of the JVM in all (start-up, both passes, stop)' };
    figures.spark_peak_rss_mib = { value: spark.peakRssMiB, unit: `MiB, JVM peak resident memory (-Xmx${JVM_HEAP})` };
    notes.push(
      'both engines ran twice over the whole input in this run; the second pass is measured; CPU is user + system of the whole process',
      'clicklake writes and reads back the hourly Gold file too (Spark writes Silver only); neither writes the quarantine file',
      'Spark: the rules of core/event.ts in Spark SQL (bench/peers/sparkSql.ts, which lists what is not exact), a receive-order window for dedup, HMAC-SHA256 user_key in a Java UDF, sessions by windows, zstd Parquet',
    );
    if (input.bent > 0) notes.push(`bent records (${input.bent}), one each in turn: ${BEND_NAMES.join('; ')}`);
    return { figures, notes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runSparkPeer()
    .then(({ figures, notes }) => writeResult({ name: 'peers-spark', figures, notes }))
    .catch((err: unknown) => {
      process.stderr.write(`bench/peers/spark: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
