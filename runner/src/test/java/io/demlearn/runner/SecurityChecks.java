package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.demlearn.schemas.topics.ExperimentTopics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** What a secure cluster refuses: the checks the secure stack's and deployment's tests share. */
final class SecurityChecks {
  private SecurityChecks() {}

  /**
   * A client without a certificate is refused the TLS handshake, and a worker's principal writing a
   * hierarchy version is refused by the ACLs; neither writes anything to the experiment's topics.
   *
   * @param operator the operator's Kafka client settings (addresses and TLS)
   * @param worker a worker's
   */
  static void refusesStrangersAndWorkersWritingHierarchies(
      Map<String, Object> operator, Map<String, Object> worker, String experimentId)
      throws Exception {
    ExperimentTopics topics = ExperimentTopics.of(experimentId);
    Map<String, Long> before = endOffsets(operator, topics);
    Map<String, Object> anonymous = new HashMap<>(operator);
    anonymous.keySet().removeIf(k -> k.startsWith("ssl.keystore.") || k.equals("ssl.key.password"));
    anonymous.put("max.block.ms", 15_000);
    Throwable refused =
        catchThrowable(() -> send(anonymous, topics.modelUpdates().name(), "agent-000"));
    assertThat(causes(refused)).anyMatch(SslAuthenticationException.class::isInstance);
    Throwable notAllowed =
        catchThrowable(
            () ->
                send(
                    worker,
                    topics.hierarchyAssignments().name(),
                    ExperimentTopics.hierarchyKey(2000)));
    assertThat(causes(notAllowed)).anyMatch(TopicAuthorizationException.class::isInstance);
    assertThat(endOffsets(operator, topics)).as("nothing written").isEqualTo(before);
  }

  /** Sends one record (bytes) as the client {@code config} says; throws what sending threw. */
  private static void send(Map<String, Object> config, String topic, String key) throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, key, new byte[] {0, 0, 0, 0, 1})).get();
    }
  }

  private static List<Throwable> causes(Throwable t) {
    List<Throwable> out = new ArrayList<>();
    for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) {
      out.add(c);
    }
    return out;
  }

  /** The end offset of every partition of the experiment's topics, read as the operator. */
  private static Map<String, Long> endOffsets(Map<String, Object> operator, ExperimentTopics topics)
      throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Admin admin = Admin.create(operator)) {
      List<String> names = topics.all().stream().map(t -> t.name()).toList();
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      admin
          .describeTopics(names)
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .forEach(
              (name, d) ->
                  d.partitions()
                      .forEach(
                          p ->
                              request.put(
                                  new TopicPartition(name, p.partition()), OffsetSpec.latest())));
      admin
          .listOffsets(request)
          .all()
          .get(30, TimeUnit.SECONDS)
          .forEach((tp, info) -> out.put(tp.toString(), info.offset()));
    }
    return out;
  }
}
