package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.stack.EmbeddedKafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reading a log in which a producer left a transaction open (a killed aggregator's): the read waits
 * for it to end rather than stopping where it began, and says so if it does not end in time.
 */
class ExperimentLogIT {
  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void start() {
    broker = EmbeddedKafkaBroker.startTemporary();
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static void createTopic(String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
          .all()
          .get();
    }
  }

  private static KafkaProducer<String, byte[]> producer(String transactionalId) {
    Map<String, Object> p = new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers()));
    if (transactionalId != null) {
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  private static List<String> keys(ExperimentLog log, String topic) {
    List<String> out = new ArrayList<>();
    log.read(topic, r -> out.add(r.key()));
    return out;
  }

  /** A transaction left open before two committed records, then a committed read of the topic. */
  private static KafkaProducer<String, byte[]> openTransactionBeforeTwoRecords(String topic)
      throws Exception {
    createTopic(topic);
    KafkaProducer<String, byte[]> open = producer(topic + "-tx");
    open.initTransactions();
    open.beginTransaction();
    open.send(new ProducerRecord<>(topic, "in-transaction", new byte[1])).get();
    try (KafkaProducer<String, byte[]> plain = producer(null)) {
      plain.send(new ProducerRecord<>(topic, "after-1", new byte[1])).get();
      plain.send(new ProducerRecord<>(topic, "after-2", new byte[1])).get();
    }
    return open;
  }

  @Test
  void aReadWaitsForATransactionOpenWhenItStartsAndGetsEverythingWrittenBefore() throws Exception {
    String topic = "log-it-commits";
    KafkaProducer<String, byte[]> open = openTransactionBeforeTwoRecords(topic);
    Thread committer =
        new Thread(
            () -> {
              try {
                Thread.sleep(1_500);
                open.commitTransaction();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    committer.start();
    try (ExperimentLog log =
        new ExperimentLog(
            Map.of("bootstrap.servers", broker.bootstrapServers()), "x", Duration.ofSeconds(20))) {
      // without waiting, a committed read of this partition would end before offset 0
      assertThat(keys(log, topic)).containsExactly("in-transaction", "after-1", "after-2");
    } finally {
      committer.join();
      open.close();
    }
  }

  @Test
  void aTransactionThatStaysOpenIsNamedAndOnceAbortedTheRestIsRead() throws Exception {
    String topic = "log-it-aborts";
    KafkaProducer<String, byte[]> open = openTransactionBeforeTwoRecords(topic);
    try (ExperimentLog log =
        new ExperimentLog(
            Map.of("bootstrap.servers", broker.bootstrapServers()), "x", Duration.ofSeconds(2))) {
      assertThatThrownBy(() -> keys(log, topic))
          .isInstanceOf(ExperimentLog.LogException.class)
          .hasMessageContaining(topic + "-0 has a transaction open since offset 0 (of 3 written)")
          .hasMessageContaining("read again");
      open.abortTransaction();
      assertThat(keys(log, topic)).containsExactly("after-1", "after-2");
    } finally {
      open.close();
    }
  }
}
