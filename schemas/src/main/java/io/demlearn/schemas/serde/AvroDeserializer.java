package io.demlearn.schemas.serde;

import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ParameterVector;
import io.demlearn.schemas.registry.SchemaNotFoundException;
import io.demlearn.schemas.registry.SchemaRegistryClient;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import java.io.EOFException;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Avro specific records from the Confluent wire format, resolving the writer's schema (by the
 * id in the payload) against this class's schema, so records written with an earlier or later
 * compatible schema read correctly.
 *
 * <p>Every defect raises a {@link PayloadException} naming what was wrong: a first byte that is not
 * the magic byte, a payload shorter than its header or its content, a schema id the registry does
 * not know, bytes that do not decode under the writer's schema (or leave bytes over), and a
 * parameter vector whose byte length does not match its dimension. A wrong value is never returned
 * silently.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
  private static final Logger LOG = LoggerFactory.getLogger(AvroDeserializer.class);
  private final Class<T> type;
  private final Schema readerSchema;
  private final Map<Integer, SpecificDatumReader<T>> readersByWriterId = new ConcurrentHashMap<>();
  private SchemaRegistryClient registry;

  /** A deserializer whose registry comes from {@link #configure}. */
  public AvroDeserializer(Class<T> type) {
    this(type, null);
  }

  /** A deserializer using an existing registry client. */
  public AvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
    this.type = type;
    this.readerSchema = schemaOf(type);
    this.registry = registry;
  }

  static Schema schemaOf(Class<? extends SpecificRecord> type) {
    TrustedPackages.trust(type);
    Schema schema = SpecificData.get().getSchema(type);
    if (schema == null || schema.getType() != Schema.Type.RECORD) {
      throw new IllegalArgumentException(type.getName() + " is not a generated Avro record class");
    }
    return schema;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (registry == null) {
      registry = SchemaRegistryConfig.clientFor(configs);
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    Objects.requireNonNull(
        registry, "AvroDeserializer used before configure(): no schema registry");
    int id = WireFormat.schemaId(data, topic);
    SpecificDatumReader<T> reader = readerFor(id, topic);
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
    T record;
    try {
      record = reader.read(null, decoder);
    } catch (EOFException | ArrayIndexOutOfBoundsException e) {
      throw new PayloadException(
          PayloadException.Reason.TRUNCATED,
          "payload of "
              + data.length
              + " bytes ends before its "
              + type.getSimpleName()
              + " (schema id "
              + id
              + ") is complete",
          topic,
          e);
    } catch (IOException
        | AvroRuntimeException
        | IllegalArgumentException
        | ClassCastException
        | NegativeArraySizeException
        | IndexOutOfBoundsException e) {
      throw new PayloadException(
          PayloadException.Reason.UNDECODABLE,
          "payload does not decode as "
              + type.getSimpleName()
              + " under schema id "
              + id
              + ": "
              + e,
          topic,
          e);
    }
    try {
      if (!decoder.isEnd()) {
        throw new PayloadException(
            PayloadException.Reason.UNDECODABLE,
            "payload has bytes left over after its "
                + type.getSimpleName()
                + " (schema id "
                + id
                + "): it was written with another schema or is corrupt",
            topic,
            null);
      }
    } catch (IOException e) {
      throw new PayloadException(PayloadException.Reason.UNDECODABLE, e.toString(), topic, e);
    }
    checkVectors(record, topic);
    return record;
  }

  /**
   * Decodes a raw record, reporting its topic, partition and offset in any {@link
   * PayloadException}.
   */
  public T deserialize(ConsumerRecord<?, byte[]> raw) {
    try {
      return deserialize(raw.topic(), raw.value());
    } catch (PayloadException e) {
      throw e.at(raw.partition(), raw.offset());
    }
  }

  /**
   * Decodes a raw record, or returns null when it has no value or is not a valid record of this
   * type (logged at debug level). For readers that skip what the aggregator reports on the
   * experiment's {@code dead-letters} topic.
   */
  public T deserializeOrNull(ConsumerRecord<?, byte[]> raw) {
    try {
      return deserialize(raw.topic(), raw.value());
    } catch (PayloadException e) {
      LOG.debug("skipped: {}", e.at(raw.partition(), raw.offset()).getMessage());
      return null;
    }
  }

  private SpecificDatumReader<T> readerFor(int id, String topic) {
    SpecificDatumReader<T> reader = readersByWriterId.get(id);
    if (reader != null) {
      return reader;
    }
    Schema writerSchema;
    try {
      writerSchema = registry.schemaById(id);
    } catch (SchemaNotFoundException e) {
      throw new PayloadException(
          PayloadException.Reason.UNKNOWN_SCHEMA_ID,
          "schema id " + id + " is unknown to " + registry.describe(),
          topic,
          e);
    }
    if (!writerSchema.getFullName().equals(readerSchema.getFullName())
        && !readerSchema.getAliases().contains(writerSchema.getFullName())) {
      throw new PayloadException(
          PayloadException.Reason.UNDECODABLE,
          "schema id "
              + id
              + " is "
              + writerSchema.getFullName()
              + ", expected "
              + readerSchema.getFullName(),
          topic,
          null);
    }
    reader = new SpecificDatumReader<>(writerSchema, readerSchema);
    readersByWriterId.put(id, reader);
    return reader;
  }

  private static void checkVectors(Object value, String topic) {
    if (value instanceof ParameterVector vector) {
      ParameterVectors.check(vector, topic);
    } else if (value instanceof IndexedRecord record) {
      int n = record.getSchema().getFields().size();
      for (int i = 0; i < n; i++) {
        checkVectors(record.get(i), topic);
      }
    } else if (value instanceof Collection<?> items) {
      for (Object item : items) {
        if (!(item instanceof IndexedRecord)) {
          return; // arrays of scalars or strings hold no vectors
        }
        checkVectors(item, topic);
      }
    }
  }
}
