package io.demlearn.schemas.serde;

import io.demlearn.schemas.registry.SchemaRegistryClient;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro specific records in the Confluent wire format. The schema is registered under {@code
 * <topic>-value} (or {@code <topic>-key}) on first use, or only looked up when {@code
 * auto.register.schemas=false}. Null values stay null (tombstones).
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
  /** Whether to register schemas on first use (default true), as Confluent's setting. */
  public static final String AUTO_REGISTER = "auto.register.schemas";

  private final Schema schema;
  private final SpecificDatumWriter<T> writer;
  private SchemaRegistryClient registry;
  private boolean isKey;
  private boolean autoRegister = true;
  private String cachedTopic;
  private int cachedId;

  /**
   * Size of the last record written (a hint for the next buffer; racy by design, any value works).
   */
  private volatile int lastSize;

  /** A serializer whose registry comes from {@link #configure}. */
  public AvroSerializer(Class<T> type) {
    this(type, null);
  }

  /** A serializer using an existing registry client; {@link #configure} may still set options. */
  public AvroSerializer(Class<T> type, SchemaRegistryClient registry) {
    this.schema = AvroDeserializer.schemaOf(type);
    this.writer = new SpecificDatumWriter<>(schema);
    this.registry = registry;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    if (registry == null) {
      registry = SchemaRegistryConfig.clientFor(configs);
    }
    Object auto = configs.get(AUTO_REGISTER);
    if (auto != null) {
      autoRegister = Boolean.parseBoolean(auto.toString().trim());
    }
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    Objects.requireNonNull(registry, "AvroSerializer used before configure(): no schema registry");
    int id = schemaId(topic);
    // sized for the last record: a 31 KB update no longer grows the buffer (and copies it) 8 times
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, lastSize + 64));
    out.write(0);
    out.write(0);
    out.write(0);
    out.write(0);
    out.write(0);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(data, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot encode " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(),
          e);
    }
    byte[] bytes = out.toByteArray();
    lastSize = bytes.length;
    WireFormat.writeHeader(bytes, id);
    return bytes;
  }

  private int schemaId(String topic) {
    synchronized (this) {
      if (topic.equals(cachedTopic)) {
        return cachedId;
      }
    }
    String subject = topic + (isKey ? "-key" : "-value");
    int id = autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema);
    synchronized (this) {
      cachedTopic = topic;
      cachedId = id;
    }
    return id;
  }
}
