package io.demlearn.schemas.topics;

import java.util.Map;
import java.util.TreeMap;

/**
 * How one topic is created: its partition count and the topic-level configs the project relies on
 * (cleanup policy, retention, maximum record size). Replication is the cluster's choice unless
 * given.
 */
public record TopicSpec(
    String name, int partitions, short replicationFactor, Map<String, String> configs) {
  /** {@code replicationFactor} of -1 means the broker's {@code default.replication.factor}. */
  public TopicSpec {
    if (partitions < 1) {
      throw new IllegalArgumentException(
          "topic " + name + ": partitions must be >= 1, got " + partitions);
    }
    if (replicationFactor == 0 || replicationFactor < -1) {
      throw new IllegalArgumentException(
          "topic "
              + name
              + ": replication factor must be >= 1 (or -1 for the broker default), got "
              + replicationFactor);
    }
    configs = Map.copyOf(new TreeMap<>(configs));
  }
}
