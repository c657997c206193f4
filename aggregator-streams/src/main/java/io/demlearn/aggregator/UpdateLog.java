package io.demlearn.aggregator;

import io.demlearn.schemas.avro.ModelUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads model updates back from their topic by offset. The intake does not keep an update that
 * arrives before the hierarchy version that groups its round (in a round that rebuilds the tree,
 * every update does): it records where the update is, and reads it again from the log when the
 * version arrives. The log is the buffer; the aggregator's state holds offsets and digests only.
 */
interface UpdateLog extends AutoCloseable {
  /** The value bytes at {@code offsets} of one partition, by offset. */
  Map<Long, byte[]> read(int partition, NavigableSet<Long> offsets);

  @Override
  void close();

  /**
   * The updates at these offsets of one partition, in offset order, each checked to be the one
   * counted there (by its agent).
   *
   * @param agents offset to the agent whose update was counted there
   * @throws IllegalStateException if one is gone or another: the log changed under the aggregator
   */
  default List<ModelUpdate> readCounted(
      int partition,
      NavigableMap<Long, String> agents,
      Deserializer<ModelUpdate> decoder,
      String topic) {
    Map<Long, byte[]> read = read(partition, new TreeSet<>(agents.keySet()));
    List<ModelUpdate> out = new ArrayList<>();
    agents.forEach(
        (offset, agent) -> {
          byte[] bytes = read.get(offset);
          ModelUpdate u = bytes == null ? null : decoder.deserialize(topic, bytes);
          if (u == null || !u.getAgentId().equals(agent)) {
            throw new IllegalStateException(
                "the update of "
                    + agent
                    + " counted at offset "
                    + offset
                    + " of "
                    + topic
                    + "-"
                    + partition
                    + " is no longer in the log as it was read");
          }
          out.add(u);
        });
    return out;
  }

  /** Makes an update log from the Streams application's settings. */
  interface Factory {
    UpdateLog open(String topic, Map<String, Object> appConfigs);
  }

  /** Reads with a consumer of its own (read committed, as the aggregator's own consumer). */
  static UpdateLog kafka(String topic, Map<String, Object> appConfigs) {
    Map<String, Object> c = new HashMap<>();
    for (String name : ConsumerConfig.configNames()) {
      Object v = appConfigs.get(name);
      if (v != null) {
        c.put(name, v);
      }
      Object prefixed = appConfigs.get("consumer." + name);
      if (prefixed != null) {
        c.put(name, prefixed);
      }
    }
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    c.remove(ConsumerConfig.CLIENT_ID_CONFIG);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
    Duration limit = Duration.ofSeconds(60);
    return new UpdateLog() {
      @Override
      public Map<Long, byte[]> read(int partition, NavigableSet<Long> offsets) {
        TopicPartition tp = new TopicPartition(topic, partition);
        consumer.assign(List.of(tp));
        consumer.seek(tp, offsets.first());
        Map<Long, byte[]> out = new HashMap<>();
        long deadline = System.nanoTime() + limit.toNanos();
        while (consumer.position(tp) <= offsets.last()) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "could not read back "
                    + (offsets.size() - out.size())
                    + " counted updates of "
                    + tp
                    + " within "
                    + limit.toSeconds()
                    + " s (offsets "
                    + offsets.first()
                    + "-"
                    + offsets.last()
                    + ")");
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            if (offsets.contains(r.offset())) {
              out.put(r.offset(), r.value());
            }
          }
        }
        return out;
      }

      @Override
      public void close() {
        consumer.close(Duration.ofSeconds(5));
      }
    };
  }
}
