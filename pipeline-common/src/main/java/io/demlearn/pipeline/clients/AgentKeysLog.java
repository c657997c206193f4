package io.demlearn.pipeline.clients;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.KeyRing;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of a signed experiment as its {@code agent-keys} topic holds them (key: owner/key id,
 * value: AgentKey; one partition), read with a consumer of its own: everything committed when it
 * opens, and again to the end each {@link #refresh()}. A key record it cannot use is logged and
 * skipped (the operator alone may write the topic).
 */
public final class AgentKeysLog implements SignatureCheck.Keys {
  private static final Logger LOG = LoggerFactory.getLogger(AgentKeysLog.class);

  private final KafkaConsumer<String, byte[]> consumer;
  private final AvroDeserializer<io.demlearn.schemas.avro.AgentKey> decoder;
  private final TopicPartition partition;
  private final KeyRing ring;

  /**
   * @param client settings of a Kafka client (bootstrap servers, security), and of the schema
   *     registry client
   */
  public AgentKeysLog(String experimentId, Map<String, Object> client, AvroSerdes serdes) {
    ExperimentTopics topics = ExperimentTopics.of(experimentId);
    Map<String, Object> c = new HashMap<>();
    for (String name : ConsumerConfig.configNames()) {
      Object v = client.get(name);
      if (v != null) {
        c.put(name, v);
      }
    }
    this.consumer =
        new KafkaConsumer<>(
            ClientConfigs.consumer(c, topics.agentKeys().name() + ".reader", null),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.decoder = topics.agentKeys().valueSerde(serdes).deserializer();
    this.partition = new TopicPartition(topics.agentKeys().name(), 0);
    this.ring = new KeyRing(experimentId);
    consumer.assign(List.of(partition));
    consumer.seekToBeginning(List.of(partition));
    refresh();
  }

  /**
   * The signature check of a signed experiment, reading its keys from the cluster; null for an
   * experiment that does not require signatures. Close it when done.
   */
  public static SignatureCheck checkFor(
      Experiment experiment, Map<String, Object> client, AvroSerdes serdes) {
    return experiment.signed()
        ? new SignatureCheck(new AgentKeysLog(experiment.id(), client, serdes))
        : null;
  }

  @Override
  public KeyRing ring() {
    return ring;
  }

  @Override
  public boolean refresh() {
    long end = consumer.endOffsets(List.of(partition)).get(partition);
    boolean added = false;
    while (consumer.position(partition) < end) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        String refused = ring.add(decoder.deserializeOrNull(r));
        if (refused != null) {
          LOG.warn("key record {} at offset {} skipped: {}", r.key(), r.offset(), refused);
        } else {
          added = true;
        }
      }
    }
    return added;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
