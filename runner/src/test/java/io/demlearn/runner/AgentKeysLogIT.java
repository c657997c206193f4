package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.pipeline.clients.AgentKeysLog;
import io.demlearn.pipeline.signing.Ed25519;
import io.demlearn.schemas.avro.AgentKey;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.TopicAdmin;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A signed experiment's keys read from its {@code agent-keys} topic on a real broker and registry:
 * what is there when the reader opens, what comes later on a refresh, and a record that is not a
 * key skipped.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class AgentKeysLogIT {
  @Test
  void readsTheKeysThereAndThoseRegisteredLaterSkippingWhatIsNotAKey(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    String id = "keys-" + UUID.randomUUID().toString().substring(0, 8);
    ExperimentTopics topics = ExperimentTopics.of(id);
    Map<String, Object> client =
        Map.of(
            "bootstrap.servers",
            broker.bootstrapServers(),
            SchemaRegistryConfig.URL,
            registry.url());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      new TopicAdmin(admin, Duration.ofSeconds(30)).ensure(List.of(topics.agentKeys().spec()));
    }
    KeyPair a = Ed25519.generate();
    KeyPair b = Ed25519.generate();
    KeyPair rotated = Ed25519.generate();
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer())) {
      var encoder = topics.agentKeys().valueSerde(serdes).serializer();
      String topic = topics.agentKeys().name();
      producer.send(
          new ProducerRecord<>(
              topic, "agent-a/1", encoder.serialize(topic, key(id, "agent-a", 1, 0, a))));
      producer.send(new ProducerRecord<>(topic, "junk", new byte[] {1, 2, 3}));
      producer.send(
          new ProducerRecord<>(
              topic, "agent-b/1", encoder.serialize(topic, key(id, "agent-b", 1, 0, b))));
      producer.flush();
      try (AgentKeysLog log = new AgentKeysLog(id, client, serdes)) {
        assertThat(log.ring().owners()).isEqualTo(2);
        assertThat(log.ring().inForce("agent-a", 7)).isEqualTo(a.getPublic());
        assertThat(log.refresh()).as("nothing new").isFalse();
        producer.send(
            new ProducerRecord<>(
                topic, "agent-a/2", encoder.serialize(topic, key(id, "agent-a", 2, 5, rotated))));
        producer.flush();
        assertThat(log.refresh()).isTrue();
        assertThat(log.ring().inForce("agent-a", 4)).isEqualTo(a.getPublic());
        assertThat(log.ring().inForce("agent-a", 5)).isEqualTo(rotated.getPublic());
      }
    }
  }

  private static AgentKey key(String experiment, String owner, int keyId, int from, KeyPair pair) {
    return AgentKey.newBuilder()
        .setExperimentId(experiment)
        .setOwnerId(owner)
        .setKeyId(keyId)
        .setEffectiveFromRound(from)
        .setAlgorithm(Ed25519.ALGORITHM)
        .setPublicKey(ByteBuffer.wrap(pair.getPublic().getEncoded()))
        .setIssuedAtMs(System.currentTimeMillis())
        .build();
  }
}
