package io.demlearn.schemas.serde;

import io.demlearn.schemas.registry.SchemaRegistryClient;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/**
 * Makes configured Avro serdes that share one registry client (one id cache), from the registry
 * settings of {@link SchemaRegistryConfig} and {@link AvroSerializer#AUTO_REGISTER}.
 */
public final class AvroSerdes implements AutoCloseable {
  private final SchemaRegistryClient registry;
  private final Map<String, Object> config;

  public AvroSerdes(Map<String, ?> config) {
    this.config = new HashMap<>(config);
    this.registry = SchemaRegistryConfig.clientFor(config);
  }

  /** The registry client the serdes share. */
  public SchemaRegistryClient registry() {
    return registry;
  }

  /** A serde for record values of {@code type} (subject {@code <topic>-value}). */
  public <T extends SpecificRecord> AvroSerde<T> valueSerde(Class<T> type) {
    return serde(type, false);
  }

  /** A serde for record keys of {@code type} (subject {@code <topic>-key}). */
  public <T extends SpecificRecord> AvroSerde<T> keySerde(Class<T> type) {
    return serde(type, true);
  }

  private <T extends SpecificRecord> AvroSerde<T> serde(Class<T> type, boolean isKey) {
    AvroSerde<T> serde =
        new AvroSerde<>(
            new AvroSerializer<>(type, registry), new AvroDeserializer<>(type, registry));
    serde.configure(config, isKey);
    return serde;
  }

  @Override
  public void close() {
    registry.close();
  }
}
