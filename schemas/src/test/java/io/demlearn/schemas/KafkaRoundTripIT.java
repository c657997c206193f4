package io.demlearn.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.serde.PayloadException;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
import io.demlearn.schemas.topics.TopicConflictException;
import io.demlearn.schemas.topics.TopicSpec;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every record type through a real broker and a real registry, on the experiment's own topics. */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class KafkaRoundTripIT {
  private final String experiment = "rt-" + UUID.randomUUID().toString().substring(0, 8);

  static Map<String, Object> producerConfig(EmbeddedKafkaBroker broker) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
    return p;
  }

  static Map<String, Object> consumerConfig(EmbeddedKafkaBroker broker) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
    return c;
  }

  private static <V extends SpecificRecord> List<V> readAll(
      EmbeddedKafkaBroker broker, AvroSerdes serdes, Topic<V> topic, int expected) {
    List<V> out = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(
            consumerConfig(broker),
            topic.keySerde().deserializer(),
            topic.valueSerde(serdes).deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyRecordTypeRoundTripsThroughItsTopic(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) {
    ExperimentTopics topics = ExperimentTopics.of(experiment);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      new TopicAdmin(admin, Duration.ofSeconds(30))
          .ensure(topics.all().stream().map(Topic::spec).toList());
    }
    AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
    List<SpecificRecord> samples = SampleRecords.all(experiment);
    for (Topic<? extends SpecificRecord> t : topics.all()) {
      Topic<SpecificRecord> topic = (Topic<SpecificRecord>) t;
      SpecificRecord sample =
          samples.stream().filter(s -> s.getClass() == topic.valueType()).findFirst().orElseThrow();
      try (KafkaProducer<String, SpecificRecord> producer =
          new KafkaProducer<>(
              producerConfig(broker),
              topic.keySerde().serializer(),
              topic.valueSerde(serdes).serializer())) {
        producer.send(new ProducerRecord<>(topic.name(), "k", sample));
        producer.flush();
      }
      assertThat(readAll(broker, serdes, topic, 1)).as(topic.name()).containsExactly(sample);
    }
  }

  @Test
  void aBadPayloadOnATopicIsReportedWithItsPartitionAndOffset(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) {
    ExperimentTopics topics =
        new ExperimentTopics(experiment, 1, new Replication((short) 1, 1), 16 * 1024 * 1024);
    Topic<ModelUpdate> updates = topics.modelUpdates();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      new TopicAdmin(admin, Duration.ofSeconds(30)).ensure(List.of(updates.spec()));
    }
    AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
    ModelUpdate good =
        SampleRecords.modelUpdate(experiment, "agent-1", 0, SampleRecords.randomFloats(7850, 9));
    try (KafkaProducer<String, ModelUpdate> producer =
            new KafkaProducer<>(
                producerConfig(broker),
                new StringSerializer(),
                updates.valueSerde(serdes).serializer());
        KafkaProducer<String, byte[]> raw =
            new KafkaProducer<>(
                producerConfig(broker), new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(updates.name(), "agent-1", good));
      producer.flush();
      raw.send(new ProducerRecord<>(updates.name(), "agent-2", "not avro".getBytes()));
      raw.flush();
    }
    try (KafkaConsumer<String, ModelUpdate> consumer =
        new KafkaConsumer<>(
            consumerConfig(broker),
            updates.keySerde().deserializer(),
            updates.valueSerde(serdes).deserializer())) {
      consumer.subscribe(List.of(updates.name()));
      List<ConsumerRecord<String, ModelUpdate>> got = new ArrayList<>();
      RecordDeserializationException failure = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (failure == null && System.nanoTime() < deadline) {
        try {
          consumer.poll(Duration.ofMillis(200)).forEach(got::add);
        } catch (RecordDeserializationException e) {
          failure = e;
        }
      }
      assertThat(got).extracting(ConsumerRecord::value).containsExactly(good);
      assertThat(failure).isNotNull();
      assertThat(failure.topicPartition().partition()).isZero();
      assertThat(failure.offset()).isEqualTo(1L);
      assertThat(failure.getCause())
          .isInstanceOfSatisfying(
              PayloadException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(PayloadException.Reason.NOT_WIRE_FORMAT);
                assertThat(e.topic()).isEqualTo(updates.name());
              });
      assertThat(ParameterVectors.toFloats(got.get(0).value().getParameters()))
          .containsExactly(SampleRecords.randomFloats(7850, 9));
    }
  }

  @Test
  void creatingTwiceIsFineAndAConflictingTopicIsReported(EmbeddedKafkaBroker broker) {
    ExperimentTopics topics = ExperimentTopics.of(experiment);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      TopicAdmin topicAdmin = new TopicAdmin(admin, Duration.ofSeconds(30));
      List<TopicSpec> specs = topics.all().stream().map(Topic::spec).toList();
      TopicAdmin.Outcome first = topicAdmin.ensure(specs);
      assertThat(first.created()).hasSize(7);
      assertThat(first.existing()).isEmpty();
      TopicAdmin.Outcome second = topicAdmin.ensure(specs);
      assertThat(second.created()).isEmpty();
      assertThat(second.existing()).hasSize(7);

      // the same experiment asked with another partition count and another record size limit
      ExperimentTopics other =
          new ExperimentTopics(experiment, 3, Replication.CLUSTER_DEFAULT, 4 * 1024 * 1024);
      assertThatThrownBy(() -> topicAdmin.ensure(List.of(other.modelUpdates().spec())))
          .isInstanceOfSatisfying(
              TopicConflictException.class,
              e ->
                  assertThat(e.conflicts())
                      .containsExactly(
                          topics.modelUpdates().name()
                              + ": max.message.bytes is 16777216, wanted 4194304",
                          topics.modelUpdates().name() + ": partitions is 6, wanted 3"))
          .hasMessageContaining("another experiment id");
    }
  }
}
