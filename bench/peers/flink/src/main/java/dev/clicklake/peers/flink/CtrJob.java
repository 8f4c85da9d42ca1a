package dev.clicklake.peers.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The Flink peer of clicklake's real-time CTR consumer (bench/peers/flink.ts drives it).
 *
 * Kafka (Confluent-framed Avro) -> decode -> the events CTR counts (core/ctr.ts: ad_impression and
 * ad_click naming a campaign, not quarantined) -> keyBy(event_id), first copy wins while its mark
 * lives (keyed state with a processing-time TTL of the dedup horizon, as clicklake's `SET NX EX`) ->
 * keyBy(campaign) -> 1-minute tumbling event-time windows (bounded out-of-orderness; allowed lateness
 * = clicklake's bucket retention, so a late event re-fires its window with the new total) -> Redis.
 *
 * Modes: `drain` reads the topic from its earliest to its latest offsets (bounded) and ends;
 * `follow` starts at the latest offsets, runs until stdin closes, then cancels the job.
 * Progress goes to stdout as lines `FLINKPEER {json}`.
 *
 * Arguments (all `--name value`): mode, bootstrap, topic, group, registry, redis, prefix,
 * dedupSeconds, retentionMs, outOfOrdernessMs, checkpointMs, checkpointDir.
 */
public final class CtrJob {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CtrJob() {}

  /** utime + stime of this JVM (every thread) in seconds, from /proc/self/stat (100 Hz ticks), as bench/common.ts cpuSeconds. */
  public static double processCpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  public static synchronized void report(String phase, Map<String, ?> fields) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("phase", phase);
    line.put("at_ms", System.currentTimeMillis());
    line.putAll(fields);
    try {
      System.out.println("FLINKPEER " + JSON.writeValueAsString(line));
      System.out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every record passes here; only the events CTR counts go on. */
  static final class Countable extends RichFilterFunction<CtrEvent> {
    private final LongCounter records = new LongCounter();
    private final LongCounter countable = new LongCounter();

    @Override
    public void open(OpenContext context) {
      getRuntimeContext().addAccumulator("records", records);
      getRuntimeContext().addAccumulator("countable", countable);
    }

    @Override
    public boolean filter(CtrEvent e) {
      records.add(1L);
      if (!e.counts()) return false;
      countable.add(1L);
      return true;
    }
  }

  /** Keyed by event_id: the first copy goes on, later ones are dropped while the mark lives. */
  static final class FirstCopy extends KeyedProcessFunction<String, CtrEvent, CtrEvent> {
    private final long dedupSeconds;
    private final LongCounter duplicates = new LongCounter();
    private transient ValueState<Boolean> seen;

    FirstCopy(long dedupSeconds) {
      this.dedupSeconds = dedupSeconds;
    }

    @Override
    public void open(OpenContext context) {
      ValueStateDescriptor<Boolean> descriptor = new ValueStateDescriptor<>("seen", Types.BOOLEAN);
      descriptor.enableTimeToLive(
          StateTtlConfig.newBuilder(Duration.ofSeconds(dedupSeconds))
              .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
              .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
              .build());
      seen = getRuntimeContext().getState(descriptor);
      getRuntimeContext().addAccumulator("duplicates", duplicates);
    }

    @Override
    public void processElement(CtrEvent e, Context ctx, Collector<CtrEvent> out) throws IOException {
      if (seen.value() != null) {
        duplicates.add(1L);
        return;
      }
      seen.update(Boolean.TRUE);
      out.collect(e);
    }
  }

  /** (impressions, clicks) of a window. */
  static final class Count implements AggregateFunction<CtrEvent, Tuple2<Long, Long>, Tuple2<Long, Long>> {
    @Override
    public Tuple2<Long, Long> createAccumulator() {
      return Tuple2.of(0L, 0L);
    }

    @Override
    public Tuple2<Long, Long> add(CtrEvent e, Tuple2<Long, Long> acc) {
      if (e.isClick()) acc.f1 += 1;
      else acc.f0 += 1;
      return acc;
    }

    @Override
    public Tuple2<Long, Long> getResult(Tuple2<Long, Long> acc) {
      return acc;
    }

    @Override
    public Tuple2<Long, Long> merge(Tuple2<Long, Long> a, Tuple2<Long, Long> b) {
      return Tuple2.of(a.f0 + b.f0, a.f1 + b.f1);
    }
  }

  /** (campaign, minute since the epoch, impressions, clicks) of a firing. */
  static final class Result extends ProcessWindowFunction<Tuple2<Long, Long>, Tuple4<String, Long, Long, Long>, String, TimeWindow> {
    private final LongCounter firings = new LongCounter();

    @Override
    public void open(OpenContext context) {
      getRuntimeContext().addAccumulator("firings", firings);
    }

    @Override
    public void process(String campaign, Context ctx, Iterable<Tuple2<Long, Long>> counts, Collector<Tuple4<String, Long, Long, Long>> out) {
      Tuple2<Long, Long> c = counts.iterator().next();
      firings.add(1L);
      out.collect(Tuple4.of(campaign, ctx.window().getStart() / 60_000L, c.f0, c.f1));
    }
  }

  static final class CountDropped extends RichFilterFunction<CtrEvent> {
    private final LongCounter dropped = new LongCounter();

    @Override
    public void open(OpenContext context) {
      getRuntimeContext().addAccumulator("too_late_for_window", dropped);
    }

    @Override
    public boolean filter(CtrEvent e) {
      dropped.add(1L);
      return false;
    }
  }

  private static Map<String, String> parseArgs(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --name value, got " + args[i]);
      out.put(args[i].substring(2), args[i + 1]);
    }
    return out;
  }

  private static String required(Map<String, String> args, String name) {
    String v = args.get(name);
    if (v == null) throw new IllegalArgumentException("missing --" + name);
    return v;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = parseArgs(argv);
    String mode = required(args, "mode");
    if (!mode.equals("drain") && !mode.equals("follow")) throw new IllegalArgumentException("--mode: drain or follow");
    long dedupSeconds = Long.parseLong(required(args, "dedupSeconds"));
    long retentionMs = Long.parseLong(required(args, "retentionMs"));
    long outOfOrdernessMs = Long.parseLong(required(args, "outOfOrdernessMs"));

    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 1);
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, Path.of(required(args, "checkpointDir")).toUri().toString());
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(Long.parseLong(required(args, "checkpointMs"))));
    conf.set(CheckpointingOptions.ENABLE_CHECKPOINTS_AFTER_TASKS_FINISH, true);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    // No function here keeps a reference to a record it was given: chained operators may pass the same object on.
    env.getConfig().enableObjectReuse();

    Properties kafka = new Properties();
    kafka.setProperty("commit.offsets.on.checkpoint", "false");
    kafka.setProperty("partition.discovery.interval.ms", "-1");
    KafkaSourceBuilder<CtrEvent> builder =
        KafkaSource.<CtrEvent>builder()
            .setBootstrapServers(required(args, "bootstrap"))
            .setTopics(required(args, "topic"))
            .setGroupId(required(args, "group"))
            .setProperties(kafka)
            .setDeserializer(new ConfluentAvroDecoder(required(args, "registry")));
    if (mode.equals("drain")) builder.setStartingOffsets(OffsetsInitializer.earliest()).setBounded(OffsetsInitializer.latest());
    else builder.setStartingOffsets(OffsetsInitializer.latest());

    WatermarkStrategy<CtrEvent> watermarks =
        WatermarkStrategy.<CtrEvent>forBoundedOutOfOrderness(Duration.ofMillis(outOfOrdernessMs))
            .withTimestampAssigner((e, kafkaTs) -> e.eventTime)
            .withIdleness(Duration.ofSeconds(30));
    DataStream<CtrEvent> events = env.fromSource(builder.build(), watermarks, "kafka").filter(new Countable()).name("countable");

    OutputTag<CtrEvent> late = new OutputTag<>("too-late-for-window", Types.POJO(CtrEvent.class));
    SingleOutputStreamOperator<Tuple4<String, Long, Long, Long>> counts =
        events
            .keyBy(e -> e.eventId, Types.STRING)
            .process(new FirstCopy(dedupSeconds), Types.POJO(CtrEvent.class))
            .name("first copy per event_id")
            .keyBy(e -> e.campaignId, Types.STRING)
            .window(TumblingEventTimeWindows.of(Duration.ofMinutes(1)))
            .allowedLateness(Duration.ofMillis(retentionMs))
            .sideOutputLateData(late)
            .aggregate(new Count(), new Result(), Types.TUPLE(Types.LONG, Types.LONG), Types.TUPLE(Types.LONG, Types.LONG), Types.TUPLE(Types.STRING, Types.LONG, Types.LONG, Types.LONG))
            .name("minute counts per campaign");
    counts.sinkTo(new RedisCountsSink(required(args, "redis"), required(args, "prefix"), retentionMs)).name("redis");
    counts.getSideOutput(late).filter(new CountDropped()).sinkTo(new DiscardingSink<>());

    report("submitting", Map.of("cpu_s", processCpuSeconds()));
    JobClient job = env.executeAsync("clicklake-ctr-peer-" + mode);
    while (job.getJobStatus().get() != JobStatus.RUNNING) Thread.sleep(20);
    report("running", Map.of("cpu_s", processCpuSeconds()));
    if (mode.equals("follow")) {
      while (System.in.read() != -1) {
        // until the driver closes stdin
      }
      job.cancel().get();
      report("cancelled", Map.of("cpu_s", processCpuSeconds()));
      System.exit(0);
    }
    JobExecutionResult result = job.getJobExecutionResult().get();
    Map<String, Object> done = new LinkedHashMap<>();
    done.put("cpu_s", processCpuSeconds());
    done.put("undecodable", ConfluentAvroDecoder.undecodable);
    for (String name : new String[] {"records", "countable", "duplicates", "firings", "too_late_for_window"}) {
      Object v = result.getAllAccumulatorResults().get(name);
      done.put(name, v == null ? 0L : v);
    }
    report("finished", done);
    System.exit(0);
  }
}
