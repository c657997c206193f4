package io.demlearn.pipeline.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.schemas.registry.SchemaRegistryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientSettingsTest {
  @TempDir Path dir;

  @Test
  void aClientConfigFileIsSplitBetweenKafkaAndTheRegistry() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("client.properties"),
            "security.protocol=SASL_SSL\n"
                + "sasl.mechanism=SCRAM-SHA-512\n"
                + "basic.auth.user.info=me:secret\n"
                + "schema.registry.ssl.truststore.location=/t\n");
    ClientSettings s = ClientSettings.load(file).at("broker:9093", "https://registry:8081");
    assertThat(s.kafka())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("bootstrap.servers", "broker:9093")
        .doesNotContainKey("basic.auth.user.info");
    assertThat(s.registry())
        .containsEntry("basic.auth.user.info", "me:secret")
        .containsEntry("schema.registry.ssl.truststore.location", "/t")
        .containsEntry(SchemaRegistryConfig.URL, "https://registry:8081")
        .doesNotContainKey("security.protocol");
  }

  @Test
  void noFileMeansNoSettingsAndAMissingFileIsNamed() {
    assertThat(ClientSettings.load(null).kafka()).isEmpty();
    assertThat(ClientSettings.load(null).at(null, null).registry()).isEmpty();
    assertThatThrownBy(() -> ClientSettings.load(dir.resolve("nope.properties")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope.properties")
        .hasMessageContaining("does not exist");
  }

  @Test
  void copiesHandedOutDoNotChangeTheSettings() {
    ClientSettings s = ClientSettings.load(null).at("b:9092", null);
    s.kafka().put("bootstrap.servers", "other:1");
    assertThat(s.kafka()).containsEntry("bootstrap.servers", "b:9092");
  }
}
