package dev.clicklake.peers.flink;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.java.tuple.Tuple4;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Window results (campaign, minute, impressions, clicks) into Redis with Jedis, in clicklake's layout
 * (core/ctr.ts) under the job's own prefix: hash `<prefix>:m:<yyyymmddhhmm>`, fields `i:<campaign>` and
 * `c:<campaign>` (only non-zero counters, as HINCRBY leaves them), EXPIREAT `retention` after the
 * minute ends. A result is the window's whole count, so it is written with HSET: a late firing or a
 * replay after a restore overwrites with the same or a larger total. Writes are pipelined and synced
 * on every watermark (the window firings a watermark causes reach the sink before it), every 1,000
 * results, before a checkpoint and at the end of input.
 */
public final class RedisCountsSink implements Sink<Tuple4<String, Long, Long, Long>> {
  private static final long serialVersionUID = 1L;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmm").withZone(ZoneOffset.UTC);

  private final String redisUrl;
  private final String prefix;
  private final long retentionMs;

  public RedisCountsSink(String redisUrl, String prefix, long retentionMs) {
    this.redisUrl = redisUrl;
    this.prefix = prefix;
    this.retentionMs = retentionMs;
  }

  @Override
  public SinkWriter<Tuple4<String, Long, Long, Long>> createWriter(WriterInitContext context) {
    return new Writer();
  }

  private final class Writer implements SinkWriter<Tuple4<String, Long, Long, Long>> {
    private final Jedis jedis = new Jedis(URI.create(redisUrl));
    private Pipeline pipeline = jedis.pipelined();
    private int pending = 0;

    @Override
    public void write(Tuple4<String, Long, Long, Long> r, Context context) {
      long minute = r.f1;
      String key = prefix + ":m:" + STAMP.format(Instant.ofEpochMilli(minute * 60_000L));
      Map<String, String> fields = new HashMap<>(2);
      if (r.f2 > 0) fields.put("i:" + r.f0, Long.toString(r.f2));
      if (r.f3 > 0) fields.put("c:" + r.f0, Long.toString(r.f3));
      if (fields.isEmpty()) return;
      pipeline.hset(key, fields);
      // core/ctr.ts bucketExpiresAtSec
      pipeline.expireAt(key, (long) Math.ceil(((minute + 1) * 60_000.0 + retentionMs) / 1000.0));
      if (++pending >= 1000) sync();
    }

    @Override
    public void writeWatermark(Watermark watermark) {
      if (pending > 0) sync();
    }

    @Override
    public void flush(boolean endOfInput) {
      if (pending > 0) sync();
    }

    private void sync() {
      pipeline.sync();
      pending = 0;
    }

    @Override
    public void close() throws IOException {
      if (pending > 0) sync();
      pipeline.close();
      jedis.close();
    }
  }
}
