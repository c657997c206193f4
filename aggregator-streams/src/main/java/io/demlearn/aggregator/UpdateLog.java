package io.demlearn.aggregator;

import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.schemas.avro.ModelUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
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
  /** Hands on the value bytes at {@code offsets} of one partition, in offset order, as it reads. */
  void read(int partition, NavigableSet<Long> offsets, BiConsumer<Long, byte[]> each);

  @Override
  void close();

  /**
   * Hands on the updates at these offsets of one partition, in offset order, as it reads them (a
   * round's updates are never all in memory at once), each checked to be the one counted there.
   *
   * @param agents offset to the agent whose update was counted there
   * @throws IllegalStateException if one is gone or another: the log changed under the aggregator
   */
  default void readCounted(
      int partition,
      NavigableMap<Long, String> agents,
      Deserializer<ModelUpdate> decoder,
      String topic,
      Consumer<ModelUpdate> each) {
    int[] read = {0};
    read(
        partition,
        new TreeSet<>(agents.keySet()),
        (offset, bytes) -> {
          ModelUpdate u = bytes == null ? null : decoder.deserialize(topic, bytes);
          if (u == null || !u.getAgentId().equals(agents.get(offset))) {
            throw gone(agents.get(offset), offset, topic, partition);
          }
          read[0]++;
          each.accept(u);
        });
    if (read[0] != agents.size()) {
      Long missing = agents.keySet().stream().skip(read[0]).findFirst().orElse(-1L);
      throw gone(agents.get(missing), missing, topic, partition);
    }
  }

  /** The digest of the update counted at {@code offset}: a second one is compared with it. */
  default byte[] digestAt(
      int partition, long offset, String agent, Deserializer<ModelUpdate> decoder, String topic) {
    List<ModelUpdate> first = new ArrayList<>();
    readCounted(partition, new TreeMap<>(Map.of(offset, agent)), decoder, topic, first::add);
    return UpdateChecks.digest(first.get(0));
  }

  private static IllegalStateException gone(String agent, long offset, String topic, int p) {
    return new IllegalStateException(
        "the update of "
            + agent
            + " counted at offset "
            + offset
            + " of "
            + topic
            + "-"
            + p
            + " is no longer in the log as it was read");
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
    // 8 MB at a time: a round's updates are never all in memory (one larger record still comes
    // whole), and a round of 10,000 MLR updates (314 MB) takes 40 fetches, not 300
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 8 * 1024 * 1024);
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 512);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
    Duration limit = Duration.ofSeconds(60);
    return new UpdateLog() {
      @Override
      public void read(int partition, NavigableSet<Long> offsets, BiConsumer<Long, byte[]> each) {
        TopicPartition tp = new TopicPartition(topic, partition);
        consumer.assign(List.of(tp));
        consumer.seek(tp, offsets.first());
        int found = 0;
        long deadline = System.nanoTime() + limit.toNanos();
        while (consumer.position(tp) <= offsets.last()) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "could not read back "
                    + (offsets.size() - found)
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
              found++;
              each.accept(r.offset(), r.value());
            }
          }
        }
      }

      @Override
      public void close() {
        consumer.close(Duration.ofSeconds(5));
      }
    };
  }
}
