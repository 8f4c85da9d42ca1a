package clicklake.peers.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * The Spark peer of clicklake's Bronze -> Silver (bench/peers/spark.ts drives it):
 *   java -cp 'lib/*:job.jar' clicklake.peers.spark.SilverJob BRONZE_DIR OUT_DIR SCHEMA_FILE SQL_FILE PASSES
 * with the HMAC key in CLICKLAKE_PEER_HMAC_KEY. local[1], one shuffle partition, no UI. The query
 * (bench/peers/sparkSql.ts) reads the view `bronze` and calls the UDF `user_key`; each pass writes
 * its Silver rows as zstd Parquet to OUT_DIR/pass-N. After start-up and after every pass one JSON line
 * on stdout: wall and CPU seconds of this whole process (utime + stime from /proc/self/stat, every
 * JVM thread: JIT, GC, Spark's own), so the driver measures a pass without reading /proc itself.
 */
public final class SilverJob {
  private SilverJob() {}

  /** utime + stime of this process in seconds (clock ticks of 100 Hz, as bench/common.ts cpuSeconds). */
  static double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
  }

  static void report(String event, int pass, double wall, double cpu) {
    System.out.println(String.format(Locale.ROOT, "{\"event\":\"%s\",\"pass\":%d,\"wallSeconds\":%.3f,\"cpuSeconds\":%.2f}", event, pass, wall, cpu));
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 5) throw new IllegalArgumentException("usage: SilverJob BRONZE_DIR OUT_DIR SCHEMA_FILE SQL_FILE PASSES");
    String bronzeDir = args[0];
    String outDir = args[1];
    String schema = Files.readString(Path.of(args[2])).trim();
    String sql = Files.readString(Path.of(args[3]));
    int passes = Integer.parseInt(args[4]);
    String key = System.getenv("CLICKLAKE_PEER_HMAC_KEY");
    if (key == null || key.isEmpty()) throw new IllegalArgumentException("CLICKLAKE_PEER_HMAC_KEY: empty");

    long t0 = System.nanoTime();
    double cpu0 = cpuSeconds();
    SparkSession spark = SparkSession.builder()
        .appName("clicklake-spark-peer")
        .master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        // The validity predicate has some thirty conjuncts over as many columns: propagating them as
        // constraints through every alias and window made planning alone fill a 4 GB heap.
        .config("spark.sql.constraintPropagation.enabled", "false")
        .getOrCreate();
    spark.udf().register("user_key", new UserKey(key), DataTypes.StringType);
    report("started", 0, (System.nanoTime() - t0) / 1e9, cpuSeconds() - cpu0);

    for (int pass = 1; pass <= passes; pass++) {
      long p0 = System.nanoTime();
      double c0 = cpuSeconds();
      spark.read().schema(schema).json(bronzeDir + "/*.ndjson.zst").createOrReplaceTempView("bronze");
      spark.sql(sql).write().mode("overwrite").option("compression", "zstd").parquet(outDir + "/pass-" + pass);
      report("pass", pass, (System.nanoTime() - p0) / 1e9, cpuSeconds() - c0);
    }
    spark.stop();
    report("stopped", passes, (System.nanoTime() - t0) / 1e9, cpuSeconds() - cpu0);
  }
}
