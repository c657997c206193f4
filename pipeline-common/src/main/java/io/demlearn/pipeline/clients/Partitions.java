package io.demlearn.pipeline.clients;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** The partitions of topics, and whether a consumer has read them to a given end. */
public final class Partitions {
  private Partitions() {}

  /** Every partition of {@code topic}, in partition order; none if the topic does not exist. */
  public static List<TopicPartition> of(Consumer<?, ?> consumer, String topic) {
    return sorted(topic, consumer.partitionsFor(topic));
  }

  /** {@link #of(Consumer, String)}, waiting at most {@code timeout} for the answer. */
  public static List<TopicPartition> of(Consumer<?, ?> consumer, String topic, Duration timeout) {
    return sorted(topic, consumer.partitionsFor(topic, timeout));
  }

  /** Every partition of several topics, topic by topic. */
  public static List<TopicPartition> of(Consumer<?, ?> consumer, String... topics) {
    List<TopicPartition> all = new ArrayList<>();
    for (String topic : topics) {
      all.addAll(of(consumer, topic));
    }
    return all;
  }

  private static List<TopicPartition> sorted(String topic, List<PartitionInfo> infos) {
    List<TopicPartition> parts = new ArrayList<>();
    if (infos != null) {
      infos.forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
    }
    parts.sort(Comparator.comparingInt(TopicPartition::partition));
    return parts;
  }

  /**
   * Whether the consumer's position in every partition of {@code end} has reached its end offset.
   */
  public static boolean reached(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
