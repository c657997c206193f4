package io.demlearn.pipeline.clients;

import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The rounds a straggler policy closed, as the aggregator decided them: its {@code
 * aggregation-control} topic sends each close to every partition, so partition 0 has them all. Read
 * only when asked about a round not known closed (an agent catching up, which is rare): a close is
 * written before the group models of its round, so before any update that started from them, and
 * reading the partition to its end then finds it. Not thread-safe: one reader per thread.
 */
public final class ClosedRounds implements IntPredicate, AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Object> kafka;
  private final String clientId;
  private final String topic;
  private final AvroDeserializer<AggregationControl> decoder;
  private final Set<Integer> closed = new HashSet<>();
  private KafkaConsumer<String, byte[]> consumer;
  private TopicPartition partition;

  public ClosedRounds(
      Map<String, Object> kafka, String clientId, ExperimentTopics topics, AvroSerdes serdes) {
    this.kafka = kafka;
    this.clientId = clientId;
    this.topic = topics.aggregationControl().name();
    this.decoder = topics.aggregationControl().valueSerde(serdes).deserializer();
  }

  /** Whether a straggler policy closed {@code round}; reads the closes written since last asked. */
  @Override
  public boolean test(int round) {
    if (!closed.contains(round)) {
      readToTheEnd();
    }
    return closed.contains(round);
  }

  private void readToTheEnd() {
    if (consumer == null) {
      consumer =
          new KafkaConsumer<>(
              ClientConfigs.consumer(kafka, clientId, null),
              new StringDeserializer(),
              new ByteArrayDeserializer());
    }
    if (partition == null) {
      List<TopicPartition> all = Partitions.of(consumer, topic, TIMEOUT);
      if (all.isEmpty()) {
        return; // no aggregator has started: nothing is closed
      }
      partition = all.get(0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
    }
    long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (consumer.position(partition) < end) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "could not read " + topic + " to its end offset " + end + " in " + TIMEOUT);
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        AggregationControl c = decoder.deserializeOrNull(r);
        if (c != null && c.getClosedRound() != null) {
          closed.add(c.getClosedRound());
        }
      }
    }
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close();
    }
  }
}
