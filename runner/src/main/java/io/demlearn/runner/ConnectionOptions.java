package io.demlearn.runner;

import io.demlearn.pipeline.clients.ClientSettings;
import io.demlearn.schemas.security.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the Kafka cluster and the schema registry are, shared by the commands that use them. */
final class ConnectionOptions {
  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      description = "An existing Kafka cluster. Without it a local broker is started for the run.")
  String bootstrapServers;

  @Option(
      names = "--schema-registry-url",
      paramLabel = "URL[,...]",
      description =
          "An existing Confluent-compatible schema registry (Confluent, Apicurio"
              + " .../apis/ccompat/v7, Karapace, Redpanda). Without it a local registry is started"
              + " for the run.")
  String schemaRegistryUrl;

  @Option(
      names = "--client-config",
      paramLabel = "FILE",
      description =
          "Properties passed to every Kafka client untouched (security.protocol, sasl.*, ssl.*,"
              + " ...); keys schema.registry.* and basic.auth.* go to the schema registry client"
              + " instead.")
  Path clientConfig;

  @Option(
      names = "--role-configs",
      paramLabel = "DIR",
      description =
          "A folder with worker.properties, aggregator.properties and clusterer.properties: the"
              + " client configs of the services this command starts, one principal per role"
              + " (default: --client-config for every service; with the secure local stack, its"
              + " own).")
  Path roleConfigs;

  @Option(
      names = "--connect-timeout",
      defaultValue = "30",
      paramLabel = "SECONDS",
      description =
          "How long to wait for a given Kafka cluster to answer before giving up (default:"
              + " ${DEFAULT-VALUE}).")
  int connectTimeoutSeconds;

  /** The client-config files given: this command's own, and the services' by role. */
  ConfigFiles configFiles() {
    Map<Role, Path> roles = new EnumMap<>(Role.class);
    if (roleConfigs != null) {
      for (Role role : List.of(Role.WORKER, Role.AGGREGATOR, Role.CLUSTERER)) {
        Path file = roleConfigs.resolve(role.id() + ".properties");
        if (!Files.isRegularFile(file)) {
          throw new UserException(
              "--role-configs " + roleConfigs + ": there is no " + file.getFileName() + " in it");
        }
        roles.put(role, file);
      }
    }
    return new ConfigFiles(clientConfig, roles);
  }

  /** The client-config file and the addresses given. */
  ClientSettings clientSettings() {
    try {
      return ClientSettings.load(clientConfig).at(bootstrapServers, schemaRegistryUrl);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
  }
}
