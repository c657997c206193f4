package io.demlearn.runner;

import io.demlearn.schemas.registry.SchemaRegistryConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Where the Kafka cluster and the schema registry are, shared by the commands that use them. */
final class ConnectionOptions {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
      description = "An existing Kafka cluster. Without it a local broker is started for the run.")
  String bootstrapServers;

  @Option(names = "--schema-registry-url", paramLabel = "URL[,...]",
      description = "An existing Confluent-compatible schema registry (Confluent, Apicurio .../apis/ccompat/v7,"
          + " Karapace, Redpanda). Without it a local registry is started for the run.")
  String schemaRegistryUrl;

  @Option(names = "--client-config", paramLabel = "FILE",
      description = "Properties passed to every Kafka client untouched (security.protocol, sasl.*, ssl.*, ...);"
          + " keys schema.registry.* and basic.auth.* go to the schema registry client instead.")
  Path clientConfig;

  @Option(names = "--connect-timeout", defaultValue = "30", paramLabel = "SECONDS",
      description = "How long to wait for a given Kafka cluster to answer before giving up (default: ${DEFAULT-VALUE}).")
  int connectTimeoutSeconds;

  /** The client-config file split into Kafka client settings and registry settings. */
  record ClientSettings(Map<String, Object> kafka, Map<String, Object> registry) {}

  ClientSettings clientSettings() {
    Map<String, Object> kafka = new HashMap<>();
    Map<String, Object> registry = new HashMap<>();
    if (clientConfig != null) {
      if (!Files.isRegularFile(clientConfig)) {
        throw new UserException("client config file '" + clientConfig + "' (--client-config) does not exist");
      }
      Properties props = new Properties();
      try (Reader in = Files.newBufferedReader(clientConfig, StandardCharsets.UTF_8)) {
        props.load(in);
      } catch (IOException | IllegalArgumentException e) {
        throw new UserException("cannot read client config file '" + clientConfig + "': " + e.getMessage());
      }
      for (String key : props.stringPropertyNames()) {
        boolean forRegistry = key.startsWith("schema.registry.") || key.startsWith("basic.auth.");
        (forRegistry ? registry : kafka).put(key, props.getProperty(key));
      }
    }
    if (bootstrapServers != null) {
      kafka.put("bootstrap.servers", bootstrapServers);
    }
    if (schemaRegistryUrl != null) {
      registry.put(SchemaRegistryConfig.URL, schemaRegistryUrl);
    }
    return new ClientSettings(kafka, registry);
  }
}
