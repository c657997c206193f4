package io.demlearn.runner;

import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.convert.Experiment;
import io.demlearn.schemas.convert.ExperimentSpecs;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ClientConfigs;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * An experiment's topics read as a finished log: each topic from its beginning to the end it has
 * when the read starts, committed records only, partition by partition in offset order. No
 * consumer group, nothing committed: reading changes nothing on the cluster.
 */
final class ExperimentLog implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(500);

  private final String experimentId;
  private final ExperimentTopics topics;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Duration timeout;

  ExperimentLog(Map<String, Object> kafka, String experimentId, Duration timeout) {
    this.experimentId = experimentId;
    this.topics = ExperimentTopics.of(experimentId);
    this.timeout = timeout;
    this.consumer = new KafkaConsumer<>(ClientConfigs.consumer(kafka, "demlearn-log-" + experimentId, null),
        new StringDeserializer(), new ByteArrayDeserializer());
  }

  ExperimentTopics topics() {
    return topics;
  }

  /**
   * The experiment as its spec on the {@code experiments} topic describes it.
   *
   * @throws UserException if the experiment's topics or spec are missing or unusable
   */
  Experiment experiment(AvroSerdes serdes) {
    List<TopicPartition> parts = partitions(topics.experiments());
    if (parts.isEmpty()) {
      throw new UserException("no experiment '" + experimentId + "' on this cluster: topic " + topics.experiments().name()
          + " does not exist (list the experiments with kafka-topics --list: their topics are demlearn.<id>.*)");
    }
    var decoder = topics.experiments().valueSerde(serdes).deserializer();
    ExperimentSpec[] found = new ExperimentSpec[1];
    read(topics.experiments(), r -> {
      if (found[0] == null && experimentId.equals(r.key())) {
        found[0] = decoder.deserializeOrNull(r);
      }
    });
    if (found[0] == null) {
      throw new UserException("topic " + topics.experiments().name() + " holds no readable spec of experiment '"
          + experimentId + "'");
    }
    try {
      return ExperimentSpecs.fromSpec(found[0], Runtime.getRuntime().availableProcessors());
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  /** The partitions of a topic; none if it does not exist. */
  List<TopicPartition> partitions(Topic<?> topic) {
    return partitions(topic.name());
  }

  private List<TopicPartition> partitions(String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
    List<TopicPartition> parts = new ArrayList<>();
    if (infos != null) {
      infos.forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
    }
    parts.sort(java.util.Comparator.comparingInt(TopicPartition::partition));
    return parts;
  }

  /**
   * Hands every committed record of a topic to {@code each}, partition 0 first, in offset order,
   * up to the end offsets all its partitions have when the call starts.
   *
   * @throws UserException if the records cannot be read within the timeout
   */
  void read(Topic<?> topic, Consumer<ConsumerRecord<String, byte[]>> each) {
    read(topic.name(), each);
  }

  /** {@link #read(Topic, Consumer)} for a topic by name (the services' internal topics). */
  void read(String topic, Consumer<ConsumerRecord<String, byte[]>> each) {
    List<TopicPartition> parts = partitions(topic);
    // one snapshot of every partition's end, so that what one transaction wrote is read whole
    java.util.Map<TopicPartition, Long> ends = consumer.endOffsets(parts, timeout);
    for (TopicPartition tp : parts) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      drain(tp, ends.get(tp), offset -> true, each);
    }
  }

  /**
   * Hands the records of one partition at the given offsets to {@code each} (those that are
   * there), reading from the first offset to the last.
   */
  void readAt(String topic, int partition, java.util.NavigableSet<Long> offsets,
      Consumer<ConsumerRecord<String, byte[]>> each) {
    if (offsets.isEmpty()) {
      return;
    }
    TopicPartition tp = new TopicPartition(topic, partition);
    consumer.assign(List.of(tp));
    consumer.seek(tp, offsets.first());
    drain(tp, Math.min(offsets.last() + 1, consumer.endOffsets(List.of(tp), timeout).get(tp)), offsets::contains, each);
  }

  /** Polls the assigned partition from its position up to {@code end}, handing on the records wanted. */
  private void drain(TopicPartition tp, long end, java.util.function.LongPredicate wanted,
      Consumer<ConsumerRecord<String, byte[]>> each) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (consumer.position(tp, timeout) < end) {
      var records = consumer.poll(POLL);
      if (records.isEmpty() && System.nanoTime() > deadline) {
        throw new UserException("reading " + tp + " stalled at offset " + consumer.position(tp) + " of " + end
            + " for " + timeout.toSeconds() + " s");
      }
      for (ConsumerRecord<String, byte[]> r : records) {
        if (r.offset() < end && wanted.test(r.offset())) {
          each.accept(r);
        }
      }
      if (!records.isEmpty()) {
        deadline = System.nanoTime() + timeout.toNanos();
      }
    }
    consumer.assign(List.of());
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
