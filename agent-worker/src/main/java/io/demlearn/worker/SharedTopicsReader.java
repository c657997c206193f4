package io.demlearn.worker;

import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.clients.AgentKeysLog;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.Partitions;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent worker's reader of the topics every worker needs whole: {@code group-models} (key: group
 * id, value: GroupModel) and {@code hierarchy-assignments} (key: version, value:
 * HierarchyAssignment), every partition from the start, on a thread of its own (in a signed
 * experiment, a hierarchy version its clusterer's key did not sign is ignored, as the aggregator
 * refuses it). Each record it can decode becomes an {@link AgentRounds.Event}; after a poll that
 * brought any, it wakes the worker.
 */
final class SharedTopicsReader implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(SharedTopicsReader.class);
  private final AgentWorker.Config c;
  private final ExperimentTopics topics;
  private final AvroSerdes serdes;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Consumer<AgentRounds.Event> events;
  private final Runnable wake;
  private final Consumer<RuntimeException> fail;
  private volatile boolean closed;
  private volatile boolean reread;

  /**
   * @param events where the records go, as events
   * @param wake called after a poll that brought events
   * @param fail called if reading fails
   */
  SharedTopicsReader(
      AgentWorker.Config c,
      String clientId,
      Consumer<AgentRounds.Event> events,
      Runnable wake,
      Consumer<RuntimeException> fail) {
    this.c = c;
    this.topics = c.topics();
    this.serdes = c.serdes();
    this.consumer =
        new KafkaConsumer<>(
            ClientConfigs.groupModelConsumer(c.kafka(), clientId, c.experiment()),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.events = events;
    this.wake = wake;
    this.fail = fail;
  }

  /** Reads both topics from the start again (agents taken over may need what was forgotten). */
  void rereadFromTheStart() {
    reread = true;
  }

  /** Stops the reader; its consumer closes on the reader's thread. */
  void close() {
    closed = true;
    consumer.wakeup();
  }

  @Override
  public void run() {
    var groupDecoder = topics.groupModels().valueSerde(serdes).deserializer();
    var hierarchyDecoder = topics.hierarchyAssignments().valueSerde(serdes).deserializer();
    String groupTopic = topics.groupModels().name();
    try (consumer;
        SignatureCheck signatures = AgentKeysLog.checkFor(c.experiment(), c.kafka(), serdes)) {
      List<TopicPartition> all =
          Partitions.of(consumer, groupTopic, topics.hierarchyAssignments().name());
      consumer.assign(all);
      consumer.seekToBeginning(all);
      while (!closed) {
        if (reread) {
          reread = false;
          consumer.seekToBeginning(all);
        }
        boolean any = false;
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.topic().equals(groupTopic)) {
            GroupModel g = groupDecoder.deserializeOrNull(r);
            if (g != null) {
              events.accept(new AgentRounds.GroupModelRead(g));
              any = true;
            }
          } else {
            HierarchyAssignment h = hierarchyDecoder.deserializeOrNull(r);
            UpdateChecks.Refusal refused =
                h == null || signatures == null ? null : signatures.check(h);
            if (refused != null) {
              LOG.warn("hierarchy record at offset {} ignored: {}", r.offset(), refused.detail());
            } else if (h != null) {
              events.accept(new AgentRounds.HierarchyRead(h));
              any = true;
            }
          }
        }
        if (any) {
          wake.run();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      fail.accept(e);
    }
  }
}
