package io.demlearn.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.registry.InMemorySchemaRegistry;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Produce and consume through a Kafka broker in a container (Testcontainers), where a Docker engine
 * exists; skipped (reported as skipped) where none does.
 */
@Tag("integration")
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerIT {
  @Container static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.0.0");

  @Test
  void modelUpdatesRoundTripThroughAContainerBroker() {
    String experiment = "tc-" + UUID.randomUUID().toString().substring(0, 8);
    String scope = experiment;
    ExperimentTopics topics =
        new ExperimentTopics(experiment, 2, new Replication((short) 1, 1), 16 * 1024 * 1024);
    Topic<ModelUpdate> updates = topics.modelUpdates();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.getBootstrapServers()))) {
      new TopicAdmin(admin, Duration.ofSeconds(60)).ensure(List.of(updates.spec()));
    }
    AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, "mock://" + scope));
    List<ModelUpdate> sent = new ArrayList<>();
    var producerConfig =
        new HashMap<String, Object>(Map.of("bootstrap.servers", KAFKA.getBootstrapServers()));
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
            KAFKA.getBootstrapServers(),
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
