package io.demlearn.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.PortBinding;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.registry.InMemorySchemaRegistry;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
import io.demlearn.testkit.DockerImages;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * Produce and consume through the project's broker image (Kafka 4.4 in KRaft mode, one node) in a
 * container started by Testcontainers, where a Docker engine runs and the image is built; skipped,
 * saying why, elsewhere.
 */
@Tag("integration")
class KafkaContainerIT {
  private static GenericContainer<?> kafka;
  private static String bootstrap;

  @BeforeAll
  static void startBroker() throws IOException {
    DockerImages.assumePresent(DockerImages.kafka());
    // the client listener is advertised at the host port it is published on, fixed before start
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    bootstrap = "127.0.0.1:" + port;
    kafka =
        new GenericContainer<>(DockerImages.kafka())
            .withEnv("KAFKA_NODE_ID", "1")
            .withEnv("KAFKA_CLUSTER_ID", "P_FyonkES6WP7vCjyPyRgQ")
            .withEnv("KAFKA_CFG_PROCESS_ROLES", "broker,controller")
            .withEnv("KAFKA_CFG_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
            .withEnv("KAFKA_CFG_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .withEnv("KAFKA_CFG_LISTENERS", "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093")
            .withEnv("KAFKA_CFG_ADVERTISED_LISTENERS", "PLAINTEXT://" + bootstrap)
            .withEnv("KAFKA_CFG_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_CFG_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_CFG_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .withEnv("KAFKA_CFG_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_CFG_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
            .withCreateContainerCmdModifier(
                cmd ->
                    cmd.getHostConfig()
                        .withPortBindings(PortBinding.parse("127.0.0.1:" + port + ":9092")))
            .waitingFor(
                Wait.forLogMessage(".*Kafka Server started.*", 1)
                    .withStartupTimeout(Duration.ofSeconds(120)));
    kafka.start();
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.stop();
    }
  }

  @Test
  void modelUpdatesRoundTripThroughAContainerBroker() {
    String experiment = "tc-" + UUID.randomUUID().toString().substring(0, 8);
    String scope = experiment;
    ExperimentTopics topics =
        new ExperimentTopics(experiment, 2, new Replication((short) 1, 1), 16 * 1024 * 1024);
    Topic<ModelUpdate> updates = topics.modelUpdates();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      new TopicAdmin(admin, Duration.ofSeconds(60)).ensure(List.of(updates.spec()));
    }
    AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, "mock://" + scope));
    List<ModelUpdate> sent = new ArrayList<>();
    var producerConfig = new HashMap<String, Object>(Map.of("bootstrap.servers", bootstrap));
    try (KafkaProducer<String, ModelUpdate> producer =
        new KafkaProducer<>(
            producerConfig,
            updates.keySerde().serializer(),
            updates.valueSerde(serdes).serializer())) {
      for (int a = 0; a < 5; a++) {
        ModelUpdate u =
            SampleRecords.modelUpdate(
                experiment, "agent-" + a, 0, SampleRecords.randomFloats(7850, a));
        sent.add(u);
        producer.send(new ProducerRecord<>(updates.name(), u.getAgentId(), u));
      }
    }
    List<ModelUpdate> got = new ArrayList<>();
    Map<String, Object> consumerConfig =
        Map.of(
            "bootstrap.servers",
            bootstrap,
            "group.id",
            experiment,
            "auto.offset.reset",
            "earliest");
    try (KafkaConsumer<String, ModelUpdate> consumer =
        new KafkaConsumer<>(
            consumerConfig,
            updates.keySerde().deserializer(),
            updates.valueSerde(serdes).deserializer())) {
      consumer.subscribe(List.of(updates.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (got.size() < sent.size() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> got.add(r.value()));
      }
    }
    InMemorySchemaRegistry.dropScope(scope);
    assertThat(got).containsExactlyInAnyOrderElementsOf(sent);
  }
}
