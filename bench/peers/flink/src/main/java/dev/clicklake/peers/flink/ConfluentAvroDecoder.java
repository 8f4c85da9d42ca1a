package dev.clicklake.peers.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary) to CtrEvent. The
 * writer schema is fetched from the registry by id (GET /schemas/ids/{id}) once per id; the body is
 * read through a projection of the writer's record on the five CTR fields (as activities/ctr/decode.ts
 * does), so Avro's schema resolution skips the other fields. A record that cannot be decoded is
 * skipped and counted (clicklake dead-letters it).
 */
public final class ConfluentAvroDecoder implements KafkaRecordDeserializationSchema<CtrEvent> {
  private static final long serialVersionUID = 1L;
  private static final Set<String> FIELDS = Set.of("event_id", "event_type", "event_time", "campaign_id", "quarantine_reason");

  private final String registryUrl;
  private transient Map<Integer, GenericDatumReader<GenericRecord>> readers;
  private transient HttpClient http;
  private transient BinaryDecoder decoder;
  private transient GenericRecord reuse;
  private transient boolean first;
  public static volatile long undecodable = 0;

  public ConfluentAvroDecoder(String registryUrl) {
    this.registryUrl = registryUrl.replaceAll("/+$", "");
  }

  @Override
  public void open(DeserializationSchema.InitializationContext context) {
    readers = new HashMap<>();
    http = HttpClient.newHttpClient();
    first = true;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<CtrEvent> out) throws IOException {
    if (first) {
      first = false;
      CtrJob.report("first_record", Map.of("cpu_s", CtrJob.processCpuSeconds()));
    }
    byte[] value = record.value();
    if (value == null || value.length < 5 || value[0] != 0) {
      undecodable++;
      return;
    }
    int id = ((value[1] & 0xff) << 24) | ((value[2] & 0xff) << 16) | ((value[3] & 0xff) << 8) | (value[4] & 0xff);
    GenericDatumReader<GenericRecord> reader = readers.get(id);
    if (reader == null) {
      reader = readerFor(id);
      readers.put(id, reader);
    }
    try {
      decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder);
      reuse = reader.read(reuse, decoder);
    } catch (IOException | RuntimeException e) {
      undecodable++;
      return;
    }
    Object campaign = reuse.get("campaign_id");
    out.collect(
        new CtrEvent(
            reuse.get("event_id").toString(),
            reuse.get("event_type").toString(),
            (Long) reuse.get("event_time"),
            campaign == null ? null : campaign.toString(),
            reuse.get("quarantine_reason") != null));
  }

  private GenericDatumReader<GenericRecord> readerFor(int id) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(registryUrl + "/schemas/ids/" + id)).GET().build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted fetching schema " + id, e);
    }
    if (response.statusCode() != 200) throw new IOException("schema registry answered " + response.statusCode() + " for schema id " + id);
    String text = new ObjectMapper().readTree(response.body()).get("schema").asText();
    Schema writer = new Schema.Parser().parse(text);
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : writer.getFields()) if (FIELDS.contains(f.name())) fields.add(new Schema.Field(f, f.schema()));
    Schema projection = Schema.createRecord(writer.getName(), writer.getDoc(), writer.getNamespace(), false, fields);
    return new GenericDatumReader<>(writer, projection);
  }

  @Override
  public TypeInformation<CtrEvent> getProducedType() {
    return TypeInformation.of(CtrEvent.class);
  }
}
