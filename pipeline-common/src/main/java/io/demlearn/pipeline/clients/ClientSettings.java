package io.demlearn.pipeline.clients;

import io.demlearn.schemas.registry.SchemaRegistryConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where a process finds the Kafka cluster and the schema registry, and how it authenticates: the
 * settings every Kafka client gets and those of the registry client. A client-config file ({@code
 * --client-config}) is split between the two: keys {@code schema.registry.*} and {@code
 * basic.auth.*} go to the registry client, every other key to every Kafka client untouched.
 */
public record ClientSettings(Map<String, Object> kafka, Map<String, Object> registry) {
  public ClientSettings {
    kafka = new HashMap<>(kafka);
    registry = new HashMap<>(registry);
  }

  /**
   * The settings of a client-config file, or none if {@code file} is null.
   *
   * @throws IllegalArgumentException naming the file if it is missing or unreadable
   */
  public static ClientSettings load(Path file) {
    Map<String, Object> kafka = new HashMap<>();
    Map<String, Object> registry = new HashMap<>();
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            "client config file '" + file + "' (--client-config) does not exist");
      }
      Properties props = new Properties();
      try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        props.load(in);
      } catch (IOException | IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "cannot read client config file '" + file + "': " + e.getMessage(), e);
      }
      for (String key : props.stringPropertyNames()) {
        boolean forRegistry = key.startsWith("schema.registry.") || key.startsWith("basic.auth.");
        (forRegistry ? registry : kafka).put(key, props.getProperty(key));
      }
    }
    return new ClientSettings(kafka, registry);
  }

  /** These settings with the cluster's and the registry's addresses, where given (null: keep). */
  public ClientSettings at(String bootstrapServers, String schemaRegistryUrl) {
    ClientSettings s = new ClientSettings(kafka, registry);
    if (bootstrapServers != null) {
      s.kafka.put("bootstrap.servers", bootstrapServers);
    }
    if (schemaRegistryUrl != null) {
      s.registry.put(SchemaRegistryConfig.URL, schemaRegistryUrl);
    }
    return s;
  }

  /** A copy of the Kafka clients' settings, to add to. */
  @Override
  public Map<String, Object> kafka() {
    return new HashMap<>(kafka);
  }

  /** A copy of the registry client's settings, to add to. */
  @Override
  public Map<String, Object> registry() {
    return new HashMap<>(registry);
  }
}
