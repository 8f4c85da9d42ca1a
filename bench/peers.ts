/**
 * bench/peers — `npm run bench:peers`: clicklake beside what users would run instead, on the same
 * inputs, in one run (issue #15): the Spark peer on the Bronze → Silver job (bench/peers/spark.ts) and
 * the Flink peer on the real-time CTR job (bench/peers/flink.ts). Each peer checks that its output
 * equals clicklake's (Silver row for row; counts per campaign and minute) and throws when not: then
 * no figure of that pair is written, because the comparison is void.
 *
 * Writes bench/results/peers.json with every figure of both and the three ratios
 * `silver_ratio_vs_spark`, `ctr_ratio_vs_flink`, `freshness_ratio_vs_flink`. Needs java + mvn (the
 * peers build themselves into ~/.cache/clicklake/peers) and, for Flink, the local stack.
 * Environment: BENCH_RECORDS (Spark input, default 5,000,000), BENCH_EVENTS (Flink topic, default
 * 1,000,000), BENCH_PEERS=spark|flink to run one only.
 */
import { writeResult, type Figure } from './common';
import { runFlinkPeer } from './peers/flink';
import { runSparkPeer } from './peers/spark';

const log = (text: string): void => {
  process.stderr.write(`bench/peers: ${text}\n`);
};

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name}: expected a whole number > 0, got "${raw}"`);
  return value;
}

/** Targets of issue #15, printed beside the measured ratios (never used to round them). */
const TARGETS: Readonly<Record<string, number>> = { silver_ratio_vs_spark: 2, ctr_ratio_vs_flink: 2, freshness_ratio_vs_flink: 100 };

async function main(): Promise<void> {
  const only = process.env.BENCH_PEERS;
  if (only !== undefined && only !== 'spark' && only !== 'flink') throw new Error(`BENCH_PEERS: expected spark or flink, got "${only}"`);
  const figures: Record<string, Figure> = {};
  const notes: string[] = [];
  if (only !== 'flink') {
    log('Spark peer: Bronze -> Silver, Spark 4.1 local[1] beside clicklake (DuckDB, 1 thread)');
    const records = envNumber('BENCH_RECORDS');
    const spark = await runSparkPeer({ ...(records === undefined ? {} : { records }), log });
    Object.assign(figures, spark.figures);
    notes.push(...spark.notes.map((n) => `spark: ${n}`));
  }
  if (only !== 'spark') {
    log('Flink peer: real-time CTR, Flink 2.2 MiniCluster at parallelism 1 beside clicklake');
    const events = envNumber('BENCH_EVENTS');
    const flink = await runFlinkPeer({ ...(events === undefined ? {} : { events }) });
    Object.assign(figures, flink.figures);
    notes.push(...flink.notes.map((n) => `flink: ${n}`));
  }
  for (const [name, target] of Object.entries(TARGETS)) {
    const figure = figures[name];
    if (figure !== undefined) log(`${name} = ${figure.value} (target ≥ ${target}: ${figure.value >= target ? 'met' : 'NOT met'})`);
  }
  writeResult({ name: 'peers', figures, notes });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/peers: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
